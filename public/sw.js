// 家访通 service worker (template).
//
// The server serves this file at /sw.js after replacing the placeholder below
// with a build id (a hash of the wasm/js/css), so every release gets a new
// byte-different worker and a new static cache name.
//
// What it does NOT do: it never touches IndexedDB (drafts and other user data
// live there, owned by the app), so installing a new version never loses data.
'use strict';

const BUILD = '__JIAFANG_BUILD__';
const STATIC_PREFIX = 'jiafang-static-';
const STATIC_CACHE = STATIC_PREFIX + BUILD;
// Pages the user has seen (server-rendered HTML). Not versioned by name so an
// update keeps them; each entry is stamped with the build that produced it.
const PAGES_CACHE = 'jiafang-pages';
const BUILD_HEADER = 'X-Jiafang-Build';

// The app shell: enough to boot and hydrate any cached page offline.
const PRECACHE = [
  '/pkg/jiafang.js',
  '/pkg/jiafang.wasm',
  '/pkg/jiafang.css',
  '/manifest.webmanifest',
  '/favicon.ico',
  '/icons/icon-192.png',
  '/icons/icon-512.png',
  '/icons/icon-maskable-512.png',
  '/offline.html',
  '/register-sw.js',
];

// Paths the worker must never answer: live data (REST + Leptos server
// functions under /api/), the health check, and the worker script itself.
function isBypassed(path) {
  return path.startsWith('/api/') || path === '/api' || path === '/healthz' || path === '/sw.js';
}

// Static files that may also be cached at run time (e.g. extra /pkg/ chunks).
function isStaticAsset(path) {
  return path.startsWith('/pkg/') || path.startsWith('/icons/') || PRECACHE.includes(path);
}

// Pages whose server HTML is the same for every query string: the browser
// fills them from IndexedDB (?draft=…, ?id=…), so one cached copy serves
// every record offline.
const SHELL_PAGES = ['/visits/new', '/visits/view'];

function pageKey(url) {
  const u = new URL(url);
  u.hash = '';
  if (SHELL_PAGES.includes(u.pathname)) u.search = '';
  return u.href;
}

// Only complete, successful HTML documents are worth keeping: never a redirect
// (e.g. to /login) or an error page.
function isCacheableHtml(response) {
  return (
    response &&
    response.status === 200 &&
    !response.redirected &&
    response.type === 'basic' &&
    (response.headers.get('Content-Type') || '').includes('text/html')
  );
}

// When a page was just saved by the navigation handler, the 'cache-page'
// message the page sends right after loading need not fetch it again.
const recentlyStored = new Map(); // page key -> timestamp (ms)
const RECENT_MS = 15000;

async function storePage(url, response) {
  recentlyStored.set(pageKey(url), Date.now());
  const headers = new Headers(response.headers);
  headers.set(BUILD_HEADER, BUILD);
  const body = await response.blob();
  const cache = await caches.open(PAGES_CACHE);
  await cache.put(pageKey(url), new Response(body, { status: 200, statusText: 'OK', headers }));
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(STATIC_CACHE);
      // cache: 'reload' bypasses the HTTP cache so we never precache stale files.
      await cache.addAll(PRECACHE.map((url) => new Request(url, { cache: 'reload' })));
      // Take over without waiting for every tab to close; the page shows a
      // "click to refresh" banner instead of reloading under the user.
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(
        names
          .filter((name) => name.startsWith(STATIC_PREFIX) && name !== STATIC_CACHE)
          .map((name) => caches.delete(name)),
      );
      // Pages rendered by an older build would be hydrated by the new wasm and
      // may not match it; drop them (they are re-saved on the next visit).
      const pages = await caches.open(PAGES_CACHE);
      const requests = await pages.keys();
      await Promise.all(
        requests.map(async (request) => {
          // No response: a page is being stored right now (the app asks
          // for its offline pages while this worker activates); keep it.
          const response = await pages.match(request);
          if (response && response.headers.get(BUILD_HEADER) !== BUILD) {
            await pages.delete(request);
          }
        }),
      );
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (isBypassed(url.pathname)) return;

  if (request.mode === 'navigate') {
    event.respondWith(handleNavigation(event, request));
  } else if (isStaticAsset(url.pathname)) {
    event.respondWith(handleStatic(request, url));
  }
  // Anything else goes straight to the network as if there were no worker.
});

// Network first, so an online user always sees fresh data; the last good copy
// of this exact URL (or the offline page) when the network is unavailable.
async function handleNavigation(event, request) {
  try {
    const response = await fetch(request);
    if (isCacheableHtml(response)) {
      event.waitUntil(storePage(request.url, response.clone()).catch(() => {}));
    }
    return response;
  } catch (err) {
    const pages = await caches.open(PAGES_CACHE);
    const cached = await pages.match(pageKey(request.url), { ignoreVary: true });
    if (cached) return cached;
    const offline = await caches.match('/offline.html', { cacheName: STATIC_CACHE });
    if (offline) return offline;
    throw err;
  }
}

// Cache first: these files only change with a new build, which gets a new cache.
async function handleStatic(request, url) {
  const cache = await caches.open(STATIC_CACHE);
  const cached = await cache.match(request, { ignoreVary: true });
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok && response.type === 'basic' && url.pathname.startsWith('/pkg/')) {
    await cache.put(request, response.clone()).catch(() => {});
  }
  return response;
}

self.addEventListener('message', (event) => {
  const data = event.data || {};
  if (data.type === 'cache-page' && typeof data.url === 'string') {
    // Saves the page the user has just seen, so it opens offline after a single
    // visit (the first visit happens before this worker controls the page).
    event.waitUntil(cachePage(data.url).catch(() => {}));
  } else if (data.type === 'clear-pages') {
    // Sent at logout: the next user of this device must not see these pages.
    recentlyStored.clear();
    event.waitUntil(caches.delete(PAGES_CACHE));
  }
});

async function cachePage(rawUrl) {
  const url = new URL(rawUrl, self.location.href);
  if (url.origin !== self.location.origin || isBypassed(url.pathname)) return;
  const storedAt = recentlyStored.get(pageKey(url.href));
  if (storedAt && Date.now() - storedAt < RECENT_MS) return;
  const response = await fetch(pageKey(url.href), {
    credentials: 'same-origin',
    headers: { Accept: 'text/html' },
  });
  if (isCacheableHtml(response)) {
    await storePage(url.href, response);
  }
}
