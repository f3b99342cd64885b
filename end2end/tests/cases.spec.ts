import { expect, test, type Page } from '@playwright/test';
import { login } from '../fixtures/app';

const today = () => new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);

/** Opens the n-th pupil of 三年级(1)班 still in school (other tests use the
 * first ones); returns the name. */
async function openPupil(page: Page, n: number): Promise<string> {
  await page.goto('/students');
  const row = page.getByTestId('student-row').filter({ hasText: '三年级(1)班' }).filter({ hasText: '在校' }).nth(n);
  const name = (await row.getByRole('link').textContent())?.trim() ?? '';
  await row.getByRole('link').click();
  await expect(page).toHaveURL(/\/students\/\d+$/);
  return name;
}

// A suspected dropout gets a plan and a 劝返 record; the printable
// 劝返情况记录表 shows both.
test('疑似辍学学生：制定一生一案并填写劝返记录', async ({ page }) => {
  await login(page, 'head');
  await openPupil(page, 5);
  await page.getByText('变更学籍状态').click();
  await page.getByLabel('改为').selectOption({ label: '疑似辍学' });
  await page.getByLabel('生效日期').fill(today());
  await page.getByLabel('变更说明').fill('连续 3 天未到校，电话无人接听');
  await page.getByRole('button', { name: '保存变更' }).click();
  await expect(page.getByTestId('student-status')).toContainText('疑似辍学');

  await page.getByTestId('case-link').click();
  await expect(page).toHaveURL(/\/students\/\d+\/case$/);
  await expect(page.getByTestId('no-case')).toBeVisible();
  const form = page.getByTestId('case-form');
  await form.locator('textarea[name="reason"]').fill('厌学，在家帮忙农活');
  await form.locator('textarea[name="plan"]').fill('班主任每周入户；落实营养餐补助；村委协助劝返');
  await form.locator('input[name="responsible"]').fill('王建国、李红梅');
  await form.getByRole('button', { name: '保存方案' }).click();
  await expect(page.getByTestId('case-plan')).toContainText('村委协助劝返');

  // An empty record is refused on the phone, in Chinese.
  await page.getByText('添加劝返记录').click();
  const record = page.getByTestId('persuasion-form');
  await record.getByRole('button', { name: '保存劝返记录' }).click();
  await expect(record.getByRole('alert')).toContainText('请填写劝返人员');
  await record.locator('input[name="persons"]').fill('李红梅、村委张主任');
  await record.locator('textarea[name="result"]').fill('家长同意下周一送孩子返校');
  await record.getByLabel('结果').selectOption({ label: '同意返校' });
  await record.getByRole('button', { name: '保存劝返记录' }).click();
  const records = page.getByTestId('persuasion-records');
  await expect(records).toContainText('家长同意下周一送孩子返校');
  await expect(records).toContainText('同意返校');
  await expect(page.getByTestId('record-sheet')).toContainText('义务教育阶段疑似失学学生劝返情况记录表');

  // The suspected-dropout ledger links to the case file.
  await page.goto('/ledgers');
  await page.getByTestId('ledger-tabs').getByRole('button', { name: /疑似辍学台账/ }).click();
  await expect(page.getByTestId('ledger-table').getByRole('link', { name: '方案与劝返记录' }).first()).toBeVisible();
});

// A pupil put on the 送教上门 list appears with a due date; recording a
// session asks for its length.
test('送教上门：列入名单后显示下次送教日期，记录时填写时长', async ({ page }) => {
  await login(page, 'head');
  const name = await openPupil(page, 6);
  const toggle = page.getByTestId('home-teaching-toggle');
  await toggle.check();
  await expect(page.getByRole('link', { name: '查看送教安排' })).toBeVisible();
  await page.goto('/home-teaching');
  const row = page.getByTestId('home-taught-student').filter({ hasText: name });
  await expect(row).toContainText('下次送教');
  await expect(row).toContainText('本学期送教 0 次');
  await row.getByRole('link', { name: '记录送教' }).click();
  await expect(page).toHaveURL(/reason=home_teaching/);
  await expect(page.locator('input[name="duration_minutes"]')).toBeVisible();
});
