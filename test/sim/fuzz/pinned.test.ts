/**
 * What the fuzzer finds is pinned (issue 10 "Speed": faster, with the same results): for a fixed
 * seed on the default case space (every kernel pair, both formats, every flow), every finding of
 * every cycle of every case, and a digest of the whole CycleResult (every field's verdict and rule,
 * the timeline, the notes) of the first cases' cycles, run one by one (runCycle on a fresh
 * function). Rewritten when cases became batches (a device and kernel A under 1 to 16 cycles);
 * before that, by the code before the fuzzer's speed work
 * (`npx vitest run test/sim/fuzz/pinned.test.ts -u` rewrites them: only for a change that is meant
 * to change what the model says or which cycles a seed runs, and then say so in the commit).
 */
import { describe, expect, it } from 'vitest';
import { runCycle, FLOWS } from '../../../sim/cycle/run.js';
import { SAVE_FORMATS } from '../../../sim/cycle/carry.js';
import { batchAt, runBatch, type CampaignConfig } from '../../../sim/fuzz/campaign.js';
import { casesOf, cycleOptions } from '../../../sim/fuzz/case.js';
import { materialize } from '../../../sim/fuzz/device.js';
import { signatureId } from '../../../sim/fuzz/signature.js';
import { KERNEL_PROFILE_IDS } from '../../../sim/linux/profiles.js';

// time-bound is left out: it depends on the machine's load, not on the code.
const CONFIG: CampaignConfig = { seed: 7, kernels: KERNEL_PROFILE_IDS, formats: SAVE_FORMATS, flows: FLOWS, oracles: ['identity', 'lusim-v1', 'linux-blob', 'typed-errors'] };

describe('pinned results of seed 7', () => {
  it('every finding of cases 0-149', async () => {
    const lines: string[] = [];
    for (let index = 0; index < 150; index++) {
      (await runBatch(CONFIG, batchAt(CONFIG, index))).forEach((o, cycle) => { for (const f of o.findings) lines.push(`${index}.${cycle} ${f.signature} :: ${f.detail}`); });
    }
    expect(lines.length).toBeGreaterThan(30);
    await expect(lines.join('\n') + '\n').toMatchFileSnapshot('../../../fixtures/fuzz/pinned-seed7-findings.txt');
  }, 120_000);

  it('the whole CycleResult of every cycle of cases 0-24', async () => {
    const lines: string[] = [];
    for (let index = 0; index < 25; index++) {
      for (const [cycle, c] of casesOf(batchAt(CONFIG, index)).entries()) {
        const m = materialize(c.device);
        let out: string;
        try {
          out = JSON.stringify(await runCycle(m.fn, { ...cycleOptions(c), ...(m.parentFn ? { parent: m.parentFn } : {}) }));
        } catch (e) {
          out = `threw ${String(e)}`;
        }
        lines.push(`${index}.${cycle} ${signatureId(out)} ${out.length}`);
      }
    }
    await expect(lines.join('\n') + '\n').toMatchFileSnapshot('../../../fixtures/fuzz/pinned-seed7-cycles.txt');
  }, 120_000);
});
