import { test, expect } from '@playwright/test';

// The head teacher opens a pupil from the roster and records a dated leave;
// the status and its history update on the page.
test('班主任在学生详情中登记请假，状态记录随之更新', async ({ page }) => {
  await page.goto('/login');
  await page.fill('input[name="username"]', 'head');
  await page.fill('input[name="password"]', 'demo-password');
  await page.getByRole('button', { name: '登录' }).click();
  await expect(page).toHaveURL(/\/$/);

  await page.goto('/students');
  const row = page.getByTestId('student-row').filter({ hasText: '三年级(1)班' }).filter({ hasText: '在校' }).first();
  await row.getByRole('link').click();
  await expect(page).toHaveURL(/\/students\/\d+$/);
  await expect(page.getByTestId('student-status')).toContainText('在校');

  await page.getByText('变更学籍状态').click();
  await page.getByLabel('改为').selectOption({ label: '请假' });
  const today = new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
  await page.getByLabel('生效日期').fill(today);
  await page.getByLabel('变更说明').fill('病假三天，家长电话请假');
  await page.getByRole('button', { name: '保存变更' }).click();
  await expect(page.getByTestId('student-status')).toContainText('请假');
  await expect(page.getByTestId('status-history')).toContainText('在校 → 请假');
  await expect(page.getByTestId('status-history')).toContainText('病假三天，家长电话请假');
});
