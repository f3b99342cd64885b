import { test, expect } from '@playwright/test';
import { login } from '../fixtures/app';

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

// Teachers from a file: checked first (the bad row explained), then
// imported, the initial passwords listed once. The page is also loaded
// directly, so it is rendered by the server first.
test('管理员批量导入教师：先检查，错误行有说明，导入后列出初始密码', async ({ page }) => {
  await login(page, 'admin');
  await page.goto('/staff');
  await page.getByText('批量导入教师').click();

  await page.getByRole('button', { name: '检查' }).click();
  await expect(page.getByRole('alert')).toHaveText('请先选择文件');

  const csv = '姓名,手机号,角色,班级,学科\n导入教师甲,13700000011,科任教师,三年级(1)班,美术\n导入教师乙,13700000012,校工,,\n';
  await page.getByTestId('teacher-file').setInputFiles({ name: 'teachers.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.getByRole('button', { name: '检查' }).click();
  const report = page.getByTestId('teacher-report');
  await expect(report).toContainText('共 2 行：1 行有效（新建 1');
  await expect(page.locator('li.error')).toContainText('第 3 行');
  await expect(page.getByTestId('teacher-passwords')).toHaveCount(0);

  await page.getByTestId('teacher-commit').click();
  await expect(report).toContainText('已导入');
  const row = page.getByTestId('teacher-passwords').locator('tr').filter({ hasText: '13700000011' });
  await expect(row.locator('strong')).toHaveText(/^\S{10}$/);
});
