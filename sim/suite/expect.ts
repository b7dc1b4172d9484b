/**
 * Judge what the model (or a real kernel) did against a test's expectations: one Check per
 * expectation key, each with the expected and actual values and the reason the actual value is
 * what it is (the kernel function or rule the model names).
 */
import { CAPTURE_WHOLE } from '../../devices/dump/known.js';
import type { CycleResult } from '../cycle/run.js';
import type { FieldOutcome } from '../cycle/verdict.js';
import { decidesResetFunction, type ResetMethodsPrediction } from '../reset-methods/predict.js';
import { rcName } from '../reset-methods/result.js';
import { COUNTED_VERDICTS, RESET_EXPECTATION_KEYS, type Check, type CountedVerdict, type Expectations, type Observed, type VerdictExpectation } from './types.js';

/** A field as suites name it: REGISTER.FIELD, parent:REGISTER.FIELD for the upstream port. */
export function fieldName(f: Pick<FieldOutcome, 'function' | 'register' | 'field'>): string {
  return `${f.function === 'parent' ? 'parent:' : ''}${f.register}.${f.field}`;
}

/** What the prediction decides, in expectation keys: a partial dump may decide none of them. */
export function observeReset(p: ResetMethodsPrediction): Observed {
  return {
    ...(p.cannotTell === undefined ? { reset_method: p.resetMethods } : {}),
    ...(decidesResetFunction(p) ? { reset_works: p.resetWorks, reset_function_method: p.resetFunctionMethod ?? 'none' } : {}),
  };
}

/**
 * The expected reset keys the device's dump cannot decide (reset-methods/predict.ts cannotTell):
 * a test of them is an error of its input, not a pass or a fail.
 */
export function undecidedReset(e: Expectations, p: ResetMethodsPrediction): string | null {
  const o = observeReset(p);
  const keys = RESET_EXPECTATION_KEYS.filter((k) => e[k] !== undefined && o[k] === undefined);
  if (keys.length === 0) return null;
  return `the device's dump cannot tell ${keys.join(', ')} (${p.cannotTell}): ${CAPTURE_WHOLE}, or leave ${keys.length > 1 ? 'them' : 'it'} out`;
}

export function observeCycle(r: CycleResult): Observed {
  const verdicts = Object.fromEntries(COUNTED_VERDICTS.map((v) => [v, r.fields.filter((f) => f.verdict === v).map(fieldName)])) as Record<CountedVerdict, string[]>;
  return { load: r.load.ret === 0 ? 'ok' : 'refused', verdicts, ...(r.freeze ? { freeze_gates: Object.fromEntries(r.freeze.map((g) => [g.gate, g.verdict])) } : {}) };
}

export function checkReset(e: Expectations, p: ResetMethodsPrediction): Check[] {
  const o = observeReset(p);
  const probes = p.reasons.join('; ');
  const checks: Check[] = [];
  if (e.reset_method !== undefined && o.reset_method !== undefined) checks.push(check('reset_method', e.reset_method, o.reset_method, sameList(e.reset_method, o.reset_method ?? []), probeWhy(e.reset_method, p)));
  if (e.reset_works !== undefined && o.reset_works !== undefined) checks.push(check('reset_works', e.reset_works, o.reset_works, e.reset_works === o.reset_works, p.reasons.at(-1) ?? ''));
  if (e.reset_function_method !== undefined && o.reset_function_method !== undefined) checks.push(check('reset_function_method', e.reset_function_method, o.reset_function_method, e.reset_function_method === o.reset_function_method, probes));
  return checks;
}

/**
 * What a cycle check reads: the model's CycleResult, or a real run's outcome in the same shape
 * (cli/suite/qemu-cycle.ts), so one judge serves both.
 */
export type CycleOutcome = Pick<CycleResult, 'load' | 'fields' | 'freeze'> & { readonly options: Pick<CycleResult['options'], 'flow'> };

