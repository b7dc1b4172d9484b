/**
 * What kernel B's layout changes did, over every cycle of a campaign (the findings keep only the
 * first cycle of each signature): per kind of change and format, how many cycles of a flow that
 * carries kernel A's state (plain, rfc-2025) kernel B refused, restored silently corrupted,
 * restored from a stale buffer, or restored clean. The kind of a change is its layout and edit
 * (sim/linux/drift.ts: `pcie:swap`, `caps:-buffer`, ...) with the names left out, so each row
 * answers "what does this kind of innocuous commit do to a saved blob". The tallies are sums, so a
 * campaign's are the same however its cases were split among runners (--jobs).
 */
import { parseDrift, type Drift } from '../linux/drift.js';
import type { CarriedOutcome } from './oracles.js';

export const CARRIED_OUTCOMES: readonly CarriedOutcome[] = ['refused', 'corrupted', 'stale', 'clean'];

/** Kind of change -> format -> outcome -> cycles. */
export type ChangeTally = Record<string, Record<string, Record<CarriedOutcome, number>>>;

export const NO_CHANGE_SAME = 'none, same kernel';
export const NO_CHANGE_ACROSS = 'none, across kernels';
export const SEVERAL_CHANGES = 'several changes';

const WHAT: Record<Drift['buffer'], string> = { pcie: 'slot', aer: 'slot', caps: 'buffer', alloc: 'step' };

function kindOf(d: Drift): string {
  const op = d.op.kind;
  if (op === 'add') return `${d.buffer}:+${WHAT[d.buffer]}`;
  if (op === 'remove') return `${d.buffer}:-${WHAT[d.buffer]}`;
  return `${d.buffer}:${op}`;
}

/** The kind of change a cycle's drift makes (none: kernel A's and B's own layouts differ or not). */
export function changeKind(from: string, to: string, drift: string | undefined): string {
  const drifts = drift ? parseDrift(drift) : [];
  if (drifts.length === 0) return from === to ? NO_CHANGE_SAME : NO_CHANGE_ACROSS;
  return drifts.length === 1 ? kindOf(drifts[0]) : SEVERAL_CHANGES;
}

export function addChange(t: ChangeTally, change: string, format: string, outcome: CarriedOutcome, n = 1): void {
  const byFormat = (t[change] ??= {});
  const counts = (byFormat[format] ??= { refused: 0, corrupted: 0, stale: 0, clean: 0 });
  counts[outcome] += n;
}

/** Rows in this order in a summary: no change, each single kind as sim/linux/drift.ts lists them, several. */
const ORDER: readonly string[] = [
  NO_CHANGE_SAME, NO_CHANGE_ACROSS,
  ...(['pcie', 'aer'] as const).flatMap((b) => [`${b}:+slot`, `${b}:-slot`, `${b}:swap`, b === 'pcie' ? 'pcie:widen' : 'aer:narrow']),
  ...(['caps', 'alloc'] as const).flatMap((b) => [`${b}:+${WHAT[b]}`, `${b}:-${WHAT[b]}`, `${b}:swap`]),
  SEVERAL_CHANGES,
];

/** The same tally with its keys in a fixed order (runners add in the order their chunks finish). */
export function orderedChanges(t: ChangeTally): ChangeTally {
  const out: ChangeTally = {};
  for (const change of [...ORDER, ...Object.keys(t).filter((k) => !ORDER.includes(k)).sort()]) {
    const byFormat = t[change];
    if (byFormat) out[change] = Object.fromEntries(Object.keys(byFormat).sort().map((f) => [f, byFormat[f]]));
  }
  return out;
}

/** `from` added into `into`. */
export function mergeChanges(into: ChangeTally, from: ChangeTally): ChangeTally {
  for (const [change, byFormat] of Object.entries(from)) {
    for (const [format, counts] of Object.entries(byFormat)) for (const o of CARRIED_OUTCOMES) if (counts[o]) addChange(into, change, format, o, counts[o]);
  }
  return into;
}
