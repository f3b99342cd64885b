import { test, expect, type Page } from '@playwright/test';
import { login } from '../fixtures/app';

/** Chooses `csv` as the roster file on /students/import and asks for the preview. */
async function previewRoster(page: Page, name: string, csv: string): Promise<void> {
  await page.goto('/students/import');
  await expect(page.getByRole('heading', { name: '导入学生名册' })).toBeVisible();
  await page.setInputFiles('input[name="file"]', {
    name,
    mimeType: 'text/csv',
    buffer: Buffer.from(csv, 'utf-8'),
  });
  await page.getByRole('button', { name: '检查文件（预览）' }).click();
}

// A school admin imports a small roster on a phone-sized screen: the preview
// explains the bad row, the commit adds the good one, and it shows up in 学生.
test('学校管理员导入名册：预览列出错误行，确认后导入', async ({ page }) => {
  await page.goto('/login');
  await page.fill('input[name="username"]', 'admin');
  await page.fill('input[name="password"]', 'demo-password');
  await page.getByRole('button', { name: '登录' }).click();
  await expect(page).toHaveURL(/\/$/);

  await previewRoster(page, '名册.csv', '姓名,性别,出生日期,学籍号,年级,班级\n' +
    '端木子涵,女,2016-04-05,G441622201604050505,三年级,1班\n' +
    '坏数据,未知,2016-04-05,G441622201604050506,三年级,1班\n');
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

// Two children of one class with the same name: wherever a teacher picks a
// student, the last digits of the 学籍号 tell them apart.
test('同班同名学生：选择学生时显示学籍号尾号', async ({ browser }) => {
  const admin = await (await browser.newContext()).newPage();
  await login(admin, 'admin');
  await previewRoster(admin, '同名.csv', '姓名,性别,出生日期,学籍号,年级,班级\n' +
    '欧阳同名,男,2015-05-06,G441622201505060401,四年级,2班\n' +
    '欧阳同名,男,2015-07-08,G441622201507080402,四年级,2班\n');
  await expect(admin.getByTestId('import-report')).toContainText('2 名新学生将添加');
  await admin.getByRole('button', { name: /确认导入/ }).click();
  await expect(admin.getByTestId('import-report')).toContainText('2 名新学生已添加');

  // The subject teacher of 四年级(2)班 (the roster reaches the phone on login).
  const teacher = await (await browser.newContext()).newPage();
  await login(teacher, 'teacher');
  await teacher.goto('/visits/new');
  await teacher.getByTestId('student-search').fill('欧阳同名');
  const picks = teacher.getByTestId('pick-student');
  await expect(picks).toHaveCount(2);
  await expect(picks.getByTestId('number-hint')).toHaveText(['学籍号尾号 0401', '学籍号尾号 0402']);
  await picks.nth(1).click();
  await expect(teacher.getByTestId('chosen-student')).toContainText('学籍号尾号 0402');
  // A name no one else in the class has gets no hint.
  await teacher.getByTestId('chosen-student').getByRole('button', { name: '更换' }).click();
  await teacher.getByTestId('student-search').fill('');
  await expect(teacher.getByTestId('pick-student').first().getByTestId('number-hint')).toHaveCount(0);
});
