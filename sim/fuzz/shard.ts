/**
 * A campaign split into chunks: a chunk runs cases [from, to) and reports the first cycle of each
 * signature it saw. Merging keeps, per signature, the lowest (case, cycle) over all chunks, so the
 * merged findings are the same however the cases were split and whichever runner ran which chunk
 * (--jobs) given the same cases; shrinking then starts from that case, so the shrunk findings are
 * the same too.
 */
import { batchAt, runBatch, type CampaignConfig, type CaseFinding } from './campaign.js';
import { MUST_HOLD } from './oracles.js';
import { addChange, type ChangeTally } from './changes.js';

export interface FirstSeen extends CaseFinding {
  /** The case that first showed the signature. */
  readonly index: number;
  /** Its cycle that showed it (sim/fuzz/case.ts casesOf). */
  readonly cycle: number;
}

export interface ChunkPlan {
  readonly from: number;
  /** End of the chunk (exclusive). */
  readonly to: number;
  /** Checked before each case: true ends the chunk early (--time). */
  readonly stop?: () => boolean;
  /**
   * Awaited between cases: the main thread gives its event loop a turn there, so a worker whose
   * chunk is done gets its next one at once instead of idling until the main thread's chunk ends
   * (cycles settle in microtasks only, which never let the loop run).
   */
  readonly between?: () => Promise<void>;
}

export interface ChunkResult {
  /** Cases run: to - from unless `stop` ended the chunk early. */
  readonly cases: number;
  /** Their cycles. */
  readonly cycles: number;
  readonly firsts: readonly FirstSeen[];
  /** Every cycle's carried-state outcome, by kind of change and format (sim/fuzz/changes.ts). */
  readonly changes: ChangeTally;
}

export async function runChunk(config: CampaignConfig, plan: ChunkPlan): Promise<ChunkResult> {
  const seen = new Map<string, FirstSeen>();
  let cases = 0;
  let cycles = 0;
  const changes: ChangeTally = {};
  for (let index = plan.from; index < plan.to; index++) {
    if (plan.stop?.()) break;
    if (plan.between) await plan.between();
    const outcomes = await runBatch(config, batchAt(config, index));
    cases++;
    cycles += outcomes.length;
    outcomes.forEach((o, cycle) => {
      for (const f of o.findings) if (!seen.has(f.signature)) seen.set(f.signature, { ...f, index, cycle });
      if (o.carried) addChange(changes, o.carried.change, o.carried.format, o.carried.outcome);
    });
  }
  return { cases, cycles, firsts: [...seen.values()], changes };
}

/** Per signature, the first cycle over all chunks; ordered by that cycle. */
export function mergeFirsts(chunks: readonly (readonly FirstSeen[])[]): FirstSeen[] {
  const best = new Map<string, FirstSeen>();
  for (const list of chunks) for (const f of list) {
    const b = best.get(f.signature);
    if (!b || f.index < b.index || (f.index === b.index && f.cycle < b.cycle)) best.set(f.signature, f);
  }
  return [...best.values()].sort((a, b) => a.index - b.index || a.cycle - b.cycle || (a.signature < b.signature ? -1 : 1));
}

/** Distinct findings per oracle/kind, for the progress line and the summary. */
export function countByClass(findings: readonly CaseFinding[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of findings) out[`${f.oracle}/${f.kind}`] = (out[`${f.oracle}/${f.kind}`] ?? 0) + 1;
  return out;
}

export const mustHoldFailed = (findings: readonly CaseFinding[]): boolean => findings.some((f) => MUST_HOLD.includes(f.oracle));
