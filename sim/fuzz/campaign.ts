/**
 * The semantic campaign: case i of seed S is generated from its own seed (caseSeed), so any worker
 * can run any case and a finding can be replayed and shrunk from (S, i) alone. Shrinking is
 * fast-check's: the case is re-generated from its seed under a property that fails while the
 * finding's signature is still produced, and fast-check shrinks the counterexample (fewer
 * capabilities, smaller shapes, no parent, no reset, zero values) until no smaller case keeps the
 * signature or the budget of cycles is spent (a count, never a clock: shrinking is deterministic).
 * `between` is awaited before each candidate (the pool's main thread yields to its event loop there).
 */
import fc from 'fast-check';
import type { DumpDevice } from '../../devices/dump/types.js';
import { runCycle } from '../cycle/run.js';
import { caseArb, cycleOptions, type CaseSpace, type FuzzCase } from './case.js';
import { materialize, type MaterializedDevice } from './device.js';
import { judgeCycle, judgeError, judgeTime, type Finding, type OracleName } from './oracles.js';
import { signatureOf } from './signature.js';
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
}

/** The seed of case `index` of campaign `seed` (a 32-bit mix, so neighbouring cases differ). */
export function caseSeed(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) | 0;
}

/** Runs one case's cycle and judges it. */
export async function runCase(config: CampaignConfig, c: FuzzCase): Promise<CaseOutcome> {
  const started = Date.now();
  let findings: Finding[];
  try {
    const m: MaterializedDevice = materialize(c.device, config.seedDump);
    const drift = config.plantedDrift ? [c.drift, config.plantedDrift].filter(Boolean).join(';') : c.drift;
    const cycle = { ...cycleOptions(c), ...(drift ? { drift } : {}), ...(m.parentFn ? { parent: m.parentFn } : {}) };
    const result = await runCycle(m.fn, cycle);
    const { drift: _shown, ...options } = result.options;
    findings = judgeCycle(config.plantedDrift ? { ...result, options: { ...options, ...(c.drift ? { drift: c.drift } : {}) } } : result, config.oracles);
    if (config.oracles.includes('personality')) findings.push(...(await judgeCasePersonality(m.device, cycle, result)));
  } catch (err) {
    findings = config.oracles.includes('typed-errors') ? judgeError(err) : [];
  }
  if (config.oracles.includes('time-bound')) findings.push(...judgeTime(Date.now() - started, config.timeBoundMs ?? 2000));
  return { findings: findings.map((f) => ({ ...f, signature: signatureOf(c, f) })) };
}

// One arbitrary per campaign config: building it (fast-check combinators over every shape) cost
// as much as generating a case from it (bench/fuzz.ts). Arbitraries are immutable, so sharing is safe.
const arbs = new WeakMap<CampaignConfig, fc.Arbitrary<FuzzCase>>();

function arbOf(config: CampaignConfig): fc.Arbitrary<FuzzCase> {
  let arb = arbs.get(config);
  if (!arb) arbs.set(config, (arb = caseArb(config)));
  return arb;
}

/** Case `index` of the campaign. */
export function caseAt(config: CampaignConfig, index: number): FuzzCase {
  const [c] = fc.sample(arbOf(config), { seed: caseSeed(config.seed, index), numRuns: 1 });
  return c;
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
 * Shrinks case `index` to a minimal case with the same signature. fc.check with the case's seed
 * and one run generates the very value caseAt returns, then shrinks it.
 */
export async function shrinkCase(config: CampaignConfig, index: number, signature: string, between?: () => Promise<void>): Promise<Shrunk> {
  const budget = config.shrinkBudget ?? 300;
  let cycles = 0;
  const keeps = async (c: FuzzCase) => (await runCase(config, c)).findings.find((f) => f.signature === signature);
  const out = await fc.check(fc.asyncProperty(arbOf(config), async (c) => {
    cycles++;
    // Past the budget every candidate "passes": fast-check keeps the smallest failure found so far.
    if (cycles > budget) return true;
    if (between) await between();
    return (await keeps(c)) === undefined;
  }), { seed: caseSeed(config.seed, index), numRuns: 1 });
  const minimal = out.counterexample?.[0];
  const finding = minimal && (await keeps(minimal));
  if (minimal && finding) return { case: minimal, finding, cycles };
  // The first run did not show the signature again: a finding that depends on timing (time-bound
  // under load). It is reported with its first case, unshrunk.
  return { case: caseAt(config, index), finding: standIn(signature), cycles, unreproducible: true };
}

/** A finding that did not show again, named by its signature. */
function standIn(signature: string): CaseFinding {
  const [oracle, kind] = signature.split(' | ')[0].split('/') as [OracleName, string];
  return { oracle, kind, registers: [], detail: `did not show again when re-run (${signature})`, signature };
}
