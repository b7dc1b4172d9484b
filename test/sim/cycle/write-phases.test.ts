/** A modelled cycle's timeline in the phases of a real run, ready for compareWriteLogs. */
import { describe, expect, it } from 'vitest';
import { runCycle } from '../../../sim/cycle/run.js';
import { cycleWriteLog, cycleWritePhase } from '../../../sim/cycle/write-phases.js';
import { compareWriteLogs } from '../../../sim/write-log/compare.js';
import { fixture, parentOf } from './helpers.js';

// nvme behind its pcie-root-port, not preserved: firmware, kernel A's enumeration and driver,
// nvme's ->shutdown (pci_disable_device), kernel B's enumeration, the restore.
const cycle = () => runCycle(fixture('nvme', 'auto')(), { from: '6.12', to: '6.1', format: 'linux-blob', flow: 'plain', preserved: false, ...parentOf('nvme', 'auto') });

describe('cycleWriteLog', () => {
  it('puts the firmware steps in firmware, the kexec in shutdown A, kernel B\'s enumeration in boot B', async () => {
    const r = await cycle();
    const log = cycleWriteLog(r);
    expect(log).toHaveLength(r.timeline.length);
    expect(log.filter((w) => w.phase === 'firmware').every((w) => w.fn!.startsWith('firmware:'))).toBe(true);
    expect(log.filter((w) => w.fn!.startsWith('firmware:')).every((w) => w.phase === 'firmware')).toBe(true);
    const shutdown = log.filter((w) => w.phase === 'shutdown A');
    expect(shutdown.at(-1)).toMatchObject({ fn: 'pci_disable_device', device: r.bdf, offset: 0x04 });
    expect(r.timeline.filter((t) => t.phase === 'kexec')).toHaveLength(shutdown.length);
    expect(log.filter((w) => w.phase === 'boot B').map((w) => w.device)).toContain(r.parent!.bdf);
    expect(log.filter((w) => w.phase === 'restore B').map((w) => w.fn)).toContain('pci_restore_config_space');
    expect(log.some((w) => w.phase === 'unbind B')).toBe(false);
  });

  it('names devices by bus:slot.fn, as QEMU\'s trace does', async () => {
    const r = await cycle();
    expect(new Set(cycleWriteLog(r).map((w) => w.device))).toEqual(new Set(['01:00.0', '00:01.0']));
  });

  it('agrees fully with a trace of itself that has no functions, no widths and no BAR writes', async () => {
    const model = cycleWriteLog(await cycle());
    const asTraced = model.filter((w) => w.space === 'config').map((w) => ({ ...w, fn: null, width: null }));
    const c = compareWriteLogs(model, asTraced, { spaces: ['config'] });
    expect(c.agreement).toBe(1);
    expect(c.matched).toHaveLength(asTraced.length);
  });

  it('maps every timeline phase', () => {
    const t = { target: 'dev', offset: 4, width: 2, value: 0, space: 'config' } as const;
    expect(cycleWritePhase({ ...t, phase: 'operate', step: 'firmware:pci_bios_init_device' })).toBe('firmware');
    expect(cycleWritePhase({ ...t, phase: 'operate', step: 'pci_set_master' })).toBe('boot A');
    expect(cycleWritePhase({ ...t, phase: 'enumerate A', step: 'pci_configure_ltr' })).toBe('boot A');
    expect(cycleWritePhase({ ...t, phase: 'save A', step: 'pci_restore_state' })).toBe('save A');
    expect(cycleWritePhase({ ...t, phase: 'kexec', step: 'pci_clear_master' })).toBe('shutdown A');
    expect(cycleWritePhase({ ...t, phase: 'enumerate B', step: 'pci_msix_init' })).toBe('boot B');
    expect(cycleWritePhase({ ...t, phase: 'restore B', step: 'pci_restore_config_space' })).toBe('restore B');
  });
});