export function checkCycle(e: Expectations, r: CycleOutcome): Check[] {
  const checks: Check[] = [];
  if (e.load !== undefined) {
    const actual = r.load.ret === 0 ? 'ok' : 'refused';
    checks.push(check('load', e.load, actual, e.load === actual, r.load.error ?? `load returned ${r.load.ret}`));
  }
  for (const v of COUNTED_VERDICTS) {
    const want = e[v];
    if (want !== undefined) checks.push(checkVerdict(v, want, r.fields));
  }
  for (const [name, verdict] of Object.entries(e.fields ?? {})) {
    const f = r.fields.find((x) => fieldName(x) === name);
    checks.push(f
      ? check(`fields.${name}`, verdict, f.verdict, f.verdict === verdict, f.rule)
      : check(`fields.${name}`, verdict, null, false, `no field ${name} on this device: \`lusim cycle --all\` lists every field as REGISTER.FIELD`));
  }
  checks.push(...checkFreeze(e, r));
  return checks;
}

/** vfio-lu's freeze() gates; another flow has none, and an expectation of them says to use vfio-lu. */
function checkFreeze(e: Expectations, r: CycleOutcome): Check[] {
  const none = `flow ${r.options.flow} has no freeze() gates: they are the VFIO series' (cycle: {flow: vfio-lu})`;
  const checks: Check[] = [];
  if (e.freeze !== undefined) {
    const refused = r.freeze?.find((g) => g.verdict === 'refused');
    const actual = r.freeze ? (refused ? 'refused' : 'ok') : null;
    checks.push(check('freeze', e.freeze, actual, actual === e.freeze, !r.freeze ? none : refused ? `refused at "${refused.gate}": ${refused.why}` : 'every gate passed'));
  }
  for (const [gate, verdict] of Object.entries(e.freeze_gates ?? {})) {
    const g = r.freeze?.find((x) => x.gate === gate);
    const why = !r.freeze ? none : g ? g.why : `no gate "${gate}" in this freeze(): it ran ${r.freeze.map((x) => x.gate).join(', ')}`;
    checks.push(check(`freeze_gates.${gate}`, verdict, g?.verdict ?? null, g?.verdict === verdict, why));
  }
  return checks;
}

function checkVerdict(v: CountedVerdict, want: VerdictExpectation, fields: readonly FieldOutcome[]): Check {
  const hit = fields.filter((f) => f.verdict === v);
  const names = hit.map(fieldName);
  const rules = (fs: readonly FieldOutcome[]) => fs.map((f) => `${fieldName(f)}: ${f.rule}`).join('; ');
  if (typeof want === 'number') return check(v, want, hit.length, hit.length === want, rules(hit));
  if (Array.isArray(want)) {
    const list = want as readonly string[];
    const extra = hit.filter((f) => !list.includes(fieldName(f)));
    const missing = list.filter((n) => !names.includes(n));
    const now = missing.map((n) => {
      const f = fields.find((x) => fieldName(x) === n);
      return f ? `${n} is ${f.verdict}: ${f.rule}` : `${n} is no field of this device`;
    });
    const why = [...(extra.length ? [`also ${v}: ${rules(extra)}`] : []), ...now].join('; ');
    return check(v, [...list], names, extra.length === 0 && missing.length === 0, why || rules(hit));
  }
  const range = want as { min?: number; max?: number };
  const ok = (range.min === undefined || hit.length >= range.min) && (range.max === undefined || hit.length <= range.max);
  return check(v, range, hit.length, ok, rules(hit));
}

/** The probes of the methods present on one side only (all of them when only the order differs). */
function probeWhy(want: readonly string[], p: ResetMethodsPrediction): string {
  const differ = p.probes.filter((x) => want.includes(x.method) !== p.resetMethods.includes(x.method));
  return (differ.length > 0 ? differ : p.probes).map((x) => `${x.method}: ${x.probed ? rcName(x.rc ?? 0) : 'not probed'}: ${x.reason}`).join('; ');
}

function check(key: string, expected: unknown, actual: unknown, pass: boolean, why: string): Check {
  return { key, pass, expected, actual, why };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** "reset_works: expected true, got false: <why>": the line a failure report leads with. */
export function describeCheck(c: Check): string {
  return `${c.key}: expected ${show(c.expected)}, got ${show(c.actual)}${c.why ? `: ${c.why}` : ''}`;
}

export function show(v: unknown): string {
  if (Array.isArray(v)) return `[${v.join(', ')}]`;
  if (v !== null && typeof v === 'object') return Object.entries(v).map(([k, x]) => `${k} ${x}`).join(', ');
  return String(v);
}
