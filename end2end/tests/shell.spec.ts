import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { expect, type Page, test } from '@playwright/test';

const PASSWORD = 'demo-password';
const NAV_LINKS = ['家访', '任务', '学生', '台账', '报表'];

async function login(page: Page, username: string, password = PASSWORD): Promise<void> {
  await page.goto('/login');
  await page.locator('input[name="username"]').fill(username);
  await page.locator('input[name="password"]').fill(password);
  await page.getByRole('button', { name: '登录', exact: true }).click();
}

/** True once the service worker has saved the current page for offline use. */
async function pageIsCached(page: Page): Promise<boolean> {
  return page.evaluate(async () => {
    const url = location.href.split('#')[0];
    const cache = await caches.open('jiafang-pages');
    return (await cache.match(url, { ignoreVary: true })) !== undefined;
  });
}

test('班主任登录后看到应用外壳，离线时也能打开', async ({ page, context }) => {
  await page.goto('/');
  await page.waitForURL((url) => url.pathname === '/login');

  await page.locator('input[name="username"]').fill('head');
  await page.locator('input[name="password"]').fill(PASSWORD);
  await page.getByRole('button', { name: '登录', exact: true }).click();
  await page.waitForURL((url) => url.pathname === '/');

  await expect(page.locator('[data-testid="user-name"]')).toContainText('李红梅');
  await expect(page.locator('body')).toContainText('班主任');
  await expect(page.locator('body')).toContainText('科任教师');
  const nav = page.locator('[data-testid="main-nav"]');
  await expect(nav).toBeVisible();
  for (const name of NAV_LINKS) {
    await expect(nav.getByRole('link', { name, exact: true })).toBeVisible();
  }
  expect(await page.evaluate(() => document.documentElement.lang)).toBe('zh-CN');

  // The service worker takes control and saves this page after one visit.
  await page.waitForFunction(
    () => !!navigator.serviceWorker && navigator.serviceWorker.controller !== null,
    undefined,
    { timeout: 30_000 },
  );
  await expect.poll(() => pageIsCached(page), { timeout: 30_000 }).toBe(true);

  await context.setOffline(true);
  try {
    await page.reload();
    await expect(page.locator('[data-testid="main-nav"]')).toBeVisible();
    await expect(page.locator('[data-testid="user-name"]')).toBeVisible();
    await expect(page.locator('[data-testid="user-name"]')).toContainText('李红梅');
  } finally {
    await context.setOffline(false);
  }
});

test('密码错误时提示用户名或密码错误', async ({ page }) => {
  await login(page, 'head', 'wrong-password');
  await expect(page.locator('body')).toContainText('用户名或密码错误');
  expect(new URL(page.url()).pathname).toBe('/login');
});

test('科任教师只看到自己任教班级的学生', async ({ page }) => {
  await login(page, 'teacher');
  await page.waitForURL((url) => url.pathname === '/');

  await page.goto('/students');
  const rows = page.locator('[data-testid="student-row"]');
  await expect(rows.first()).toBeVisible();
  const count = await rows.count();
  expect(count).toBeGreaterThan(0);
  expect(count).toBeLessThanOrEqual(120);
});

// A slow phone: the person taps 登录 before the app's code (the wasm) has
// loaded, so the browser posts the form itself. They must see the same
// Chinese message, never the JSON meant for the app, and a right password
// still logs in.
test('应用代码尚未加载完时登录：密码错误显示中文提示，密码正确进入首页', async ({ page }) => {
  // The wasm never arrives: the page stays as the server rendered it.
  await page.route('**/*.wasm', () => {});
  await page.goto('/login');
  await page.locator('input[name="username"]').fill('head');
  await page.locator('input[name="password"]').fill('wrong-password');
  await page.getByRole('button', { name: '登录', exact: true }).click();
  await page.waitForURL((url) => url.pathname === '/login' && url.searchParams.get('error') === 'bad_credentials');
  await expect(page.getByRole('alert')).toHaveText('用户名或密码错误');
  await expect(page.locator('body')).not.toContainText('"error"');

  await page.locator('input[name="username"]').fill('head');
  await page.locator('input[name="password"]').fill(PASSWORD);
  await page.getByRole('button', { name: '登录', exact: true }).click();
  await page.waitForURL((url) => url.pathname === '/');
  await expect(page.locator('[data-testid="user-name"]')).toContainText('李红梅');
});

// The client is compressed once at build time (`make build`); browsers get
// the brotli or gzip copy, and it must be exactly this build's file (a copy
// left from an older build would break hydration).
test('the client bundle is served precompressed and matches the build', async ({ baseURL }) => {
  const pkg = path.resolve(__dirname, '../../target/site/pkg');
  for (const name of ['jiafang.wasm', 'jiafang.js', 'jiafang.css']) {
    const built = fs.readFileSync(path.join(pkg, name));
    for (const [encoding, decode] of [
      ['br', zlib.brotliDecompressSync],
      ['gzip', zlib.gunzipSync],
    ] as const) {
      const { headers, body } = await rawGet(`${baseURL}/pkg/${name}`, encoding);
      expect(headers['content-encoding'], `${name} ${encoding}`).toBe(encoding);
      expect(headers['vary'], `${name} ${encoding}: caches keep encodings apart`).toMatch(/accept-encoding/i);
      expect(decode(body).equals(built), `${name} ${encoding} is this build`).toBe(true);
      if (name === 'jiafang.wasm') {
        expect(headers['content-type']).toBe('application/wasm');
        console.log(`${name}: ${built.length} B, served ${encoding} ${body.length} B`);
      }
    }
  }
});

/** The response's bytes exactly as sent (no automatic decompression). */
function rawGet(url: string, encoding: string): Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { 'Accept-Encoding': encoding } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      })
      .on('error', reject);
  });
}
