/**
 * Observations as expectations: what `lusim suite init` writes for today's predictions, and the
 * value `lusim suite run --update` puts in place of an expectation that no longer holds (in the
 * form the user chose: a count stays a count, a list of fields stays a list).
 */
import { COUNTED_VERDICTS, RESET_EXPECTATION_KEYS, type CountedVerdict, type Expectations, type Observed, type VerdictExpectation } from './types.js';

/** Named fields for the verdicts a team reviews one by one; counts for the rest. */
const NAMED: readonly CountedVerdict[] = ['lost', 'corrupted', 'stale', 'refused'];

export function expectationsOf(o: Observed): Expectations {
  // A reset the device's dump cannot decide leaves its keys out (expect.ts observeReset).
  if (!o.verdicts) return Object.fromEntries(RESET_EXPECTATION_KEYS.flatMap((k) => (o[k] === undefined ? [] : [[k, o[k]]])));
  const verdicts = o.verdicts;
  return {
    load: o.load ?? 'ok',
    ...Object.fromEntries(COUNTED_VERDICTS.map((v) => [v, NAMED.includes(v) ? [...verdicts[v]] : verdicts[v].length])),
    ...(o.freeze_gates ? { freeze: Object.values(o.freeze_gates).includes('refused') ? 'refused' as const : 'ok' as const, freeze_gates: { ...o.freeze_gates } } : {}),
  };
}

/** The new value of one expectation key, kept in its form; undefined when the key cannot be rewritten. */
export function updatedValue(key: string, old: unknown, o: Observed): unknown {
  if (key === 'reset_method') return o.reset_method ? [...o.reset_method] : undefined;
  if (key === 'reset_works') return o.reset_works;
  if (key === 'reset_function_method') return o.reset_function_method;
  if (key === 'load') return o.load;
  const v = COUNTED_VERDICTS.find((x) => x === key);
  if (v && o.verdicts) {
    const names = o.verdicts[v];
    return Array.isArray(old as VerdictExpectation) ? [...names] : names.length;
  }
  if (key === 'freeze' && o.freeze_gates) return Object.values(o.freeze_gates).includes('refused') ? 'refused' : 'ok';
  if (key.startsWith('freeze_gates.') && o.freeze_gates) return o.freeze_gates[key.slice('freeze_gates.'.length)];
  if (key.startsWith('fields.') && o.verdicts) {
    const name = key.slice('fields.'.length);
    const hit = COUNTED_VERDICTS.find((x) => o.verdicts![x].includes(name));
    return hit ?? 'unchanged';
  }
  return undefined;
}

/**
 * One case's expectations over its kernels: the first kernel's values as the base, `on:` for the
 * kernels whose values differ (only the differing keys).
 */
export function expectationsOver(runs: readonly { label: string; expect: Expectations }[]): Expectations & { on?: Record<string, Expectations> } {
  const [first] = runs;
  const on: Record<string, Expectations> = {};
  for (const r of runs.slice(1)) {
    const diff = Object.fromEntries(Object.entries(r.expect).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify((first.expect as Record<string, unknown>)[k])));
    if (Object.keys(diff).length > 0) on[r.label] = diff;
  }
  return { ...first.expect, ...(Object.keys(on).length > 0 ? { on } : {}) };
}
