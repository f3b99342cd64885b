// Benchmarks (not tests): `make bench` prints figures; nothing here fails on
// a number. Same server setup as the end-to-end tests.
import { defineConfig } from '@playwright/test';
import base from './playwright.config';

export default defineConfig({
  ...base,
  testDir: 'bench',
  testMatch: /.*\.bench\.ts/,
  timeout: 300_000,
});
