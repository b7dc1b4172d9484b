/**
 * The JSON results of a run (`--json FILE`), the input of `lusim suite merge`. Merging the shards
 * of a suite gives the unsharded run's document (tests sorted by their plan index), apart from the
 * seconds each test took.
 */
import { readFileSync } from 'node:fs';
import type { Shard } from '../../sim/suite/plan.js';
import type { TestResult } from '../../sim/suite/types.js';
import { CliError } from '../errors.js';

export const RESULTS_FORMAT = 'lusim-suite-results/1';

export interface SuiteResults {
  readonly format: typeof RESULTS_FORMAT;
  /** The suites of the run, in order: their names and files. */
  readonly suites: readonly { readonly name: string; readonly file: string }[];
  /** Tests in the whole plan (every shard). */
  readonly planned: number;
  readonly shard?: Shard;
  readonly source: 'model' | 'model+qemu';
  readonly results: readonly TestResult[];
}

export function totals(results: readonly TestResult[]) {
  const count = (s: TestResult['status']) => results.filter((r) => r.status === s).length;
  return { tests: results.length, pass: count('pass'), fail: count('fail'), error: count('error') };
}

export function readResults(path: string): SuiteResults {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new CliError('file-unreadable', `cannot read ${path} as suite results: ${(e as Error).message}; give files written by lusim suite run --json`, { path });
  }
  const r = doc as Partial<SuiteResults>;
  if (r.format !== RESULTS_FORMAT || !Array.isArray(r.results) || !Array.isArray(r.suites)) {
    throw new CliError('file-unreadable', `${path} is not lusim suite results (format ${RESULTS_FORMAT}); give files written by lusim suite run --json`, { path });
  }
  return r as SuiteResults;
}

/** Join shard results: the same suites, every test once (a test in two files must agree). */
export function mergeResults(docs: readonly { path: string; doc: SuiteResults }[]): SuiteResults {
  const [first] = docs;
  const suites = JSON.stringify(first.doc.suites.map((s) => s.name));
  const byId = new Map<string, { path: string; r: TestResult }>();
  for (const { path, doc } of docs) {
    if (JSON.stringify(doc.suites.map((s) => s.name)) !== suites || doc.planned !== first.doc.planned) {
      throw new CliError('bad-option', `${path} is a run of other suites (${doc.suites.map((s) => s.name).join(', ')}; ${doc.planned} tests) than ${first.path} (${first.doc.suites.map((s) => s.name).join(', ')}; ${first.doc.planned} tests): merge shards of one run`, { path });
    }
    if (doc.source !== first.doc.source) throw new CliError('bad-option', `${path} ran on ${ranOn(doc.source)}, ${first.path} on ${ranOn(first.doc.source)}: merge shards of one run`, { path });
    for (const r of doc.results) {
      const seen = byId.get(r.id);
      if (seen && seen.r.status !== r.status) throw new CliError('bad-option', `test "${r.id}" is ${seen.r.status} in ${seen.path} but ${r.status} in ${path}: merge shards of one run`, { id: r.id });
      if (!seen) byId.set(r.id, { path, r });
    }
  }
  const results = [...byId.values()].map((x) => x.r).sort((a, b) => a.index - b.index);
  // A lost shard artifact would otherwise merge into a green run of part of the plan.
  if (results.length < first.doc.planned) throw new CliError('bad-option', `the files hold ${results.length} of the run's ${first.doc.planned} tests${missingShards(docs.map((d) => d.doc.shard))}: give every shard's --json or --junit file`, { tests: results.length, planned: first.doc.planned });
  return { format: RESULTS_FORMAT, suites: first.doc.suites, planned: first.doc.planned, source: first.doc.source, results };
}

/** ", shards 3/4 and 4/4 are missing" when the files say which shards they are (JSON does; JUnit does not). */
function missingShards(shards: readonly (Shard | undefined)[]): string {
  const count = shards[0]?.count;
  if (count === undefined || shards.some((s) => s?.count !== count)) return '';
  const given = new Set(shards.map((s) => s!.index));
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !given.has(i)).map((i) => `${i}/${count}`);
  if (missing.length === 0) return '';
  if (missing.length === 1) return `: shard ${missing[0]} is missing`;
  return `: shards ${missing.slice(0, -1).join(', ')} and ${missing[missing.length - 1]} are missing`;
}

const ranOn = (source: SuiteResults['source']): string => (source === 'model' ? 'the model' : 'the model and QEMU (--qemu)');
