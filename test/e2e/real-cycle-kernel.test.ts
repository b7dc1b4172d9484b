/**
 * The real cycle with the guest kernels as saver (--saver kernel, kexec/run/real-kernel-saver.ts):
 * kernel A's own pci_save_state + pci_store_saved_state through lusim's module, the real blob
 * carried in a handover slot across a real kexec, kernel B's own pci_load_saved_state and
 * pci_restore_state. e1000e and nvme behind pcie-root-ports in one VM, Debian cloud kernels.
 *
 * What these runs measured (and pin), on 6.1.0-57, 6.12.117 and 7.2.13:
 *  - The real blobs equal the model's byte for byte: nvme 94 bytes, one EXP entry of 14 bytes;
 *    e1000e 118 bytes, AER (16) then EXP (14): the AER buffer is added at the list head after
 *    the EXP one (pci_allocate_cap_save_buffers -> pci_add_ext_cap_save_buffer, hlist_add_head),
 *    as ../shared/docs/guest-module.md measured and linux-pci.md section 5 derives.
 *  - Kernel B's pci_load_saved_state returns 0 across 6.12 -> 6.1 and 7.x -> 6.12, and the state
 *    kernel B's pci_restore_state leaves equals the model's prediction register for register.
 *  - With the EXP entry grown to 16 bytes (--drift pcie:+reg) kernel B (7.2) returns -22 for both
 *    devices, as the model's pci_load_saved_state does; it had copied config_space and, for
 *    e1000e, the AER entry before it (blob order), and refused at the EXP entry.
 *  - QEMU's pci_cfg_write trace (6.12 -> 6.1): kernel A's save writes nothing; kernel B's restore
 *    writes the registers the model's pci_restore_state writes, in its order; the preserved nvme
 *    still takes about 40 writes between A's save and B's restore (A's shutdown, B's BAR sizing
 *    and probe, B's unbind).
 */
import { describe, expect, it } from 'vitest';
import { findKernel } from '../../kexec/kernels/kernels.js';
import { runRealCycle } from '../../kexec/run/real-cycle.js';
import type { RealCycleReport } from '../../kexec/run/real-cycle-report.js';
import { parseRealDevices } from '../../kexec/topology/real-devices.js';
import { parseDrift } from '../../sim/linux/drift.js';
import { buildModule } from '../../kexec/guest-module/build.js';
import { GuestModule } from '../../kexec/guest-module/client.js';
import { cacheRoot, requireKernel } from '../../kexec/kernels/kernels.js';
import { Phases, startGuest } from '../../kexec/run/real-session.js';
import { renderRealCycle } from '../../cli/commands/cycle-qemu.js';

const haveAll = ['6.1', '6.12', '7'].every((k) => findKernel(k) !== undefined);
const skip = !haveAll && !process.env.CI;
const why = skip ? ' (SKIPPED: kernels not cached; run `npx tsx cli/main.ts kernels fetch --for-tests`)' : '';

const EXP = { capNr: 0x10, extended: false, size: 14 };
const AER = { capNr: 0x01, extended: true, size: 16 };

function device(r: RealCycleReport, id: string) {
  const d = r.devices.find((x) => x.id === id);
  if (!d?.kernel) throw new Error(`no kernel-saver result for ${id}: ${JSON.stringify(r.error)}`);
  return d;
}

function checkBlobs(r: RealCycleReport): void {
  expect(r.error, JSON.stringify(r.error)).toBeUndefined();
  expect(r.handover?.survived).toMatchObject({ intact: true });
  const nvme = device(r, 'nvme').kernel!;
  expect(nvme.save).toMatchObject({ ret: 0, real: { size: 94, entries: [EXP] }, model: { size: 94, entries: [EXP] }, differences: [] });
  const e1000e = device(r, 'e1000e').kernel!;
  expect(e1000e.save).toMatchObject({ ret: 0, real: { size: 118, entries: [AER, EXP] }, model: { size: 118, entries: [AER, EXP] }, differences: [] });
  for (const d of r.devices) expect(d.kernel!.save.real.hex).toBe(d.kernel!.save.model!.hex);
}

