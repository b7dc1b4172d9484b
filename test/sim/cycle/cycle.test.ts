/**
 * The simulated cycle (sim/cycle/run.ts): cross-kernel loads of linux-pci.md section 5, layout
 * drift, the VFIO flows, and the verdicts the report gives.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildFunction } from '../../../devices/device.js';
import { parseLspci } from '../../../devices/dump/lspci.js';
import { runCycle } from '../../../sim/cycle/run.js';
import { fixture, parentOf } from './helpers.js';

const problems = (r: Awaited<ReturnType<typeof runCycle>>) => r.fields.filter((f) => ['lost', 'corrupted', 'stale', 'refused'].includes(f.verdict));

describe('linux-pci.md section 5: endpoint with AER, LTR, L1SS and PCIe', () => {
  const ep = fixture('endpoint-l1ss');
  it('6.12 stores a 146-byte blob, 6.1.y a 130-byte one (pci_store_saved_state)', async () => {
    expect((await runCycle(ep(), { from: '6.12', to: '6.12', format: 'linux-blob', flow: 'plain' })).carried.bytes).toBe(146);
    expect((await runCycle(ep(), { from: '6.1', to: '6.1', format: 'linux-blob', flow: 'plain' })).carried.bytes).toBe(146);
    expect((await runCycle(ep(), { from: '6.1.y', to: '6.1.y', format: 'linux-blob', flow: 'plain' })).carried.bytes).toBe(130);
  });
  it('a 6.12 blob into 6.1.y: pci_load_saved_state -EINVAL (no L1SS buffer after the revert a7152be79b62)', async () => {
    const r = await runCycle(ep(), { from: '6.12', to: '6.1.y', format: 'linux-blob', flow: 'plain' });
    expect(r.load.ret).toBe(-22);
    expect(r.load.error).toMatch(/no L1SS buffer/);
  });
  it('a 6.1.y blob into 6.12 loads, and the L1SS buffer keeps kzalloc zeros (stale)', async () => {
    const r = await runCycle(ep(), { from: '6.1.y', to: '6.12', format: 'linux-blob', flow: 'plain' });
    expect(r.load.ret).toBe(0);
    expect(r.notes.join('\n')).toMatch(/L1SS buffer not written by the load \(absent-from-blob\): keeps kzalloc zeros/);
  });
  it('6.1.y into 6.12.y: the stale L1SS buffer holds the enumeration-time save instead (pci_bus_add_device, a2f1e22390ac)', async () => {
    const r = await runCycle(ep(), { from: '6.1.y', to: '6.12.y', format: 'linux-blob', flow: 'plain' });
    expect(r.notes.join('\n')).toMatch(/L1SS buffer not written by the load \(absent-from-blob\): keeps its enumeration-time save/);
  });
  it('lusim-v1 carries the same state across 6.12 -> 6.1.y without refusing (records by register, not position)', async () => {
    const r = await runCycle(ep(), { from: '6.12', to: '6.1.y', format: 'lusim-v1', flow: 'plain' });
    expect(r.load.ret).toBe(0);
    expect(problems(r).filter((f) => f.location !== 'msix')).toEqual([]);
  });
  it('a refused load leaves what the kexec changed unrestored, and says why', async () => {
    const r = await runCycle(ep(), { from: '6.12', to: '6.1.y', format: 'linux-blob', flow: 'plain', preserved: false, driver: 'nvme' });
    const master = r.fields.find((f) => f.field === 'PCI_COMMAND_MASTER');
    expect(master?.verdict).toBe('refused');
    expect(master?.rule).toMatch(/-EINVAL/);
  });
});

describe('layout drift (the October 2025 review question)', () => {
  const e1000e = fixture('e1000e');
  it('swap(DEVCTL,LNKCTL): the Linux blob loads and silently corrupts both registers (pci_load_saved_state checks only ID and size)', async () => {
    const r = await runCycle(e1000e(), { from: '6.12', to: '7.1', format: 'linux-blob', flow: 'plain', drift: 'pcie:swap(DEVCTL,LNKCTL)' });
    expect(r.load.ret).toBe(0);
    const corrupted = r.fields.filter((f) => f.verdict === 'corrupted');
    expect(new Set(corrupted.map((f) => f.register))).toEqual(new Set(['PCI_EXP_DEVCTL', 'PCI_EXP_LNKCTL']));
    expect(corrupted[0].rule).toMatch(/saved PCI_EXP_(LNKCTL|DEVCTL) in those bytes/);
  });
  it('swap(DEVCTL,LNKCTL): lusim-v1 restores every register by identity', async () => {
    const r = await runCycle(e1000e(), { from: '6.12', to: '7.1', format: 'lusim-v1', flow: 'plain', drift: 'pcie:swap(DEVCTL,LNKCTL)' });
    expect(r.fields.filter((f) => f.verdict === 'corrupted')).toEqual([]);
  });
  it('+reg: the Linux blob is refused (EXP size 14 vs 16); lusim-v1 loads and leaves the new register as found', async () => {
    const blob = await runCycle(e1000e(), { from: '6.12', to: '7.1', format: 'linux-blob', flow: 'plain', drift: 'pcie:+reg' });
    expect(blob.load.error).toMatch(/EXP size 14 in the blob vs 16/);
    const v1 = await runCycle(e1000e(), { from: '6.12', to: '7.1', format: 'lusim-v1', flow: 'plain', drift: 'pcie:+reg' });
    expect(v1.load.ret).toBe(0);
    expect(v1.notes.join('\n')).toMatch(/no record for PCI_EXP_DRIFT_NEW: left as found/);
  });
  it('widen(LNKCTL): the blob is refused (EXP 14 vs 16); with SLTCTL2 dropped the size matches, it loads, and the slots after LNKCTL are restored from two bytes off', async () => {
    const refused = await runCycle(e1000e(), { from: '6.12', to: '7.1', format: 'linux-blob', flow: 'plain', drift: 'pcie:widen(LNKCTL)' });
    expect(refused.load.error).toMatch(/EXP size 14 in the blob vs 16/);
    // A PCIe v2 endpoint (DEVCTL2 and LNKCTL2 implemented) below its port.
    const cycle = (format: 'linux-blob' | 'lusim-v1') => runCycle(fixture('endpoint-l1ss')(), { from: '6.12', to: '7.1', format, flow: 'plain', drift: 'pcie:widen(LNKCTL);pcie:-SLTCTL2', ...parentOf('endpoint-l1ss') });
    const shifted = await cycle('linux-blob');
    expect(shifted.load.ret).toBe(0);
    const corrupted = new Set(shifted.fields.filter((f) => f.verdict === 'corrupted').map((f) => f.register));
    expect(corrupted).toEqual(new Set(['PCI_EXP_DEVCTL2', 'PCI_EXP_LNKCTL2']));
    // Kernel B writes LNKCTL and LNKSTA as one dword (pcie_capability_write_dword).
    expect(shifted.timeline.some((w) => w.phase === 'restore B' && w.target === 'dev' && w.step === 'pci_restore_pcie_state' && w.width === 4)).toBe(true);
    const v1 = await cycle('lusim-v1');
    expect(v1.load.ret).toBe(0);
    expect(v1.fields.filter((f) => f.verdict === 'corrupted')).toEqual([]);
  });
  it('aer:narrow(CAP): the blob is refused (ERR 16 vs 14 bytes); lusim-v1 restores the low half it saves', async () => {
    const blob = await runCycle(e1000e(), { from: '6.12', to: '7.1', format: 'linux-blob', flow: 'plain', drift: 'aer:narrow(CAP)' });
    expect(blob.load.error).toMatch(/ERR size 16 in the blob vs 14/);
    const v1 = await runCycle(e1000e(), { from: '6.12', to: '7.1', format: 'lusim-v1', flow: 'plain', drift: 'aer:narrow(CAP)' });
    expect(v1.load.ret).toBe(0);
    expect(v1.fields.filter((f) => f.verdict === 'corrupted')).toEqual([]);
    expect(v1.timeline.some((w) => w.phase === 'restore B' && w.step === 'pci_restore_aer_state' && w.width === 2)).toBe(true);
  });
  it('aer:-ROOT_COMMAND on a root port: the blob is refused (ERR 20 vs 16 bytes); lusim-v1 is not', async () => {
    const rp = fixture('pcie-root-port');
    const blob = await runCycle(rp(), { from: '6.12', to: '7.1', format: 'linux-blob', flow: 'plain', drift: 'aer:-ROOT_COMMAND' });
    expect(blob.load.error).toMatch(/ERR size 20 in the blob vs 16/);
    const v1 = await runCycle(rp(), { from: '6.12', to: '7.1', format: 'lusim-v1', flow: 'plain', drift: 'aer:-ROOT_COMMAND' });
    expect(v1.load.ret).toBe(0);
  });
});

describe('what the kexec loses on every kernel pair', () => {
  it('MSI-X Enable is lost: pci_save_state does not save it and kernel B has no msi_desc for a preserved device', async () => {
    const r = await runCycle(fixture('nvme')(), { from: '6.12', to: '7.1', format: 'linux-blob', flow: 'plain' });
    const lost = r.fields.filter((f) => f.verdict === 'lost');
    expect(lost.map((f) => f.field)).toEqual(['PCI_MSIX_FLAGS_ENABLE']);
    expect(lost[0].mid).toBe(0); // pci_msix_init cleared it at kernel B's enumeration
  });
  it('a device that is not preserved loses bus master at shutdown and gets it back from pci_restore_config_space', async () => {
    const r = await runCycle(fixture('nvme')(), { from: '6.12', to: '7.1', format: 'linux-blob', flow: 'plain', preserved: false });
    const master = r.fields.find((f) => f.field === 'PCI_COMMAND_MASTER')!;
    expect([master.before, master.mid, master.after, master.verdict]).toEqual([1, 0, 1, 'restored']);
    expect(master.writers).toContain('pci_restore_config_space');
  });
});

describe('VFIO flows', () => {
  it('rfc-2025: the carried open-time blob restores the device at close in the new kernel', async () => {
    const r = await runCycle(fixture('nvme')(), { from: '6.12', to: '7.1', format: 'linux-blob', flow: 'rfc-2025' });
    expect(r.reference).toBe('vfio-open');
    expect(r.resetWorks).toEqual({ old: true, new: true });
    expect(problems(r)).toEqual([]);
  });
  it('rfc-2025 with a refused blob: vfio_pci_core_disable snapshots the current state, resets and restores that', async () => {
    const r = await runCycle(fixture('nvme')(), { from: '6.12', to: '7.1', format: 'linux-blob', flow: 'rfc-2025', drift: 'pcie:+reg' });
    expect(r.load.ret).toBe(-22);
    expect(r.notes.join('\n')).toMatch(/Couldn't reload saved state/);
  });
  it('vfio (no handover): kernel B restores its own open-time save, not kernel A\'s state', async () => {
    const r = await runCycle(fixture('e1000e')(), { from: '6.12', to: '7.1', format: 'linux-blob', flow: 'vfio' });
    for (const f of problems(r)) expect(f.rule).toMatch(/own pci_save_state/);
  });
});

describe('kernel A\'s driver in the plain flow', () => {
  // The rule a real run found (test/sim/kexec-sim/shutdown-configure.test.ts, docs/fuzz.md seed 55):
  // virtio-pci takes MSI-X only with 2 or more table entries (virtio_pci_common.c vp_find_vqs).
  it('a virtio device with a one-entry MSI-X table runs on INTx: no MSI-X Enable, no INTX_DISABLE in the operational state', async () => {
    const dump = parseLspci(readFileSync('fixtures/qemu/virtio-net.lspci', 'utf8'))[0];
    let msix = dump.bytes[0x34];
    while (msix && dump.bytes[msix] !== 0x11) msix = dump.bytes[msix + 1];
    const oneEntry = () => { const b = dump.bytes.slice(); b[msix + 2] = 0; return buildFunction({ ...dump, bytes: b }); };
    const r = await runCycle(oneEntry(), { from: '6.12', to: '6.12', format: 'linux-blob', flow: 'plain' });
    const before = (name: string) => r.fields.find((f) => f.field === name)!.before;
    expect(before('PCI_MSIX_FLAGS_ENABLE')).toBe(0);
    expect(before('PCI_COMMAND_INTX_DISABLE')).toBe(0);
    expect(r.notes.some((n) => n.startsWith('vp_find_vqs:'))).toBe(true);
    const three = await runCycle(fixture('virtio-net')(), { from: '6.12', to: '6.12', format: 'linux-blob', flow: 'plain' });
    expect(three.fields.find((f) => f.field === 'PCI_MSIX_FLAGS_ENABLE')!.before).toBe(1);
  });
});
