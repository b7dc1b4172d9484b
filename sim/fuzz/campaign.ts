/**
 * The semantic campaign: case i of seed S (a batch: one device and kernel A under 1 to 16
 * cycles, sim/fuzz/case.ts) is generated from its own seed (caseSeed), so any worker can run any
 * case and a finding can be replayed and shrunk from (S, i) alone. Shrinking is fast-check's: the
 * case is re-generated from its seed under a property that fails while one of its cycles still
 * produces the finding's signature, and fast-check shrinks the counterexample (fewer cycles,
 * fewer capabilities, smaller shapes, no parent, no reset, zero values) until no smaller case
 * keeps the signature or the budget of cycles is spent (a count, never a clock: shrinking is
 * deterministic). The reproducer is the one cycle that shows it.
 * `between` is awaited before each candidate (the pool's main thread yields to its event loop there).
 */
import fc from 'fast-check';
import type { DumpDevice } from '../../devices/dump/types.js';
import { startCycle, type CycleStart } from '../cycle/start.js';
import { finishCycle, kernelB, type FinishOptions, type KernelB } from '../cycle/finish.js';
import type { CycleResult } from '../cycle/run.js';
import { batchArb, batchOf, casesOf, cycleOptions, startOptions, type CaseSpace, type FuzzBatch, type FuzzCase } from './case.js';
import { materialize, type MaterializedDevice } from './device.js';
import { carriedOutcome, judgeCycle, judgeError, judgeTime, type CarriedOutcome, type Finding, type OracleName } from './oracles.js';
import { changeKind } from './changes.js';
import { cycleKey, signatureOf } from './signature.js';
import { judgeCasePersonality } from './personality.js';

export interface CampaignConfig extends CaseSpace {
  readonly seed: number;
  readonly oracles: readonly OracleName[];
  /** The seed dump for --from-dump. */
  readonly seedDump?: DumpDevice;
  /** Per-cycle time bound (time-bound oracle). */
  readonly timeBoundMs?: number;
  /** Cycles one shrink may spend. */
  readonly shrinkBudget?: number;
  /**
   * A planted bug, for testing the fuzzer itself: kernel B's layouts silently carry this drift
   * (the cycle result does not say so), as a broken kernel profile would.
   */
  readonly plantedDrift?: string;
}

export interface CaseFinding extends Finding {
  readonly signature: string;
}

export interface CaseOutcome {
  readonly findings: readonly CaseFinding[];
  /** What kernel B made of kernel A's carried state, by kind of change (sim/fuzz/changes.ts); absent when the flow carries none or the cycle threw. */
  readonly carried?: { readonly change: string; readonly format: string; readonly outcome: CarriedOutcome };
}

/** The seed of case `index` of campaign `seed` (a 32-bit mix, so neighbouring cases differ). */
export function caseSeed(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) | 0;
}

/** A cycle's findings, each with its signature. */
function signed(c: FuzzCase, findings: readonly Finding[]): CaseOutcome {
  return { findings: findings.map((f) => ({ ...f, signature: signatureOf(c, f) })) };
}

/** What a thrown value means for a cycle: a typed LusimError is an answer, anything else a finding. */
const errorFindings = (config: CampaignConfig, err: unknown): Finding[] => (config.oracles.includes('typed-errors') ? judgeError(err) : []);
const timeFindings = (config: CampaignConfig, ms: number): Finding[] => (config.oracles.includes('time-bound') ? judgeTime(ms, config.timeBoundMs ?? 2000) : []);

// Kernel B per (kernel, drift): about 80% of a campaign's drifted cycles repeat an earlier pair
// (seed 1: 1864 pairs among 9369 drifted cycles), and a profile is immutable data, so the drifted
// profile is shared, and with it what is kept per its layouts (placeSlots, sim/linux/layouts.ts).
// The campaign's cycles carry no kconfig (cycleOptions). Bounded: a --time run meets new pairs.
const kernelBs = new Map<string, KernelB>();

function kernelBOf(cycle: FinishOptions): KernelB {
  const key = `${cycle.to}\n${cycle.drift ?? ''}`;
  let b = kernelBs.get(key);
  if (!b) {
    b = kernelB(cycle);
    if (kernelBs.size >= 4096) kernelBs.clear();
    kernelBs.set(key, b);
  }
  return b;
}

/**
 * Runs a batch's cycles and judges each: kernel A's side once (startCycle), then each variant
 * from the kexec (finishCycle), which is the cycle runCycle runs for that case
 * (test/sim/fuzz/batch.test.ts). A cycle's time is kernel A's side plus its own finish. With
 * `until`, stops after the first cycle whose outcome it accepts (shrinking needs only that one).
 */
export async function runBatch(config: CampaignConfig, b: FuzzBatch, until?: (o: CaseOutcome) => boolean): Promise<CaseOutcome[]> {
  const cases = casesOf(b);
  const started = Date.now();
  let m: MaterializedDevice;
  let start: CycleStart;
  try {
    m = materialize(b.device, config.seedDump);
    start = await startCycle(m.fn, { ...startOptions(b), ...(m.parentFn ? { parent: m.parentFn } : {}) });
  } catch (err) {
    const findings = [...errorFindings(config, err), ...timeFindings(config, Date.now() - started)];
    return cases.map((c) => signed(c, findings));
  }
  const startMs = Date.now() - started;
  const out: CaseOutcome[] = [];
  for (const c of cases) {
    const t0 = Date.now();
    let findings: Finding[];
    let carried: CaseOutcome['carried'];
    try {
      const drift = config.plantedDrift ? [c.drift, config.plantedDrift].filter(Boolean).join(';') : c.drift;
      const cycle = { ...cycleOptions(c), ...(drift ? { drift } : {}) };
      const result = await finishCycle(start, cycle, kernelBOf(cycle));
      findings = judgeCycle(config.plantedDrift ? withShownDrift(result, c.drift) : result, config.oracles);
      if (config.oracles.includes('personality')) findings.push(...(await judgeCasePersonality(m.device, cycle, result)));
      // Counted by the case's own drift: a planted one is a test profile's bug, not a change.
      const made = carriedOutcome(result);
      if (made) carried = { change: changeKind(c.from, c.to, c.drift), format: c.format, outcome: made };
    } catch (err) {
      findings = errorFindings(config, err);
    }
    findings.push(...timeFindings(config, startMs + Date.now() - t0));
    const outcome = { ...signed(c, findings), ...(carried ? { carried } : {}) };
    out.push(outcome);
    if (until?.(outcome)) break;
  }
  return out;
}

