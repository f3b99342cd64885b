import { expect, test } from '@playwright/test';
import { drawJpeg, hasExif, jpegSize, withExif } from '../fixtures/images';
import { login, waitUntilOfflineReady } from '../fixtures/app';
import { draftId, fillBasics, serverVisit, sign } from '../fixtures/visit-form';

test('离线填写家访记录（12MP 照片 + 家长签名），重新加载不丢失，联网后自动同步且只保存一次', async ({
  page,
  context,
}) => {
  test.setTimeout(120_000);
  await login(page, 'head');
  await page.goto('/visits');
  await waitUntilOfflineReady(page);
  // Open the form once online so the roster is on the phone.
  await page.goto('/visits/new');
  await expect(page.getByTestId('pick-student').first()).toBeVisible();
  const photo = withExif(await drawJpeg(page, 4000, 3000), 6);

  await context.setOffline(true);
  await page.goto('/visits/new');
  await expect(page.getByTestId('net-status')).toHaveText('离线');
  const student = await fillBasics(page, '了解学生在家学习情况，约定每周电话沟通。');
  const id = draftId(page);

  // A 12 MP photo with EXIF orientation 6 and GPS, from the gallery input.
  const started = Date.now();
  await page.getByTestId('photo-gallery').setInputFiles({ name: 'IMG_0001.jpg', mimeType: 'image/jpeg', buffer: photo });
  await expect(page.getByTestId('photo-thumb')).toHaveCount(1, { timeout: 30_000 });
  console.log(`12 MP photo prepared on the page in ${Date.now() - started} ms`);
  await sign(page);

  // Reload with no network: everything is still there.
  await page.reload();
  await expect(page.getByTestId('chosen-student')).toContainText(student);
  await expect(page.locator('textarea[name="summary"]')).toHaveValue('了解学生在家学习情况，约定每周电话沟通。');
  await expect(page.getByTestId('photo-thumb').locator('img')).toHaveCount(1);
  await expect(page.getByTestId('signature-preview')).toBeVisible();

  await page.getByTestId('save-visit').click();
  await page.waitForURL((url) => url.pathname === '/visits');
  const row = page.getByTestId('visit-row').filter({ hasText: student }).first();
  await expect(row.getByTestId('visit-state')).toHaveText('待同步');
  await expect(page.getByTestId('pending-count')).toHaveText('待同步 1');

  // Closing the page and coming back offline keeps the record in the outbox.
  await page.reload();
  await expect(page.getByTestId('visit-row').filter({ hasText: student }).first().getByTestId('visit-state')).toHaveText('待同步');

  // Back in signal: it syncs by itself.
  await context.setOffline(false);
  await expect(page.getByTestId('visit-row').filter({ hasText: student }).first().getByTestId('visit-state')).toHaveText(
    '已同步',
    { timeout: 30_000 },
  );
  await expect(page.getByTestId('pending-count')).toBeHidden();

  const stored = await serverVisit(page, id);
  expect(stored).toHaveLength(1);
  expect(stored[0].photos).toHaveLength(1);
  expect(stored[0].signature).not.toBeNull();

  const file = await page.request.get(`/api/v1/attachments/${stored[0].photos[0]}`);
  expect(file.status()).toBe(200);
  const bytes = Buffer.from(await file.body());
  expect(hasExif(bytes)).toBe(false);
  const size = jpegSize(bytes);
  expect(Math.max(size.width, size.height)).toBeLessThanOrEqual(1600);
  // Orientation 6 turns the landscape original upright: portrait, with the
  // original top (red) on the right.
  expect(size.height).toBeGreaterThan(size.width);
  const colours = await page.evaluate(async (sha) => {
    const blob = await (await fetch(`/api/v1/attachments/${sha}`)).blob();
    const bitmap = await createImageBitmap(blob);
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(bitmap, 0, 0);
    const at = (x: number, y: number) => Array.from(ctx.getImageData(x, y, 1, 1).data.slice(0, 3));
    return { left: at(20, bitmap.height / 2), right: at(bitmap.width - 20, bitmap.height / 2) };
  }, stored[0].photos[0]);
  expect(colours.right[0]).toBeGreaterThan(colours.right[2]);
  expect(colours.left[2]).toBeGreaterThan(colours.left[0]);

  const signature = await page.request.get(`/api/v1/attachments/${stored[0].signature}`);
  expect(signature.status()).toBe(200);
  expect((await signature.body()).length).toBeLessThanOrEqual(30 * 1024);
});

test('同步中途断网（照片已传、记录未传；服务器已保存但应答丢失）后重试：只有一条记录，照片齐全', async ({ page }) => {
  test.setTimeout(120_000);
  await login(page, 'head');
  await page.goto('/visits/new');
  await expect(page.getByTestId('pick-student').first()).toBeVisible();
  const photo = await drawJpeg(page, 1200, 900);

  // Cut 1: the photo reaches the server, the visit never does.
  let attachmentPuts = 0;
  await page.route('**/api/v1/attachments/*', async (route) => {
    if (route.request().method() === 'PUT') attachmentPuts++;
    await route.continue();
  });
  // The phone sends its records in batches (`POST /api/v1/visits/batch`).
  let visitSends = 0;
  await page.route('**/api/v1/visits/batch', async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    visitSends++;
    if (visitSends === 1) return route.abort('connectionreset');
    if (visitSends === 2) {
      // Cut 2: the server stores the visit, the answer is lost.
      await route.fetch();
      return route.abort('connectionreset');
    }
    return route.continue();
  });

  const student = await fillBasics(page, '缺勤回访：孩子感冒，已康复，明天返校。');
  const id = draftId(page);
  await page.locator('select[name="reason"]').selectOption('absence');
  await page.getByTestId('photo-gallery').setInputFiles({ name: 'a.jpg', mimeType: 'image/jpeg', buffer: photo });
  await expect(page.getByTestId('photo-thumb')).toHaveCount(1);
  await sign(page);
  await page.getByTestId('save-visit').click();
  await page.waitForURL((url) => url.pathname === '/visits');

  const state = page.getByTestId('visit-row').filter({ hasText: student }).first().getByTestId('visit-state');
  // The engine retries by itself (2 s, 4 s …) until the server confirms.
  await expect(state).toHaveText('已同步', { timeout: 60_000 });
  expect(visitSends).toBeGreaterThanOrEqual(3);
  // Photo and signature were each sent once: marked uploaded as soon as the server had them.
  expect(attachmentPuts).toBe(2);
  await expect(page.getByTestId('pending-count')).toBeHidden();

  const stored = await serverVisit(page, id);
  expect(stored).toHaveLength(1);
  expect(stored[0].revision).toBe(1);
  expect(stored[0].photos).toHaveLength(1);
  expect(stored[0].signature).not.toBeNull();
});

test('未签名时必须填写原因，表单用中文提示', async ({ page }) => {
  await login(page, 'head');
  await page.goto('/visits/new');
  await page.getByTestId('pick-student').first().click();
  await page.getByTestId('save-visit').click();
  await expect(page.getByTestId('form-errors')).toContainText('请填写谈话要点');
  await expect(page.getByTestId('form-errors')).toContainText('请家长签名');
  await page.locator('textarea[name="summary"]').fill('电话沟通后上门，家长在田里劳作。');
  await page.locator('input[name="no_signature"]').check();
  await page.locator('input[name="no_signature_reason"]').fill('家长不识字，按手印不便');
  await page.getByTestId('save-visit').click();
  await page.waitForURL((url) => url.pathname === '/visits');
  await expect(page.getByTestId('visit-row').first()).toContainText('家长未签名');
});
