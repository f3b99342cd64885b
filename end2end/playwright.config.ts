import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defineConfig } from '@playwright/test';

// Every run gets a fresh, empty SQLite database and photo store. The config is
// evaluated again in worker processes; they inherit the directory via env.
const runDir =
  process.env.JIAFANG_E2E_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'jiafang-e2e-'));
process.env.JIAFANG_E2E_DIR = runDir;

const repoRoot = path.resolve(__dirname, '..');
const port = 3100;

export default defineConfig({
  testDir: 'tests',
  workers: 1,
  retries: 0,
  reporter: 'list',
  timeout: 60_000,
  forbidOnly: !!process.env.CI,
  globalTeardown: './global-teardown.ts',
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    viewport: { width: 360, height: 640 },
    locale: 'zh-CN',
    serviceWorkers: 'allow',
    // We use Debian's Chromium; Playwright never downloads a browser here.
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
  webServer: {
    command: path.join(repoRoot, 'target/release/jiafang'),
    cwd: repoRoot,
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      JIAFANG_BIND: `127.0.0.1:${port}`,
      JIAFANG_DEMO: '1',
      JIAFANG_DATABASE_URL: `sqlite://${path.join(runDir, 'e2e.sqlite')}?mode=rwc`,
      JIAFANG_STORAGE_DIR: path.join(runDir, 'photos'),
      JIAFANG_SITE_ROOT: path.join(repoRoot, 'target/site'),
      // Server logs are shown in the test output; keep them to problems.
      RUST_LOG: process.env.RUST_LOG ?? 'warn',
    },
  },
});
