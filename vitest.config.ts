import { defineConfig } from 'vitest/config';
import { BOOTING } from './test/booting-suites.js';

/**
 * Two groups. Everything hermetic (unit, property, and QEMU in -S mode where no guest CPU runs)
 * runs in parallel first. Then the suites that boot real kernels under TCG run one file at a
 * time, so two guests with 2 vCPUs each never share the 2-core machine with each other or with
 * the other suites. (A kexec'd kernel once missed its 120 s agent timeout in a CI dry run; that
 * may also have been the KASLR decompressor stall under TCG that kexec'd kernels now avoid with
 * nokaslr: docs/real-run.md. Either way, booting suites alone keep their timings meaningful.)
 * Two files run two guests at once on purpose, for `--jobs 2`: test/e2e/suite-qemu.test.ts and
 * test/e2e/fuzz-qemu.test.ts.
 */

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 120_000,
    projects: [
      {
        test: {
          name: 'hermetic',
          include: ['test/**/*.test.ts'],
          exclude: BOOTING,
          testTimeout: 20_000,
          hookTimeout: 120_000,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'booting',
          include: BOOTING,
          testTimeout: 20_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
