import fs from 'node:fs';

// Removes this run's temporary database and photo store.
export default function globalTeardown(): void {
  const dir = process.env.JIAFANG_E2E_DIR;
  if (dir && dir.includes('jiafang-e2e-')) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
