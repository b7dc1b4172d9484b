/**
 * The tests of a suite, in a fixed order (suite files as given, cases in file order, kernels in
 * the case's order), and the deterministic shard of them a CI runner takes.
 */
import { SuiteError } from './errors.js';
import type { Expectations, PlannedTest, Suite, SuiteCase } from './types.js';

export interface KernelRun { readonly kernel: string; readonly from?: string; readonly to?: string; readonly label: string }

/**
 * The kernels a case runs on. A reset case: each of its kernels. A cycle case: from -> to; a
 * missing end takes each of the case's kernels in turn (both missing: the same kernel on each side).
 * A cycle test is filed under kernel B, the kernel whose restore decides the outcome.
 */
export function kernelRuns(c: Pick<SuiteCase, 'kernels' | 'cycle'>): KernelRun[] {
  if (!c.cycle) return c.kernels.map((k) => ({ kernel: k, label: k }));
  const { from, to } = c.cycle;
  if (from !== undefined && to !== undefined) return [{ kernel: to, from, to, label: `${from}->${to}` }];
  return c.kernels.map((k) => {
    const a = from ?? k;
    const b = to ?? k;
    return { kernel: b, from: a, to: b, label: `${a}->${b}` };
  });
}

/** `on:` keys a case accepts: its kernels (kernel B for a cycle) and, for a cycle, "A->B". */
export function onKeys(c: Pick<SuiteCase, 'kernels' | 'cycle'>): string[] {
  const runs = kernelRuns(c);
  return [...new Set([...runs.map((r) => r.kernel), ...(c.cycle ? runs.map((r) => r.label) : [])])];
}

/** Expectations on one kernel: the case's, with the keys of on[kernel] then on["A->B"] replacing them. */
export function expectationsFor(c: SuiteCase, run: KernelRun): Expectations {
  return { ...c.expect, ...(c.on[run.kernel] ?? {}), ...(run.label !== run.kernel ? (c.on[run.label] ?? {}) : {}) };
}

export function planTests(suites: readonly Suite[]): PlannedTest[] {
  const names = new Map<string, string>();
  for (const s of suites) {
    const other = names.get(s.name);
    if (other !== undefined) throw new SuiteError([{ file: s.file, line: 1, key: 'name', message: `"${s.name}" is also the name of the suite in ${other}; suite names must be unique in one run` }]);
    names.set(s.name, s.file);
  }
  const tests: PlannedTest[] = [];
  for (const suite of suites) {
    for (const c of suite.cases) {
      for (const run of kernelRuns(c)) {
        tests.push({
          id: `${suite.name}/${c.name}@${run.label}`, index: tests.length, suite, case: c, kernel: run.kernel,
          ...(run.from !== undefined ? { from: run.from, to: run.to } : {}), expect: expectationsFor(c, run),
        });
      }
    }
  }
  return tests;
}

export interface Shard { readonly index: number; readonly count: number }

/** "I/N", 1-based as CI matrices count (GitLab's CI_NODE_INDEX/CI_NODE_TOTAL). */
export function parseShard(text: string): Shard | string {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) return `--shard "${text}" is not I/N (e.g. 2/4)`;
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count) return `--shard ${text}: I must be 1..N and N at least 1`;
  return { index, count };
}

/**
 * Round-robin over the plan: shard I of N takes tests I-1, I-1+N, ... Every test lands in exactly
 * one shard, the shards differ in size by at most one, and the slice depends only on the files.
 */
export function shardTests<T extends { readonly index: number }>(tests: readonly T[], shard: Shard): T[] {
  return tests.filter((t) => t.index % shard.count === shard.index - 1);
}