function checkClean(r: RealCycleReport): void {
  checkBlobs(r);
  for (const id of ['nvme', 'e1000e']) {
    const d = device(r, id);
    expect(d.kernel!.load, id).toMatchObject({ ret: 0, model: { ret: 0 } });
    expect(d.kernel!.load.refusedAt).toBeUndefined();
    expect(d.kernel!.restoredVsPredicted, id).toEqual([]);
    expect(d.modelDifferences, id).toEqual([]);
  }
  expect(device(r, 'nvme').fields!.map((f) => `${f.field}:${f.verdict}`).sort()).toEqual(['PCI_COMMAND_INTX_DISABLE:restored', 'PCI_COMMAND_MASTER:restored', 'PCI_MSIX_FLAGS_ENABLE:lost']);
  expect(device(r, 'e1000e').fields).toEqual([]);
}

/**
 * A's shutdown and B's boot, write by write, on any pair: the model writes nothing kernel B does
 * not, and kernel B nothing the model does not. Until 2026-12-08 a 6.x kernel B had one LNKCTL
 * write more per endpoint: the stable trees' pci_configure_rcb (sim/kexec-sim/versions.ts).
 */
function checkBootB(r: RealCycleReport): void {
  const c = r.writeTrace!.comparison!;
  for (const d of r.devices) {
    for (const phase of ['shutdown A', 'boot B']) {
      const g = c.groups.find((x) => x.phase === phase && x.device === d.bdf);
      if (g) expect(g, `${phase} ${d.id}`).toMatchObject({ onlyModel: 0, onlyReal: 0 });
    }
  }
  console.log(`write trace vs model ${r.kernels!.from.release} -> ${r.kernels!.to.release}: agreement ${(c.agreement * 100).toFixed(1)}% (${c.groups.map((g) => `${g.phase} ${g.device} ${g.matched}/${g.matched + g.onlyReal + g.onlyModel}`).join(', ')})`);
}

const phases = (r: RealCycleReport) => `${r.totalMs} ms (${r.phases.map((p) => `${p.name} ${p.ms}`).join(', ')})`;

