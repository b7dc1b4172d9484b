/**
 * The campaign (issue 10 "Evidence"): the same seed gives the same findings, however the cases are
 * split into shards (--jobs); shrinking takes a planted bug to its minimal layout; the malformed
 * campaign sees typed errors only.
 */
import { describe, expect, it } from 'vitest';
import { batchAt, runBatch, shrinkCase, type CampaignConfig } from '../../../sim/fuzz/campaign.js';
import { casesOf } from '../../../sim/fuzz/case.js';
import { runMalformed } from '../../../sim/fuzz/malformed.js';
import { ORACLES } from '../../../sim/fuzz/oracles.js';
import { mergeFirsts, runChunk } from '../../../sim/fuzz/shard.js';

const CONFIG: CampaignConfig = { seed: 11, kernels: ['6.12', '7.1'], formats: ['linux-blob', 'lusim-v1'], flows: ['plain', 'rfc-2025'], oracles: ORACLES };

describe('determinism', () => {
  it('case i of a seed is the same case every time, and seeds differ', () => {
    expect(batchAt(CONFIG, 5)).toEqual(batchAt(CONFIG, 5));
    expect(batchAt(CONFIG, 5)).not.toEqual(batchAt({ ...CONFIG, seed: 12 }, 5));
  });

  it('one chunk and chunks merged in any order give the same first findings', async () => {
    const one = await runChunk(CONFIG, { from: 0, to: 60 });
    const parts = await Promise.all([[0, 7], [7, 30], [30, 31], [31, 60]].map(([from, to]) => runChunk(CONFIG, { from, to })));
    expect(parts.reduce((n, p) => n + p.cases, 0)).toBe(60);
    expect(parts.reduce((n, p) => n + p.cycles, 0)).toBe(one.cycles);
    expect(mergeFirsts(parts.map((p) => p.firsts).reverse())).toEqual(mergeFirsts([one.firsts]));
    expect(one.firsts.length).toBeGreaterThan(0);
  });
});

describe('--from and --to', () => {
  it('every cycle saves with a --from kernel and restores with a --to kernel (no same-kernel cycles unless --to has one)', () => {
    const config: CampaignConfig = { ...CONFIG, kernels: ['6.1', '6.12', '7.1', '7.3'], from: ['6.12'], to: ['7.1', '7.3'] };
    const cases = Array.from({ length: 40 }, (_, i) => casesOf(batchAt(config, i))).flat();
    expect(cases.length).toBeGreaterThan(40);
    expect(new Set(cases.map((c) => c.from))).toEqual(new Set(['6.12']));
    expect(new Set(cases.map((c) => c.to))).toEqual(new Set(['7.1', '7.3']));
    // Without them both sides draw from --kernels, a third of the cycles restoring with kernel A.
    const open = Array.from({ length: 40 }, (_, i) => casesOf(batchAt({ ...config, from: undefined, to: undefined }, i))).flat();
    expect(open.filter((c) => c.from === c.to).length / open.length).toBeGreaterThan(0.3);
  });
});

describe('shrinking', () => {
  // The planted bug: kernel B's EXP layout has DEVCTL and LNKCTL swapped while its sizes still
  // match and nothing says so (a broken test profile), so even 7.1 -> 7.1 restores each register
  // into the other. Only the PCIe capability matters to it: shrinking must get there from a large
  // random device.
  it('takes a planted bug in a test profile to its minimal layout', async () => {
    const config: CampaignConfig = { seed: 3, kernels: ['7.1'], formats: ['linux-blob'], flows: ['plain'], oracles: ['identity'], plantedDrift: 'pcie:swap(DEVCTL,LNKCTL)' };
    let found: { index: number; cycle: number; signature: string } | undefined;
    for (let index = 0; index < 100 && !found; index++) {
      const b = batchAt(config, index);
      if (b.device.kind !== 'layout' || b.device.layout.std.length + b.device.layout.ext.length < 5) continue;
      const outcomes = await runBatch(config, b);
      const cycle = outcomes.findIndex((o) => o.findings.some((x) => x.oracle === 'identity' && x.kind === 'corrupted'));
      if (cycle >= 0) found = { index, cycle, signature: outcomes[cycle].findings.find((x) => x.oracle === 'identity' && x.kind === 'corrupted')!.signature };
    }
    expect(found).toBeDefined();
    const shrunk = await shrinkCase({ ...config, shrinkBudget: 400 }, found!.index, found!.cycle, found!.signature);
    expect(shrunk.finding.signature).toBe(found!.signature);
    // A candidate runs only the cycles whose kernels, format, flow and drift can give the
    // signature, the first one first (campaign.ts firstShowing): 13 cycles here, 33 when every
    // cycle of a candidate ran. A count, not a clock.
    expect(shrunk.cycles).toBeLessThanOrEqual(20);
    expect(shrunk.case.device.kind).toBe('layout');
    if (shrunk.case.device.kind !== 'layout') return;
    // The PCIe capability, plus PM only when the kept reset is a PM (D3hot -> D0) reset, which needs it.
    const keys = shrunk.case.device.layout.std.map((c) => c.key);
    expect(keys).toEqual(shrunk.case.reset === 'pm' ? ['pcie', 'pm'] : ['pcie']);
    expect(shrunk.case.device.layout.ext).toEqual([]);
    expect(shrunk.case.device.parent).toBeUndefined();
    expect(shrunk.case.device.values).toEqual([0]);
  });
});

describe('malformed layouts', () => {
  it('walker, model, cycle and loaders answer broken layouts with typed errors only', async () => {
    const run = await runMalformed({ seed: 5, kernels: ['6.1.y', '6.12', '7.1'], formats: ['linux-blob', 'lusim-v1'] }, { runs: 150 });
    expect(run.cases).toBe(150);
    expect(run.findings.map((f) => `${f.signature}: ${f.detail}`)).toEqual([]);
  });
});

describe('--from-dump: mutations around a real device', () => {
  it('unlinks the chosen capabilities and keeps the rest of the chains intact', async () => {
    const { readFileSync } = await import('node:fs');
    const { parseLspci } = await import('../../../devices/dump/lspci.js');
    const { walkCapabilities } = await import('../../../devices/walker.js');
    const { droppableCapabilities, materialize } = await import('../../../sim/fuzz/device.js');
    const [seed] = parseLspci(readFileSync('fixtures/qemu/e1000e.lspci', 'utf8'));
    const all = walkCapabilities(seed.bytes).capabilities;
    const droppable = droppableCapabilities(seed);
    // Every capability but the extended head (0x100) may go; all extended ones together empty the chain.
    expect(droppable).toEqual(all.map((_, i) => i).filter((i) => !(all[i].extended && all[i].offset === 0x100)));
    for (const drop of [[0], [1, all.length - 1], droppable.filter((i) => all[i].extended), all.map((_, i) => i).filter((i) => all[i].extended)]) {
      const m = materialize({ kind: 'seed', drop, values: [0] }, seed);
      const walk = walkCapabilities(m.device.bytes);
      expect(walk.findings.filter((f) => f.severity === 'error')).toEqual([]);
      expect(walk.capabilities.map((c) => c.key)).toEqual(all.filter((_, i) => !drop.includes(i)).map((c) => c.key));
    }
  });
});
