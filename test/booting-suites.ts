/** The suites that boot real kernels under TCG (vitest.config.ts runs them one at a time, after the hermetic group; scripts/test.ts times them). */
export const BOOTING = ['test/e2e/boot-kexec.test.ts', 'test/e2e/real-cycle.test.ts', 'test/e2e/real-cycle-kernel.test.ts', 'test/e2e/reset-methods-live.test.ts', 'test/e2e/suite-qemu.test.ts', 'test/e2e/fidelity-topologies.test.ts'];
