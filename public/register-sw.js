// 家访通: registers the service worker and talks to it.
// Loaded by every page with <script src="/register-sw.js" defer>.
(function () {
  'use strict';

  // The app saves its offline pages once per session (see app.rs); forget
  // that when the saved pages go away, so they are saved again.
  function forgetOfflinePages() {
    try {
      sessionStorage.removeItem('jiafang-offline-pages');
    } catch (e) {}
  }

  // Logout calls this so the next user of the device cannot see cached pages.
  // Returns a promise; safe to call when service workers are unsupported.
  window.jiafangClearPages = function () {
    forgetOfflinePages();
    var sw = 'serviceWorker' in navigator ? navigator.serviceWorker.controller : null;
    if (sw) sw.postMessage({ type: 'clear-pages' });
    // Also delete from the page itself, so the caller can await it.
    return window.caches ? window.caches.delete('jiafang-pages').catch(function () {}) : Promise.resolve();
  };

  // The logout form sits inside an element marked data-logout; clear the
  // saved pages as soon as it is submitted (capture: before the app's handler).
  document.addEventListener(
    'submit',
    function (event) {
      var form = event.target;
      if (form && form.closest && form.closest('[data-logout]')) window.jiafangClearPages();
    },
    true,
  );

  if (!('serviceWorker' in navigator)) {
    window.jiafangCachePage = function () {};
    return;
  }

  var container = navigator.serviceWorker;
  // Was this page already controlled when it loaded? Then a later
  // controllerchange means a new version took over (an update), not the
  // first install.
  var wasControlled = !!container.controller;

  function post(message) {
    container.ready.then(function (registration) {
      var worker = container.controller || registration.active;
      if (worker) worker.postMessage(message);
    });
  }

  // Ask the worker to save a page so it opens offline after a single visit.
  // The app may call this after client-side navigations too.
  window.jiafangCachePage = function (url) {
    post({ type: 'cache-page', url: String(url || location.href) });
  };

  // Installing downloads the app's files; on a village connection that can
  // fail half-way, and the app moves between pages without reloading, so
  // nothing would try again until the next full reload. Retry by ourselves
  // (after 5 s, 10 s, … up to 5 min, and as soon as the signal is back)
  // until a worker is active.
  var retryDelay = 5000;
  var retryTimer = null;
  function retryLater() {
    if (retryTimer !== null) return;
    retryTimer = setTimeout(function () {
      retryTimer = null;
      register();
    }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 300000);
  }
  function watchInstall(registration) {
    var worker = registration.installing;
    if (!worker) return;
    worker.addEventListener('statechange', function () {
      if (worker.state === 'redundant' && !registration.active) retryLater();
    });
  }
  function register() {
    container
      .register('/sw.js', { scope: '/', updateViaCache: 'none' })
      .then(function (registration) {
        watchInstall(registration);
        registration.addEventListener('updatefound', function () {
          watchInstall(registration);
        });
      })
      .catch(function (err) {
        console.warn('service worker registration failed', err);
        retryLater();
      });
  }
  register();
  window.addEventListener('online', function () {
    if (!container.controller) register();
  });

  window.jiafangCachePage(location.href);

  // Client-side (router) navigations do not reach the worker's fetch handler,
  // so save those pages as well.
  var lastUrl = location.href;
  function onRoute() {
    if (location.href === lastUrl) return;
    lastUrl = location.href;
    window.jiafangCachePage(lastUrl);
  }
  // Patched on the prototype so calls from wasm bindings are seen too.
  var historyProto = window.History && History.prototype;
  if (historyProto && historyProto.pushState) {
    var pushState = historyProto.pushState;
    historyProto.pushState = function () {
      var result = pushState.apply(this, arguments);
      onRoute();
      return result;
    };
  }
  window.addEventListener('popstate', onRoute);

  container.addEventListener('controllerchange', function () {
    // A new worker drops pages saved by older builds; save this one again.
    forgetOfflinePages();
    window.jiafangCachePage(location.href);
    if (wasControlled) {
      showUpdateBanner();
    } else {
      wasControlled = true;
    }
  });

  // Ask the browser not to evict our storage (IndexedDB drafts, caches) under
  // storage pressure. Best effort; failures are irrelevant.
  if (navigator.storage && navigator.storage.persist && navigator.storage.persisted) {
    navigator.storage
      .persisted()
      .then(function (persisted) {
        if (!persisted) return navigator.storage.persist();
      })
      .catch(function () {});
  }

  // A new version is active. Never reload on our own: the user may be typing.
  function showUpdateBanner() {
    if (document.getElementById('jiafang-update-banner')) return;
    var banner = document.createElement('button');
    banner.id = 'jiafang-update-banner';
    banner.type = 'button';
    banner.setAttribute('role', 'status');
    banner.textContent = '家访通已更新，点击刷新';
    banner.style.cssText = [
      'position:fixed',
      'left:50%',
      'bottom:calc(4.5rem + env(safe-area-inset-bottom, 0px))',
      'transform:translateX(-50%)',
      'z-index:2147483647',
      'max-width:calc(100% - 2rem)',
      'padding:.65rem 1.2rem',
      'border:0',
      'border-radius:999px',
      'background:#1f6f5c',
      'color:#fff',
      'font:600 15px/1.4 system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif',
      'box-shadow:0 4px 16px rgba(0,0,0,.25)',
      'cursor:pointer',
    ].join(';');
    banner.addEventListener('click', function () {
      location.reload();
    });
    (document.body || document.documentElement).appendChild(banner);
  }
})();
