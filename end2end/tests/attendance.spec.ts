import { expect, test } from '@playwright/test';
import { login, waitUntilOfflineReady } from '../fixtures/app';

// The head teacher takes the roll with no signal: two pupils absent. The
// roll waits on the phone; back online it is sent, and the day-1 tasks
// (联系家长并当日家访) appear in her absence task list.
test('roll call offline with two absent, then the day-1 tasks', async ({ page, context }) => {
  await login(page, 'head');
  await page.goto('/attendance');
  await waitUntilOfflineReady(page, ['/attendance', '/absences']);
  // The roster is on the phone once the page has shown it.
  await expect(page.getByTestId('roll-student').first()).toBeVisible();

  await context.setOffline(true);
  await page.reload();
  // The latest weekday in China (the roll is only taken on school days).
  const day = new Date(Date.now() + 8 * 3600_000);
  while (day.getUTCDay() === 0 || day.getUTCDay() === 6) day.setUTCDate(day.getUTCDate() - 1);
  await page.getByTestId('roll-day').fill(day.toISOString().slice(0, 10));
  await page.getByTestId('roll-day').dispatchEvent('change');
  const pupils = page.getByTestId('roll-student');
  await expect(pupils.first()).toBeVisible();
  const absentNames = [
    (await pupils.nth(0).locator('.name').textContent()) ?? '',
    (await pupils.nth(1).locator('.name').textContent()) ?? '',
  ];
  await pupils.nth(0).click();
  await pupils.nth(1).click();
  await expect(pupils.nth(0)).toHaveAttribute('aria-pressed', 'true');
  await page.getByTestId('roll-save').click();
  await expect(page.getByTestId('roll-state')).toContainText('待同步');

  // Still there after a reload with no signal.
  await page.reload();
  await page.getByTestId('roll-day').fill(day.toISOString().slice(0, 10));
  await page.getByTestId('roll-day').dispatchEvent('change');
  await expect(page.getByTestId('roll-state')).toContainText('待同步');
  await expect(page.getByTestId('roll-student').nth(1)).toHaveAttribute('aria-pressed', 'true');

  await context.setOffline(false);
  await expect(page.getByTestId('roll-state')).toContainText('已提交', { timeout: 30_000 });

  await page.goto('/absences');
  const mine = page.getByTestId('my-tasks');
  for (const name of absentNames) {
    await expect(mine.getByTestId('absence-task').filter({ hasText: name })).toContainText('联系家长并当日家访');
  }
  await expect(mine.getByTestId('absence-task').first()).toContainText('缺勤第 1 天');
});
