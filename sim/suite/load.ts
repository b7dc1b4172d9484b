/**
 * Load a suite file: YAML -> the JSON Schema (sim/suite/schema.ts, enforced with ajv) -> the
 * checks a schema cannot state -> a Suite. Every problem is a SuiteIssue naming file, line and
 * key; all of them are reported at once (a SuiteError, exit 2).
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { parseDrift } from '../linux/drift.js';
import type { SuiteIssue } from './errors.js';
import { SuiteError } from './errors.js';
import { SUITE_SCHEMA } from './schema.js';
import { CYCLE_EXPECTATION_KEYS, RESET_EXPECTATION_KEYS, type CycleSpec, type DeviceRef, type Expectations, type ResetInputs, type Suite, type SuiteCase } from './types.js';
import { onKeys } from './plan.js';
import { keyName, parseYaml, type KeyPath, type YamlSource } from './yaml-source.js';

export interface LoadOptions {
  /** The kernel names this run can use: profile ids for the model, Debian series with --qemu. */
  readonly isKnownKernel: (k: string) => boolean;
  readonly knownKernels: string;
}

let compiled: ValidateFunction | undefined;

/** Compiled on first use: compiling the schema costs every lusim command's start-up otherwise. */
function validator(): ValidateFunction {
  compiled ??= new Ajv({ allErrors: true, verbose: true, strict: true, strictTypes: false }).compile(SUITE_SCHEMA);
  return compiled;
}

export function loadSuite(text: string, file: string, opts: LoadOptions): Suite {
  const src = parseYaml(text, file);
  if ('issues' in src) throw new SuiteError(src.issues);
  const validate = validator();
  if (!validate(src.value)) throw new SuiteError(schemaIssues(validate.errors ?? [], src));
  const raw = src.value as RawSuite;
  const issues = semanticIssues(raw, src, opts);
  if (issues.length > 0) throw new SuiteError(issues);
  return {
    file, name: raw.name, kernels: raw.kernels.map(String),
    cases: raw.cases.map((c, i) => toCase(c, raw.kernels, src.lineOf(['cases', i]))),
  };
}

interface RawCase {
  name: string; device: string | { dump: string; bdf?: string } | { qemu: string[] }; kernels?: string[];
  reset?: ResetInputs; cycle?: CycleSpec; expect: Expectations & { on?: Record<string, Expectations> };
}
interface RawSuite { name: string; kernels: string[]; cases: RawCase[] }

function toCase(c: RawCase, kernels: readonly string[], line: number): SuiteCase {
  const { on, ...expect } = c.expect;
  return {
    name: c.name, device: deviceRef(c.device), kernels: c.kernels ?? kernels, expect, on: on ?? {}, line,
    ...(c.reset ? { reset: c.reset } : {}), ...(c.cycle ? { cycle: c.cycle } : {}),
  };
}

function deviceRef(d: RawCase['device']): DeviceRef {
  if (typeof d === 'string') return { kind: 'builtin', name: d };
  if ('dump' in d) return { kind: 'dump', file: d.dump, ...(d.bdf ? { bdf: d.bdf } : {}) };
  return { kind: 'qemu', name: d.qemu[0] };
}

/** One issue per place: ajv reports each branch of a oneOf; the schema's description says what fits. */
function schemaIssues(errors: readonly ErrorObject[], src: YamlSource): SuiteIssue[] {
  const byPath = new Map<string, ErrorObject[]>();
  for (const e of errors) byPath.set(e.instancePath, [...(byPath.get(e.instancePath) ?? []), e]);
  const issues: SuiteIssue[] = [];
  for (const [path, errs] of byPath) {
    // A oneOf whose branch failed deeper is reported there (e.g. device.dump must be a string).
    if (errs.every((e) => e.keyword === 'oneOf') && [...byPath.keys()].some((p) => p.startsWith(`${path}/`))) continue;
    const parts = pointer(path);
    const oneOf = errs.find((e) => e.keyword === 'oneOf');
    if (oneOf) {
      issues.push({ file: src.file, line: src.lineOf(parts), key: keyName(parts), message: `must be ${(oneOf.parentSchema as { description?: string }).description ?? 'one of the forms in docs/suites.md'}` });
      continue;
    }
    for (const e of errs) issues.push(issueOf(e, parts, src));
  }
  return dedupe(issues).sort((a, b) => a.line - b.line);
}

