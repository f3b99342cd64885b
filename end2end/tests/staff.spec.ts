import { test, expect } from '@playwright/test';

// The school admin creates a teacher account on the phone; the initial
// password is shown once; the new teacher must change it at first login.
test('管理员新建教师账号，新教师首次登录须修改密码', async ({ page, browser }) => {
  await page.goto('/login');
  await page.fill('input[name="username"]', 'admin');
  await page.fill('input[name="password"]', 'demo-password');
  await page.getByRole('button', { name: '登录' }).click();
  await expect(page).toHaveURL(/\/$/);

  await page.getByRole('link', { name: '教师账号' }).click();
  await expect(page.getByRole('heading', { name: '教师账号' })).toBeVisible();
  await page.getByText('新建教师账号').click();
  await page.getByLabel('姓名').fill('钱晓梅');
  await page.getByLabel('用户名（登录用，字母或数字）').fill('qianxm');
  await page.getByLabel('学科（科任教师必填）').fill('音乐');
  await page.getByRole('button', { name: '创建账号' }).click();
  const notice = page.getByTestId('initial-password');
  await expect(notice).toContainText('qianxm');
  const password = (await notice.locator('strong').textContent())!.trim();
  expect(password).toHaveLength(10);
  await expect(page.getByTestId('staff-row').filter({ hasText: '钱晓梅' })).toContainText('待改密');

  const other = await browser.newContext({ viewport: { width: 360, height: 640 } });
  const teacher = await other.newPage();
  await teacher.goto('/login');
  await teacher.fill('input[name="username"]', 'qianxm');
  await teacher.fill('input[name="password"]', password);
  await teacher.getByRole('button', { name: '登录' }).click();
  await expect(teacher).toHaveURL(/\/change-password$/);
  await expect(teacher.getByText('首次登录，请先设置您自己的密码。')).toBeVisible();
  await teacher.fill('input[name="old_password"]', password);
  await teacher.fill('input[name="new_password"]', '音乐老师2026');
  await teacher.fill('input[name="confirm_password"]', '音乐老师2026');
  await teacher.getByRole('button', { name: '保存新密码' }).click();
  await expect(teacher).toHaveURL(/\/$/);
  await expect(teacher.getByTestId('user-name')).toHaveText('钱晓梅');
  await other.close();

  // The account creation is in the school's audit log.
  await page.goto('/audit');
  await expect(page.getByTestId('audit-row').filter({ hasText: '新建账号' }).first()).toContainText('陈静');
});
