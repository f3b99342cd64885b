import { expect, type Page, test } from '@playwright/test';
import { login, waitUntilOfflineReady } from '../fixtures/app';

async function figure(page: Page, id: string): Promise<number> {
  return Number((await page.getByTestId(id).textContent())!.trim());
}

/** A phone visit (no signature needed) for the first student in the list. */
async function recordPhoneVisit(page: Page, summary: string): Promise<string> {
  await page.goto('/visits/new');
  await page.getByTestId('pick-student').first().click();
  const student = (await page.getByTestId('chosen-student').locator('strong').textContent())!.trim();
  await page.locator('input[name="mode"][value="phone"]').check();
  await page.locator('input[name="met_person"]').fill('李桂兰');
  await page.locator('input[name="met_relation"]').fill('母亲');
  await page.locator('textarea[name="summary"]').fill(summary);
  await page.waitForURL(/\/visits\/new\?draft=/);
  const id = new URL(page.url()).searchParams.get('draft')!;
  await page.getByTestId('save-visit').click();
  await page.waitForURL((url) => url.pathname === '/visits');
  return id;
}

test('离线记录的家访立即显示为“待同步 +1”，同步后计入已完成', async ({ page, context }) => {
  test.setTimeout(90_000);
  await login(page, 'teacher');
  await page.goto('/tasks');
  await waitUntilOfflineReady(page, ['/tasks', '/visits', '/visits/new']);
  await expect(page.getByTestId('quota-required')).toHaveText('15');
  const counted = await figure(page, 'quota-counted');
  await expect(page.getByTestId('quota-pending')).toHaveText('0');
  // The roster is on the phone once the form has been opened online.
  await page.goto('/visits/new');
  await expect(page.getByTestId('pick-student').first()).toBeVisible();

  await context.setOffline(true);
  await recordPhoneVisit(page, '电话了解学生周末在家学习情况。');
  await page.goto('/tasks');
  await expect(page.getByTestId('net-status')).toHaveText('离线');
  await expect(page.getByTestId('quota-pending')).toHaveText('1');
  await expect(page.getByTestId('quota-counted')).toHaveText(String(counted));
  await expect(page.getByTestId('quota-as-of')).toContainText('离线显示');

  await context.setOffline(false);
  await expect(page.getByTestId('quota-counted')).toHaveText(String(counted + 1), { timeout: 30_000 });
  await expect(page.getByTestId('quota-pending')).toHaveText('0');
  await expect(page.getByTestId('quota-remaining')).toHaveText(String(15 - counted - 1));
});

test('校长抽查退回家访记录，教师看到原因并修改后重新计入', async ({ browser }) => {
  test.setTimeout(90_000);
  const teacherContext = await browser.newContext();
  const teacher = await teacherContext.newPage();
  await login(teacher, 'teacher');
  await teacher.goto('/visits/new');
  await expect(teacher.getByTestId('pick-student').first()).toBeVisible();
  const id = await recordPhoneVisit(teacher, '电话沟通：学生近期作业完成情况。');
  await expect(teacher.getByTestId('pending-count')).toBeHidden({ timeout: 30_000 });
  await teacher.goto('/tasks');
  const before = await figure(teacher, 'quota-counted');

  const principalContext = await browser.newContext();
  const principal = await principalContext.newPage();
  await login(principal, 'principal');
  await principal.goto('/reviews');
  const item = principal.locator(`[data-testid="review-item"][data-visit="${id}"]`);
  await expect(item).toBeVisible();
  await item.getByTestId('review-return').click();
  await expect(item.getByRole('alert')).toContainText('退回时请写明原因');
  await item.getByTestId('review-reason').fill('请补充家长的意见和要求');
  await item.getByTestId('review-return').click();
  await expect(item).toBeHidden();

  // The dashboard lists the teacher; the export is a real workbook.
  await principal.goto('/dashboard');
  await expect(principal.getByTestId('teacher-progress')).toContainText('张伟');
  // The school's own dropout rates (the area report is for officers only:
  // asking for it here once showed 没有权限 on the principal's dashboard).
  await expect(principal.getByTestId('dropout-rates')).toContainText('小学');
  await expect(principal.getByTestId('dropout-rates')).toContainText('本月月报');
  await expect(principal.getByText('没有权限')).toHaveCount(0);
  const download = principal.waitForEvent('download');
  await principal.getByTestId('export-school').click();
  expect((await download).suggestedFilename()).toMatch(/家访任务完成情况\.xlsx$/);

  // The teacher sees the return, with its reason, and the count drops.
  await teacher.goto('/tasks');
  await expect(teacher.getByTestId('quota-counted')).toHaveText(String(before - 1));
  await expect(teacher.getByTestId('quota-returned')).toBeVisible();
  await teacher.goto('/visits');
  const row = teacher.locator('[data-testid="visit-row"]').filter({ hasText: '退回' });
  await expect(row.getByTestId('visit-review')).toContainText('请补充家长的意见和要求');
  await teacher.goto(`/visits/view?id=${id}`);
  await expect(teacher.getByTestId('review-banner')).toContainText('退回');
  await teacher.getByTestId('amend-visit').click();
  await teacher.waitForURL(new RegExp(`/visits/new\\?draft=${id}`));
  await expect(teacher.locator('textarea[name="summary"]')).toHaveValue('电话沟通：学生近期作业完成情况。');
  await teacher.locator('textarea[name="parent_opinion"]').fill('希望老师多关注孩子的数学。');
  await teacher.getByTestId('save-visit').click();
  await teacher.waitForURL((url) => url.pathname === '/visits');
  await expect(teacher.getByTestId('pending-count')).toBeHidden({ timeout: 30_000 });

  const res = await teacher.request.get(`/api/v1/visits/${id}`);
  const stored = await res.json();
  expect(stored.revision).toBe(2);
  expect(stored.review_status).toBe('pending');
  expect(stored.parent_opinion).toBe('希望老师多关注孩子的数学。');
  await teacher.goto('/tasks');
  await expect(teacher.getByTestId('quota-counted')).toHaveText(String(before));
  await teacherContext.close();
  await principalContext.close();
});
