import { expect, test } from '@playwright/test';
import { login } from '../fixtures/app';

test.use({ viewport: { width: 360, height: 640 } });

test('学校管理员新建班级（只填班号）、改名、两次点击删除空班级；有学生的班级没有删除按钮', async ({ page }) => {
  await login(page, 'admin');
  await page.goto('/');
  await page.getByRole('link', { name: '班级管理' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('班级管理');
  const list = page.getByTestId('class-list');
  // The list is fetched in the browser: once it shows, the page is live.
  const demo = list.locator('tr', { hasText: '三年级(1)班' });
  await expect(demo).toBeVisible();
  await expect(demo.getByRole('button', { name: '删除' })).toHaveCount(0);

  const form = page.getByTestId('class-form');
  await form.locator('select[name="grade_level"]').selectOption('6');
  await page.getByTestId('save-class').click();
  await expect(form.getByRole('alert')).toContainText('请填写班级名称');

  await form.locator('input[name="name"]').fill('6');
  await page.getByTestId('save-class').click();
  const made = list.locator('tr', { hasText: '六年级(6)班' });
  await expect(made).toContainText('未安排');

  // The same class again: refused by the server, explained in Chinese.
  await form.locator('select[name="grade_level"]').selectOption('6');
  await form.locator('input[name="name"]').fill('六年级(6)班');
  await page.getByTestId('save-class').click();
  await expect(form.getByRole('alert')).toContainText('本年级已有');

  await made.getByRole('button', { name: '修改' }).click();
  await expect(form.locator('input[name="name"]')).toHaveValue('六年级(6)班');
  await form.locator('input[name="name"]').fill('六年级兴趣班');
  await page.getByTestId('save-class').click();
  const renamed = list.locator('tr', { hasText: '六年级兴趣班' });
  await expect(renamed).toBeVisible();
  await expect(list.locator('tr', { hasText: '六年级(6)班' })).toHaveCount(0);

  await renamed.getByRole('button', { name: '删除' }).click();
  await expect(renamed.getByRole('button', { name: '确认删除' })).toBeVisible();
  await renamed.getByRole('button', { name: '确认删除' }).click();
  await expect(list.locator('tr', { hasText: '六年级兴趣班' })).toHaveCount(0);
  await expect(demo).toBeVisible();

  // The audit log, filtered to this kind of change, shows who did it.
  await page.goto('/audit');
  const filter = page.getByTestId('audit-filter');
  await filter.locator('select[name="action"]').selectOption('class.delete');
  await filter.getByRole('button', { name: '查询' }).click();
  const rows = page.getByTestId('audit-row');
  await expect(rows.first()).toContainText('删除班级');
  await expect(page.getByTestId('audit-row').filter({ hasNotText: '删除班级' })).toHaveCount(0);
  await rows.first().getByText('详情').click();
  await expect(rows.first().locator('pre.detail')).toContainText('六年级兴趣班');
});
