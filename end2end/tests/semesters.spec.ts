import { expect, test } from '@playwright/test';
import { login } from '../fixtures/app';

test('县教育局设置下学期，重叠日期用中文提示；各校完成情况可查看、可下钻；家访页面不给教育部门表单', async ({ page }) => {
  // The phone-side teacher caches (roster, quota, tasks) are not for an
  // officer: a county's roster has no place on a device.
  const teacherCaches: string[] = [];
  page.on('request', (req) => {
    const path = new URL(req.url()).pathname;
    if (['/api/v1/students', '/api/v1/quota', '/api/v1/colleagues', '/api/v1/absence-tasks'].includes(path)) {
      teacherCaches.push(path);
    }
  });
  await login(page, 'county');
  await page.goto('/semesters');
  const form = page.getByTestId('semester-form');
  await form.locator('input[name="name"]').fill('2027年春季学期');
  await form.locator('input[name="start"]').fill('2027-02-20');
  await form.locator('input[name="end"]').fill('2027-07-10');
  await page.getByTestId('save-semester').click();
  await expect(page.getByTestId('semester-list')).toContainText('2027年春季学期');

  await form.locator('input[name="name"]').fill('重叠的学期');
  await form.locator('input[name="start"]').fill('2027-01-20');
  await form.locator('input[name="end"]').fill('2027-03-01');
  await page.getByTestId('save-semester').click();
  await expect(form.getByRole('alert')).toContainText('日期重叠');

  await page.goto('/dashboard/area');
  await expect(page.getByTestId('area-summary')).toContainText('完成率');
  await expect(page.getByTestId('dropout-rates')).toContainText('已报月报学校');
  const firstSchool = page.getByTestId('school-progress').locator('tbody a').first();
  const name = (await firstSchool.textContent())!.trim();
  await firstSchool.click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText(name);
  await expect(page.getByTestId('teacher-progress')).toBeVisible();
  // Drilled down, the officer sees that school's own monthly figures.
  await expect(page.getByTestId('dropout-rates')).toContainText('本月月报');
  await expect(page.getByTestId('dropout-rates')).not.toContainText('已报月报学校');

  // Officers do not record visits: no form they could never send.
  for (const path of ['/visits', '/visits/new', '/visits/plans']) {
    await page.goto(path);
    await expect(page.getByTestId('officer-notice')).toBeVisible();
    await expect(page.getByTestId('new-visit')).toHaveCount(0);
  }
  expect(teacherCaches).toEqual([]);
});
