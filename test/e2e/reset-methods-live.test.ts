/**
 * The reset issue's real-kernel check, live (kexec/run/real-reset-methods.ts): boot each Debian kernel
 * with e1000e, nvme and modern virtio-net each behind a pcie-root-port, read sysfs reset_method
 * through the agent and compare it with sim/reset-methods' prediction from the host-side capture.
 *
 * Measured (6.1.0-56, 6.12.117, 7.2.13): e1000e "pm bus" (no FLR in QEMU 7.2's e1000e; PM with
 * No_Soft_Reset clear; the root port's secondary bus reset), nvme "flr bus", virtio-net "flr pm
 * bus" (drivers/pci/pci.c pci_reset_fn_methods order); the model predicts the same lists.
 *
 * Needs the kernels in the cache (`lusim kernels fetch --for-tests`); skips without them, except
 * under CI, where that is a failure.
 */
import { describe, expect, it } from 'vitest';
import { findKernel } from '../../kexec/kernels/kernels.js';
import { parseRealDevices } from '../../kexec/topology/real-devices.js';
import { runResetMethodsLive } from '../../kexec/run/real-reset-methods.js';

const EXPECTED = { e1000e: ['pm', 'bus'], nvme: ['flr', 'bus'], 'virtio-net-pci': ['flr', 'pm', 'bus'] };

describe('reset_method of a real kernel vs the model (QEMU TCG, Debian cloud kernels)', () => {
  for (const kernel of ['6.1', '6.12', '7.x']) {
    const skip = findKernel(kernel) === undefined && !process.env.CI;
    const why = skip ? ` (SKIPPED: kernel ${kernel} not cached; run \`npx tsx cli/main.ts kernels fetch --for-tests\`)` : '';
    it.skipIf(skip)(`${kernel}: e1000e, nvme, virtio-net-pci behind root ports${why}`, async () => {
      const r = await runResetMethodsLive({ endpoints: parseRealDevices('e1000e,nvme,virtio-net-pci'), kernel, fetch: false });
      for (const d of r.devices) {
        expect(d.real, d.id).toEqual(EXPECTED[d.id as keyof typeof EXPECTED]);
        expect(d.predicted.resetMethods, `${d.id}: ${d.predicted.reasons.join('; ')}`).toEqual(d.real);
        expect(d.agree).toBe(true);
      }
      expect(r.devices.map((d) => d.driver)).toEqual([null, 'nvme', 'virtio-pci']);
    }, 90_000);
  }
});
