import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // QEMU end-to-end suites set their own, longer timeouts per test.
    testTimeout: 20_000,
    hookTimeout: 120_000,
    // QEMU runs are CPU-heavy under TCG on a 2-core machine: keep e2e files from running at once.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
