import { test, expect } from '@playwright/test';

// A school admin imports a small roster on a phone-sized screen: the preview
// explains the bad row, the commit adds the good one, and it shows up in 学生.
test('学校管理员导入名册：预览列出错误行，确认后导入', async ({ page }) => {
  await page.goto('/login');
  await page.fill('input[name="username"]', 'admin');
  await page.fill('input[name="password"]', 'demo-password');
  await page.getByRole('button', { name: '登录' }).click();
  await expect(page).toHaveURL(/\/$/);

  await page.goto('/students/import');
  await expect(page.getByRole('heading', { name: '导入学生名册' })).toBeVisible();
  const csv = '姓名,性别,出生日期,学籍号,年级,班级\n' +
    '端木子涵,女,2016-04-05,G441622201604050505,三年级,1班\n' +
    '坏数据,未知,2016-04-05,G441622201604050506,三年级,1班\n';
  await page.setInputFiles('input[name="file"]', {
    name: '名册.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(csv, 'utf-8'),
  });
  await page.getByRole('button', { name: '检查文件（预览）' }).click();
  const report = page.getByTestId('import-report');
  await expect(report).toContainText('预览结果');
  await expect(report).toContainText('1 名新学生将添加');
  const errors = page.getByTestId('import-error');
  await expect(errors).toHaveCount(1);
  await expect(errors.first()).toContainText('3');
  await expect(errors.first()).toContainText('性别');

  await page.getByRole('button', { name: /确认导入/ }).click();
  await expect(report).toContainText('导入完成');
  await expect(report).toContainText('1 名新学生已添加');

  await page.goto('/students');
  await expect(page.getByTestId('student-row').filter({ hasText: '端木子涵' })).toHaveCount(1);
});