function issueOf(e: ErrorObject, parts: KeyPath, src: YamlSource): SuiteIssue {
  const at = (path: KeyPath, key?: string) => ({ file: src.file, line: src.lineOf(path, key), key: keyName(key === undefined ? path : [...path, key]) });
  const p = e.params as Record<string, unknown>;
  const props = Object.keys(((e.parentSchema as { properties?: object })?.properties) ?? {});
  switch (e.keyword) {
    case 'additionalProperties':
      return { ...at(parts, String(p.additionalProperty)), message: props.length > 0 ? `unknown key; use one of ${props.join(', ')}` : 'unknown key' };
    case 'required':
      return { ...at(parts), message: `missing required key "${String(p.missingProperty)}"` };
    case 'enum':
      return { ...at(parts), message: `${JSON.stringify(e.data)} is not allowed; use one of ${(p.allowedValues as unknown[]).map(String).join(', ')}` };
    case 'type':
      return { ...at(parts), message: `must be ${aType(String(p.type))}, not ${JSON.stringify(e.data)}` };
    default:
      return { ...at(parts), message: e.message ?? 'invalid' };
  }
}

const aType = (t: string) => (t === 'array' ? 'a list' : t === 'object' ? 'a mapping' : t === 'integer' ? 'a whole number' : `a ${t}`);

function pointer(path: string): (string | number)[] {
  if (path === '') return [];
  return path.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function dedupe(issues: SuiteIssue[]): SuiteIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => { const k = `${i.line}|${i.key}|${i.message}`; if (seen.has(k)) return false; seen.add(k); return true; });
}

/** What the schema cannot say: known kernels, unique names, one kind of expectation per case. */
function semanticIssues(raw: RawSuite, src: YamlSource, opts: LoadOptions): SuiteIssue[] {
  const issues: SuiteIssue[] = [];
  const issue = (path: KeyPath, message: string, key?: string) => issues.push({ file: src.file, line: src.lineOf(path, key), key: keyName(key === undefined ? path : [...path, key]), message });
  const kernel = (path: KeyPath, k: string) => { if (!opts.isKnownKernel(k)) issue(path, `unknown kernel "${k}"; use ${opts.knownKernels}`); };
  raw.kernels.forEach((k, i) => kernel(['kernels', i], k));
  const names = new Map<string, number>();
  raw.cases.forEach((c, i) => {
    const at: KeyPath = ['cases', i];
    if (names.has(c.name)) issue([...at, 'name'], `"${c.name}" is already the name of cases[${names.get(c.name)}]; case names must be unique`);
    names.set(c.name, i);
    c.kernels?.forEach((k, j) => kernel([...at, 'kernels', j], k));
    if (c.cycle?.from !== undefined) kernel([...at, 'cycle', 'from'], c.cycle.from);
    if (c.cycle?.to !== undefined) kernel([...at, 'cycle', 'to'], c.cycle.to);
    const kernels = onKeys({ kernels: (c.kernels ?? raw.kernels).map(String), ...(c.cycle ? { cycle: c.cycle } : {}) });
    const { on, ...base } = c.expect;
    const wrongKeys = c.cycle ? RESET_EXPECTATION_KEYS : CYCLE_EXPECTATION_KEYS;
    const wrong = (e: Expectations, path: KeyPath) => {
      for (const k of Object.keys(e)) {
        if ((wrongKeys as readonly string[]).includes(k)) issue(path, c.cycle ? 'is a reset expectation, but this is a cycle case: move it to a case without cycle' : 'is a cycle expectation: add cycle: {from, to} to the case', k);
      }
    };
    wrong(base, [...at, 'expect']);
    for (const [k, e] of Object.entries(on ?? {})) {
      if (!kernels.includes(k)) issue([...at, 'expect', 'on'], `kernel "${k}" is not one this case runs on (${kernels.join(', ')})`, k);
      wrong(e, [...at, 'expect', 'on', k]);
    }
    if (Object.keys(base).length === 0 && Object.keys(on ?? {}).length === 0) issue([...at, 'expect'], 'expects nothing; name at least one expectation (lusim suite init writes today\'s)');
    if (c.cycle?.drift !== undefined) {
      try {
        parseDrift(c.cycle.drift);
      } catch (e) {
        issue([...at, 'cycle', 'drift'], e instanceof Error ? e.message : String(e));
      }
    }
    if (c.reset && c.cycle) issue(at, 'reset inputs apply to reset cases only; drop reset or cycle', 'reset');
  });
  return issues;
}
