import { expect, test } from '@playwright/test';
import { login } from '../fixtures/app';
// A roll call gives the head teacher a day-1 task and a notification; opening it
// goes to the task list and marks it read.
test('打开消息即跳转到缺勤跟进并标为已读', async ({ page }) => {
  await login(page, 'head');
  await page.goto('/attendance');
  await page.getByTestId('roll-student').first().waitFor();
  await page.getByTestId('roll-student').nth(2).click();
  await page.getByTestId('roll-save').click();
  await expect(page.getByTestId('roll-state')).toContainText('已提交', { timeout: 20000 });
  await page.goto('/notifications');
  const unread = async () => Number((await page.getByText(/未读 \d+ 条/).textContent())?.match(/\d+/)?.[0]);
  await expect(page.getByText(/未读 \d+ 条/)).toBeVisible();
  const before = await unread();
  expect(before).toBeGreaterThan(0);
  await page.getByTestId('notification-list').locator('a').first().click();
  await page.waitForURL('**/absences');
  await expect(page.getByTestId('my-tasks').getByRole('link', { name: '记录家访' }).first()).toBeVisible();
  await page.goto('/notifications');
  await expect(page.getByText(`未读 ${before - 1} 条`)).toBeVisible();
});