/** The result as the case shows it: a planted drift (a test profile's bug) is not part of the case's drift. */
function withShownDrift(result: CycleResult, drift: string | undefined): CycleResult {
  const { drift: _planted, ...options } = result.options;
  return { ...result, options: { ...options, ...(drift ? { drift } : {}) } };
}

/** Runs one case (a batch of one cycle) and judges it. */
export async function runCase(config: CampaignConfig, c: FuzzCase): Promise<CaseOutcome> {
  return (await runBatch(config, batchOf(c)))[0];
}

// One arbitrary per campaign config: building it (fast-check combinators over every shape) cost
// as much as generating a case from it (bench/fuzz.ts). Arbitraries are immutable, so sharing is safe.
const arbs = new WeakMap<CampaignConfig, fc.Arbitrary<FuzzBatch>>();

function arbOf(config: CampaignConfig): fc.Arbitrary<FuzzBatch> {
  let arb = arbs.get(config);
  if (!arb) arbs.set(config, (arb = batchArb(config)));
  return arb;
}

/** Case (batch) `index` of the campaign. */
export function batchAt(config: CampaignConfig, index: number): FuzzBatch {
  const [b] = fc.sample(arbOf(config), { seed: caseSeed(config.seed, index), numRuns: 1 });
  return b;
}

/** Cycle `cycle` of case `index`, as the single case `lusim cycle` reproduces. */
export function caseAt(config: CampaignConfig, index: number, cycle: number): FuzzCase {
  return casesOf(batchAt(config, index))[cycle];
}

export interface Shrunk {
  readonly case: FuzzCase;
  readonly finding: CaseFinding;
  /** Cycles the shrink ran. */
  readonly cycles: number;
  /** The case did not show the finding again (timing): reported unshrunk. */
  readonly unreproducible?: boolean;
}

/**
 * The first cycle of `b` that shows the signature of `target`'s finding, and its finding; `count`
 * hears of every cycle run. A signature holds its cycle's key (kernels, format, flow, drift:
 * cycleKey), so only the cycles with `target`'s key can show it: the others are not run, and a
 * shrink candidate without one costs nothing. Of those, one equal to `target` (the cycle that
 * showed it first) runs first.
 */
async function firstShowing(config: CampaignConfig, b: FuzzBatch, signature: string, target: FuzzCase, count: (cycles: number) => void): Promise<{ case: FuzzCase; finding: CaseFinding } | undefined> {
  const key = cycleKey(target);
  const cases = casesOf(b);
  const same = b.variants.filter((_, i) => cycleKey(cases[i]) === key);
  if (same.length === 0) return undefined;
  const ordered = { ...b, variants: [...same.filter((v) => v.reset === target.reset), ...same.filter((v) => v.reset !== target.reset)] };
  const outcomes = await runBatch(config, ordered, (o) => o.findings.some((f) => f.signature === signature));
  count(outcomes.length);
  const at = outcomes.length - 1;
  const finding = outcomes[at]?.findings.find((f) => f.signature === signature);
  return finding ? { case: casesOf(ordered)[at], finding } : undefined;
}

/**
 * Shrinks case `index` to a minimal batch whose cycle still has the signature, and reports that
 * cycle. fc.check with the case's seed and one run generates the very batch batchAt returns, then
 * shrinks it (fewer cycles first, then a smaller device and options). `cycle` is the cycle of the
 * case that first showed it (firstShowing's `target`), reported if the signature does not show
 * again.
 */
export async function shrinkCase(config: CampaignConfig, index: number, cycle: number, signature: string, between?: () => Promise<void>): Promise<Shrunk> {
  const budget = config.shrinkBudget ?? 300;
  const target = caseAt(config, index, cycle);
  let cycles = 0;
  const count = (n: number) => { cycles += n; };
  const out = await fc.check(fc.asyncProperty(arbOf(config), async (b) => {
    // Past the budget every candidate "passes": fast-check keeps the smallest failure found so far.
    if (cycles >= budget) return true;
    if (between) await between();
    return (await firstShowing(config, b, signature, target, count)) === undefined;
  }), { seed: caseSeed(config.seed, index), numRuns: 1 });
  const minimal = out.counterexample?.[0];
  const found = minimal && (await firstShowing(config, minimal, signature, target, count));
  if (found) return { ...found, cycles };
  // The first run did not show the signature again: a finding that depends on timing (time-bound
  // under load). It is reported with its first cycle, unshrunk.
  return { case: target, finding: standIn(signature), cycles, unreproducible: true };
}

/** A finding that did not show again, named by its signature. */
function standIn(signature: string): CaseFinding {
  const [oracle, kind] = signature.split(' | ')[0].split('/') as [OracleName, string];
  return { oracle, kind, registers: [], detail: `did not show again when re-run (${signature})`, signature };
}
