/**
 * A case is a batch: kernel A's side runs once (sim/cycle/start.ts) and each cycle finishes from
 * the kexec (sim/cycle/finish.ts). Each finish must be exactly the cycle runCycle runs for that
 * cycle's options on a fresh function (the bytes are the only state, so rewinding them to the
 * kexec is a fresh start), and the campaign's findings per cycle exactly those of the cycle run
 * alone; the speed-up of docs/fuzz.md rests on both.
 */
import { describe, expect, it } from 'vitest';
import { FLOWS, runCycle } from '../../../sim/cycle/run.js';
import { SAVE_FORMATS } from '../../../sim/cycle/carry.js';
import { startCycle } from '../../../sim/cycle/start.js';
import { finishCycle } from '../../../sim/cycle/finish.js';
import { batchAt, runBatch, runCase, type CampaignConfig } from '../../../sim/fuzz/campaign.js';
import { BATCH_CYCLES, casesOf, cycleOptions } from '../../../sim/fuzz/case.js';
import { materialize } from '../../../sim/fuzz/device.js';
import { ORACLES } from '../../../sim/fuzz/oracles.js';
import { KERNEL_PROFILE_IDS } from '../../../sim/linux/profiles.js';

const config = (seed: number): CampaignConfig => ({ seed, kernels: KERNEL_PROFILE_IDS, formats: SAVE_FORMATS, flows: FLOWS, oracles: ORACLES.filter((o) => o !== 'time-bound') });

async function outcome(run: () => Promise<unknown>): Promise<unknown> {
  try { return await run(); } catch (e) { return { threw: String(e) }; }
}

describe('a batch of cycles from one start', () => {
  it.each([1, 2])('seed %i: every finish of a start is the cycle runCycle runs alone (20 cases)', async (seed) => {
    let cycles = 0;
    for (let index = 0; index < 20; index++) {
      const b = batchAt(config(seed), index);
      expect(b.variants.length).toBeGreaterThanOrEqual(1);
      expect(b.variants.length).toBeLessThanOrEqual(BATCH_CYCLES);
      const m = materialize(b.device);
      const start = await outcome(() => startCycle(m.fn, { from: b.from, flow: b.flow, operational: 'as-found', formats: SAVE_FORMATS, ...(m.parentFn ? { parent: m.parentFn } : {}) }));
      for (const c of casesOf(b)) {
        const alone = materialize(c.device);
        const expected = await outcome(() => runCycle(alone.fn, { ...cycleOptions(c), ...(alone.parentFn ? { parent: alone.parentFn } : {}) }));
        const got = start && typeof start === 'object' && 'threw' in start ? start : await outcome(() => finishCycle(start as Awaited<ReturnType<typeof startCycle>>, cycleOptions(c)));
        expect(got, `seed ${seed} case ${index} ${c.from}->${c.to} ${c.format} ${c.flow}`).toEqual(expected);
        cycles++;
      }
    }
    expect(cycles).toBeGreaterThan(40);
  }, 120_000);

  it('the campaign judges each cycle of a batch as it judges the cycle run alone', async () => {
    for (let index = 0; index < 40; index++) {
      const b = batchAt(config(3), index);
      const together = await runBatch(config(3), b);
      const alone = await Promise.all(casesOf(b).map((c) => runCase(config(3), c)));
      expect(together, `case ${index}`).toEqual(alone);
    }
  }, 120_000);
});
