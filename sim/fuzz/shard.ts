/**
 * A campaign split into shards: shard k of n runs cases k, k+n, k+2n, ... and reports the first
 * case of each signature it saw. Merging keeps, per signature, the lowest case index over all
 * shards, so the merged findings are the same for any number of shards (--jobs) given the same
 * cases; shrinking then starts from that case, so the shrunk findings are the same too.
 */
import { caseAt, runCase, type CampaignConfig, type CaseFinding } from './campaign.js';
import { MUST_HOLD } from './oracles.js';

export interface FirstSeen extends CaseFinding {
  /** The case that first showed the signature. */
  readonly index: number;
}

export interface ShardPlan {
  readonly shard: number;
  readonly shards: number;
  /** Total cases of the campaign (--runs); undefined: until `stop` says so (--time). */
  readonly runs?: number;
  readonly stop?: () => boolean;
  /** Called every `every` cases with the cases run and the first-seen findings so far. */
  readonly onProgress?: (cases: number, firsts: readonly FirstSeen[]) => void;
  readonly every?: number;
}

export interface ShardResult {
  readonly cases: number;
  readonly firsts: readonly FirstSeen[];
}

export async function runShard(config: CampaignConfig, plan: ShardPlan): Promise<ShardResult> {
  const seen = new Map<string, FirstSeen>();
  let cases = 0;
  for (let index = plan.shard; plan.runs === undefined || index < plan.runs; index += plan.shards) {
    if (plan.stop?.()) break;
    const outcome = await runCase(config, caseAt(config, index));
    cases++;
    for (const f of outcome.findings) if (!seen.has(f.signature)) seen.set(f.signature, { ...f, index });
    if (plan.onProgress && cases % (plan.every ?? 50) === 0) plan.onProgress(cases, [...seen.values()]);
  }
  return { cases, firsts: [...seen.values()] };
}

/** Per signature, the first case over all shards; ordered by that case. */
export function mergeFirsts(shards: readonly (readonly FirstSeen[])[]): FirstSeen[] {
  const best = new Map<string, FirstSeen>();
  for (const list of shards) for (const f of list) {
    const b = best.get(f.signature);
    if (!b || f.index < b.index) best.set(f.signature, f);
  }
  return [...best.values()].sort((a, b) => a.index - b.index || (a.signature < b.signature ? -1 : 1));
}

/** Distinct findings per oracle/kind, for the progress line and the summary. */
export function countByClass(findings: readonly CaseFinding[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of findings) out[`${f.oracle}/${f.kind}`] = (out[`${f.oracle}/${f.kind}`] ?? 0) + 1;
  return out;
}

export const mustHoldFailed = (findings: readonly CaseFinding[]): boolean => findings.some((f) => MUST_HOLD.includes(f.oracle));
