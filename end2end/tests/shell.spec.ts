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
