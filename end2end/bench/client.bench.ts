// Client figures for the offline-visit issue: bundle size (gzip, brotli)
// against the 300 KB budget, and the time and size of turning a 12 MP
// camera photo into the ≤ 1600 px JPEG the phone keeps, against the
// browser's bare decode of the same file measured in the same run.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { expect, test } from '@playwright/test';
import { drawJpeg, withExif } from '../fixtures/images';

const pkg = path.resolve(__dirname, '../../target/site/pkg');
const BUDGET = 300 * 1024;
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

test('bundle size', async () => {
  let gzipTotal = 0;
  let brotliTotal = 0;
  for (const name of ['jiafang.wasm', 'jiafang.js', 'jiafang.css']) {
    const bytes = fs.readFileSync(path.join(pkg, name));
    const gzip = zlib.gzipSync(bytes, { level: 9 }).length;
    const brotli = zlib.brotliCompressSync(bytes, {
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 },
    }).length;
    gzipTotal += gzip;
    brotliTotal += brotli;
    console.log(`${name.padEnd(14)} raw ${kb(bytes.length).padStart(10)}  gzip ${kb(gzip).padStart(9)}  brotli ${kb(brotli).padStart(9)}`);
  }
  console.log(`total          gzip ${kb(gzipTotal)} (${(gzipTotal / BUDGET).toFixed(2)}× budget)  brotli ${kb(brotliTotal)} (${(brotliTotal / BUDGET).toFixed(2)}× budget 300 KB)`);
  // What the server actually sends: the files `make build` compressed once.
  let served = 0;
  for (const name of ['jiafang.wasm', 'jiafang.js', 'jiafang.css']) {
    const br = path.join(pkg, `${name}.br`);
    if (!fs.existsSync(br)) {
      console.log(`no ${name}.br: built without --precompress (use make build); served on the fly at brotli level 4`);
      return;
    }
    served += fs.statSync(br).size;
  }
  console.log(`served precompressed (brotli): ${kb(served)} (${(served / BUDGET).toFixed(2)}× budget 300 KB)`);
});

test('12 MP photo on the phone', async ({ page }) => {
  await page.goto('/login');
  await page.locator('input[name="username"]').fill('head');
  await page.locator('input[name="password"]').fill('demo-password');
  await page.getByRole('button', { name: '登录', exact: true }).click();
  await page.waitForURL((url) => url.pathname === '/');
  const photo = withExif(await drawJpeg(page, 4000, 3000), 6);
  console.log(`input: 4000×3000 JPEG with EXIF orientation 6, ${kb(photo.length)}`);

  // Baseline: the browser only decoding the same file.
  const decodeMs = await page.evaluate(async (b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const blob = new Blob([bytes], { type: 'image/jpeg' });
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      const bitmap = await createImageBitmap(blob);
      bitmap.close();
      runs.push(performance.now() - t);
    }
    return Math.min(...runs);
  }, photo.toString('base64'));

  const runs: number[] = [];
  const sizes: number[] = [];
  for (let i = 0; i < 3; i++) {
    await page.goto('/visits/new');
    await page.getByTestId('pick-student').first().click();
    const start = Date.now();
    await page.getByTestId('photo-gallery').setInputFiles({ name: `p${i}.jpg`, mimeType: 'image/jpeg', buffer: photo });
    await expect(page.getByTestId('photo-thumb')).toHaveCount(1, { timeout: 60_000 });
    runs.push(Date.now() - start);
    const size = await page.evaluate(async () => {
      const url = document.querySelector<HTMLImageElement>('[data-testid="photo-thumb"] img')!.src;
      return (await (await fetch(url)).blob()).size;
    });
    sizes.push(size);
  }
  const best = Math.min(...runs);
  console.log(`baseline decode only: ${decodeMs.toFixed(0)} ms`);
  console.log(`prepare (decode, orient, resize ≤1600 px, JPEG, SHA-256, IndexedDB): best ${best} ms of ${runs.join('/')} ms = ${(best / decodeMs).toFixed(2)}× baseline; goal ≤ 1000 ms`);
  console.log(`output: ${sizes.map(kb).join(' / ')}; goal ≤ 350 KB`);
});
