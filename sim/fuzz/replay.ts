/**
 * Replaying a corpus (`lusim fuzz --replay DIR`): each record's shrunk case is run again through
 * the campaign's own cycle (runCase: the cycle `lusim cycle` runs for it, test/sim/fuzz/batch.test.ts)
 * under today's model and oracles, and the record says whether its finding still shows. After a
 * change to lusim, to a kernel profile or to a user's kernel, that is the regression check of
 * every finding kept. Records of `--qemu` samples need real runs and are not replayed here.
 */
import type { FuzzCase } from './case.js';
import { runCase, type CampaignConfig } from './campaign.js';
import { MUST_HOLD, type OracleName } from './oracles.js';
import { fuzzCaseProblem } from './record-schema.js';

export interface ReplayOutcome {
  readonly id: string;
  readonly signature: string;
  /** The finding shows again. */
  readonly still: boolean;
  /** Every finding the case shows now, by signature. */
  readonly now: readonly string[];
  /** A must-hold oracle fails on the case now. */
  readonly mustHoldNow: boolean;
}

/** A record as `fuzz --corpus` writes it; `why` says what is wrong with one that is not. */
export type ParsedRecord =
  | { readonly kind: 'case'; readonly id: string; readonly signature: string; readonly case: FuzzCase }
  | { readonly kind: 'qemu'; readonly id: string; readonly signature: string; readonly command: string }
  | { readonly kind: 'bad'; readonly why: string };

const isString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

export function parseRecord(json: unknown): ParsedRecord {
  const r = json as Record<string, unknown> | null;
  if (typeof r !== 'object' || r === null || !isString(r.id) || !isString(r.signature)) return { kind: 'bad', why: 'not a lusim fuzz corpus record (no "id" and "signature")' };
  if (r.oracle === 'qemu') return isString(r.command) ? { kind: 'qemu', id: r.id, signature: r.signature, command: r.command } : { kind: 'bad', why: 'a --qemu record without its "command"' };
  if (typeof r.case !== 'object' || r.case === null) return { kind: 'bad', why: 'its "case" is not a fuzzed case (device, from, to, format, flow)' };
  const problem = fuzzCaseProblem(r.case);
  if (problem) return { kind: 'bad', why: `not a case this lusim can replay: ${problem}` };
  return { kind: 'case', id: r.id, signature: r.signature, case: r.case as FuzzCase };
}

/** Runs one record's case again; throws a LusimError a user must act on (a seed case without its dump). */
export async function replayCase(config: CampaignConfig, record: Extract<ParsedRecord, { kind: 'case' }>): Promise<ReplayOutcome> {
  const outcome = await runCase(config, record.case);
  const now = [...new Set(outcome.findings.map((f) => f.signature))];
  return { id: record.id, signature: record.signature, still: now.includes(record.signature), now, mustHoldNow: outcome.findings.some((f) => MUST_HOLD.includes(f.oracle as OracleName)) };
}
