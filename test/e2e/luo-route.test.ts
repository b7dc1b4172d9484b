/**
 * The real LUO route (issue 14): lusim's LUO kernel (Debian linux-source-7.3 with
 * kexec/luo-kernel/config.ts, built by `npx tsx bench/luo-kernel.ts`) kexecs into itself, and the
 * handover range crosses in a memfd preserved in LUO session "lusim" (kexec/run/luo-route.ts): kernel
 * A's agent copies the range into the memfd and zeroes the range, kernel B's retrieves the memfd and
 * writes the bytes back, so the range's survival check proves LUO carried them. The guest kernels
 * save and restore (lusim_pci.ko built against the LUO kernel's own tree). Beside it the Debian
 * kernels keep the memmap= route (test/e2e/real-cycle-kernel.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { findLuoKernel } from '../../kexec/luo-kernel/build.js';
import { runRealCycle } from '../../kexec/run/real-cycle.js';
import { parseRealDevices } from '../../kexec/topology/real-devices.js';

const luo = findLuoKernel();
// npm test's set-up builds it (`lusim kernels build-luo`, scripts/test.ts); a vitest run without it skips, and says so.
const skip = luo === undefined;
const why = skip ? ' (SKIPPED: the LUO kernel is not built; run `npx lusim kernels build-luo`)' : '';

describe('real LUO: the built kernel into itself', () => {
  it.skipIf(skip)(`the range crosses in a preserved memfd; the kernels' own save and restore as on the memmap route${why}`, async () => {
    const r = await runRealCycle({ endpoints: parseRealDevices('e1000e,nvme'), from: luo!, to: luo!, format: 'linux-blob', saver: 'kernel', fetch: false });
    expect(r.error, JSON.stringify(r.error)).toBeUndefined();
    expect(r.handover).toMatchObject({ route: 'luo', survived: { intact: true } });
    expect(r.handover!.luo!.preserved).toMatch(/^ok preserved 1048576 bytes in session lusim token 0x6c7573696d; range zeroed$/);
    expect(r.handover!.luo!.retrieved).toMatch(/^ok retrieved 1048576 bytes from session lusim token 0x6c7573696d; session finished$/);
    for (const d of r.devices) {
      expect(d.kernel!.save, d.id).toMatchObject({ ret: 0, differences: [] });
      expect(d.kernel!.load, d.id).toMatchObject({ ret: 0, model: { ret: 0 } });
      expect(d.kernel!.restoredVsPredicted, d.id).toEqual([]);
    }
    console.log(`real-cycle LUO ${r.kernels!.from.release} -> itself: ${r.totalMs} ms (${r.phases.map((p) => `${p.name} ${p.ms}`).join(', ')})`);
  }, 300_000);
});