describe('real cycle, the guest kernels save and restore (lusim_pci module, real kexec)', () => {
  it.skipIf(skip)(`6.12 -> 6.1: the real blob is the model's, pci_load_saved_state returns 0, the restore matches the prediction${why}`, async () => {
    const r = await runRealCycle({ endpoints: parseRealDevices('e1000e,nvme'), from: '6.12', to: '6.1', format: 'linux-blob', saver: 'kernel', fetch: false, writeTrace: true });
    checkClean(r);
    // QEMU's pci_cfg_write trace: kernel A's pci_save_state only reads; kernel B's pci_restore_state
    // writes exactly the config registers the model's does, in the same order.
    const t = r.writeTrace!;
    for (const d of r.devices) {
      const traced = t.timeline.filter((w) => w.device === d.bdf);
      expect(traced.filter((w) => w.step === 'save A (kernel)'), d.id).toEqual([]);
      const restore = traced.filter((w) => w.step === 'restore B (kernel)').map((w) => w.offset);
      expect(restore, d.id).toEqual(d.kernel!.modelRestoreWrites.map((w) => w.offset));
      console.log(`write trace ${d.id}: ${restore.length}/${d.kernel!.modelRestoreWrites.length} restore writes matched; ${t.betweenSaveAndRestore.find((x) => x.id === d.id)!.writes.length} writes hit it between A's save and B's restore`);
    }
    // The preserved nvme is not left alone: A's shutdown and B's enumeration and probe write it.
    expect(t.betweenSaveAndRestore.find((x) => x.id === 'nvme')!.writes.length).toBeGreaterThan(0);
    // The model's writes beside QEMU's, write by write (sim/write-log/compare.ts), in phases the
    // guest's own markers split (kexec/qemu/write-trace.ts): A's shutdown apart from B's boot.
    expect(t.split).toEqual({ firmware: true, modules: 2, kexec: true, bootB: true });
    const c = t.comparison!;
    const group = (phase: string, bdf: string) => c.groups.find((g) => g.phase === phase && g.device === bdf);
    for (const d of r.devices) {
      // A's shutdown (nvme: its ->shutdown frees the vectors, pci_device_shutdown clears bus
      // master), B's unbind and B's restore: every write agrees, in order.
      for (const phase of ['shutdown A', 'unbind B', 'restore B']) {
        const g = group(phase, d.bdf);
        if (g) expect(g, `${phase} ${d.id}`).toMatchObject({ onlyModel: 0, onlyReal: 0 });
      }
      // B's boot: pci_setup_device (INTx toggle, per-BAR sizing on 6.1), pci_device_add, 6.1.y's
      // pci_configure_rcb (in the stable trees since 6.1.165: its LNKCTL write of the value it
      // holds, which this test pinned as unexplained until 2026-12-08), ASPM's common clock and
      // nvme's probe (MSI-X twice) agree write by write.
      const boot = group('boot B', d.bdf)!;
      expect(boot, `boot B ${d.id}`).toMatchObject({ onlyModel: 0, onlyReal: 0 });
      expect(c.matched.some((m) => m.model.device === d.bdf && m.model.fn === 'pci_configure_rcb'), d.id).toBe(true);
    }
    expect(c.matched.filter((m) => m.model.fn === '__pci_read_base').length).toBeGreaterThanOrEqual(2 * 14);
    // What `lusim cycle --qemu --timeline` prints of it.
    const text = renderRealCycle(r);
    expect(text).toMatch(/phases: kernel A's shutdown apart from B's boot \(guest markers: 2 module loads/);
    expect(text).toMatch(/shutdown A 02:00.0: 3 matched, 0 only real, 0 only model/);
    console.log(`write trace vs model: ${c.matched.length} matched, ${c.onlyReal.length} only real, ${c.onlyModel.length} only model (agreement ${(c.agreement * 100).toFixed(1)}%): ${c.groups.map((g) => `${g.phase} ${g.device} ${g.matched}/${g.matched + g.onlyReal + g.onlyModel}`).join(', ')}`);
    console.log(`real-cycle --saver kernel 6.12 -> 6.1: ${phases(r)}`);
  }, 240_000);

  it.skipIf(skip)(`7.x -> 6.12: the same across the other pair${why}`, async () => {
    const r = await runRealCycle({ endpoints: parseRealDevices('e1000e,nvme'), from: '7.x', to: '6.12', format: 'linux-blob', saver: 'kernel', fetch: false, writeTrace: true });
    checkClean(r);
    checkBootB(r);
    console.log(`real-cycle --saver kernel 7.x -> 6.12: ${phases(r)}`);
  }, 240_000);

  it.skipIf(skip)(`6.1 -> 7.x with pcie:+reg: the real kernel B returns -22 after copying what precedes the EXP entry${why}`, async () => {
    const r = await runRealCycle({ endpoints: parseRealDevices('e1000e,nvme'), from: '6.1', to: '7.x', format: 'linux-blob', saver: 'kernel', drift: parseDrift('pcie:+reg'), fetch: false, writeTrace: true });
    checkBlobs(r);
    // Kernel B is 7.x: pci_read_bases sizes every BAR under one decode toggle (batched).
    checkBootB(r);
    const refused = 'std cap 0x10: size 16 in the blob vs 14 in kernel B\'s buffer';
    expect(device(r, 'nvme').kernel!.load).toMatchObject({ ret: -22, model: { ret: -22 }, copied: ['config_space (64 bytes)'], refusedAt: refused });
    expect(device(r, 'e1000e').kernel!.load).toMatchObject({ ret: -22, model: { ret: -22 }, copied: ['config_space (64 bytes)', 'ext cap 0x01 (16 bytes)'], refusedAt: refused });
    for (const d of r.devices) {
      expect(d.kernel!.save.carried?.size, d.id).toBe(d.kernel!.save.real.size + 2);
      expect(d.kernel!.restoredVsPredicted, d.id).toEqual([]);
      expect(d.modelDifferences, d.id).toEqual([]);
    }
    console.log(`real-cycle --saver kernel 6.1 -> 7.x, pcie:+reg: ${phases(r)}`);
  }, 240_000);

  it.skipIf(skip)(`a module the kernel refuses (built for another kernel) is a typed load error with the kernel's own messages${why}`, async () => {
    const k612 = requireKernel('6.12');
    const wrong = await buildModule(requireKernel('6.1'), cacheRoot());
    const s = await startGuest({ endpoints: parseRealDevices('nvme'), chain: [k612], guestModules: new Map([[k612.release, wrong.bytes]]) }, new Phases());
    try {
      const e = await new GuestModule(s.agent).load().then(() => undefined, (x: unknown) => x);
      expect(e).toMatchObject({ name: 'GuestModuleError', code: 'load-failed' });
      // insmod's ENOEXEC, and the 6.12 kernel's own reason from its log (kernel/module/main.c:
      // 6.1's struct module has another size).
      expect((e as Error).message).toMatch(/invalid module format/);
      expect((e as { details: { dmesg: string[] } }).details.dmesg.join('\n')).toMatch(/module lusim_pci: .*struct module size/);
    } finally {
      await s.close();
    }
  }, 120_000);
});
