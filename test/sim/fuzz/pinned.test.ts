/**
 * What the fuzzer finds is pinned (issue 10 "Speed": faster, with the same results): for a fixed
 * seed on the default case space (every kernel pair, both formats, every flow), every finding of
 * every case, and a digest of the whole CycleResult (every field's verdict and rule, the timeline,
 * the notes) of the first cases. The files were written by the code before the fuzzer's speed work
 * (`npx vitest run test/sim/fuzz/pinned.test.ts -u` rewrites them: only for a change that is meant
 * to change what the model says, and then say so in the commit).
 */
import { describe, expect, it } from 'vitest';
import { runCycle, FLOWS } from '../../../sim/cycle/run.js';
import { SAVE_FORMATS } from '../../../sim/cycle/carry.js';
import { caseAt, runCase, type CampaignConfig } from '../../../sim/fuzz/campaign.js';
import { cycleOptions } from '../../../sim/fuzz/case.js';
import { materialize } from '../../../sim/fuzz/device.js';
import { signatureId } from '../../../sim/fuzz/signature.js';
import { KERNEL_PROFILE_IDS } from '../../../sim/linux/profiles.js';

// time-bound is left out: it depends on the machine's load, not on the code.
const CONFIG: CampaignConfig = { seed: 7, kernels: KERNEL_PROFILE_IDS, formats: SAVE_FORMATS, flows: FLOWS, oracles: ['identity', 'lusim-v1', 'linux-blob', 'typed-errors'] };

describe('pinned results of seed 7', () => {
  it('every finding of cases 0-599', async () => {
    const lines: string[] = [];
    for (let index = 0; index < 600; index++) {
      for (const f of (await runCase(CONFIG, caseAt(CONFIG, index))).findings) lines.push(`${index} ${f.signature} :: ${f.detail}`);
    }
    expect(lines.length).toBeGreaterThan(30);
    await expect(lines.join('\n') + '\n').toMatchFileSnapshot('../../../fixtures/fuzz/pinned-seed7-findings.txt');
  }, 120_000);

  it('the whole CycleResult of cases 0-119', async () => {
    const lines: string[] = [];
    for (let index = 0; index < 120; index++) {
      const c = caseAt(CONFIG, index);
      const m = materialize(c.device);
      let out: string;
      try {
        out = JSON.stringify(await runCycle(m.fn, { ...cycleOptions(c), ...(m.parentFn ? { parent: m.parentFn } : {}) }));
      } catch (e) {
        out = `threw ${String(e)}`;
      }
      lines.push(`${index} ${signatureId(out)} ${out.length}`);
    }
    await expect(lines.join('\n') + '\n').toMatchFileSnapshot('../../../fixtures/fuzz/pinned-seed7-cycles.txt');
  }, 120_000);
});
