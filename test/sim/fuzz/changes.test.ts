/**
 * The tally of what kernel B made of kernel A's carried state by kind of change
 * (sim/fuzz/changes.ts): the kinds, a split-independent sum, and what the kernel's own code says
 * each kind can do to a linux-blob (pci_load_saved_state, drivers/pci/pci.c; linux-pci.md section
 * 5: each entry is looked up by cap_nr and refused when its size differs; blob order is irrelevant).
 */
import { describe, expect, it } from 'vitest';
import type { CampaignConfig } from '../../../sim/fuzz/campaign.js';
import { changeKind, mergeChanges, orderedChanges, type ChangeTally } from '../../../sim/fuzz/changes.js';
import { ORACLES } from '../../../sim/fuzz/oracles.js';
import { runChunk } from '../../../sim/fuzz/shard.js';
import { KERNEL_PROFILE_IDS } from '../../../sim/linux/profiles.js';

describe('changeKind', () => {
  it('names a drift by its layout and edit, without the register', () => {
    expect(changeKind('6.12', '6.12', undefined)).toBe('none, same kernel');
    expect(changeKind('6.1', '7.1', undefined)).toBe('none, across kernels');
    expect(changeKind('7.1', '7.1', 'pcie:swap(DEVCTL,LNKCTL)')).toBe('pcie:swap');
    expect(changeKind('7.1', '7.1', 'pcie:+reg')).toBe('pcie:+slot');
    expect(changeKind('7.1', '7.1', 'aer:narrow(CAP)')).toBe('aer:narrow');
    expect(changeKind('7.1', '7.1', 'caps:+L1SS')).toBe('caps:+buffer');
    expect(changeKind('7.1', '7.1', 'alloc:-ptm')).toBe('alloc:-step');
    expect(changeKind('7.1', '7.1', 'pcie:widen(RTCTL);pcie:-SLTCTL2')).toBe('several changes');
  });
});

describe('the tally', () => {
  const config: CampaignConfig = { seed: 1, kernels: KERNEL_PROFILE_IDS, formats: ['linux-blob', 'lusim-v1'], flows: ['plain', 'rfc-2025', 'vfio'], oracles: ORACLES };

  it('is the same sum however the cases are split, in the same order once ordered', async () => {
    const one = await runChunk(config, { from: 0, to: 40 });
    const parts = await Promise.all([[0, 13], [13, 14], [14, 40]].map(([from, to]) => runChunk(config, { from, to })));
    const merged = parts.reverse().reduce((t: ChangeTally, p) => mergeChanges(t, p.changes), {});
    expect(JSON.stringify(orderedChanges(merged))).toBe(JSON.stringify(orderedChanges(one.changes)));
    expect(Object.keys(orderedChanges(one.changes))[0]).toBe('none, same kernel');
  });

  it('holds what pci_load_saved_state allows each kind of change, over 400 cases of every kernel pair', async () => {
    const { changes, cycles } = await runChunk(config, { from: 0, to: 400 });
    const total = (f: (c: { refused: number; corrupted: number; stale: number; clean: number }) => number, rows = Object.keys(changes), format?: string) =>
      rows.reduce((n, r) => n + Object.entries(changes[r] ?? {}).filter(([fm]) => !format || fm === format).reduce((m, [, c]) => m + f(c), 0), 0);
    const all = total((c) => c.refused + c.corrupted + c.stale + c.clean);
    // Only plain and rfc-2025 carry A's state: vfio restores B's own saves and is not counted.
    expect(all).toBeGreaterThan(cycles / 3);
    expect(all).toBeLessThan(cycles);
    // Same kernel, no drift: everything saved loads (the identity oracle's ground).
    expect(total((c) => c.refused + c.corrupted + c.stale, ['none, same kernel'])).toBe(0);
    // The self-describing format never restores a register from another's slot (lusim-v1 oracle).
    expect(total((c) => c.corrupted, undefined, 'lusim-v1')).toBe(0);
    // A slot added, dropped, widened or narrowed changes an entry's size: refused, never loaded
    // into the wrong register (clean only for a device without that capability). A stale buffer
    // can still come from the kernel pair (kernel B allocates a buffer A's blob lacks).
    expect(total((c) => c.corrupted, ['pcie:+slot', 'pcie:-slot', 'pcie:widen', 'aer:+slot', 'aer:-slot', 'aer:narrow'], 'linux-blob')).toBe(0);
    expect(total((c) => c.refused, ['pcie:+slot', 'pcie:-slot', 'pcie:widen'], 'linux-blob')).toBeGreaterThan(0);
    // The same sizes in another order load: a swapped slot lands in the other register.
    expect(total((c) => c.corrupted, ['pcie:swap', 'aer:swap'], 'linux-blob')).toBeGreaterThan(0);
    // Entries are found by cap_nr, so a buffer list reordered, shortened or lengthened never loads
    // one buffer's bytes into another (it refuses, or leaves a buffer stale).
    expect(total((c) => c.corrupted, ['caps:swap', 'caps:+buffer', 'caps:-buffer', 'alloc:+step', 'alloc:-step', 'alloc:swap'], 'linux-blob')).toBe(0);
  }, 120_000);
});
