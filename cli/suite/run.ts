/**
 * `lusim suite run`: read the suite files, plan the tests, take this runner's shard, run each on
 * the model (and with --qemu on real kernels: cli/suite/qemu.ts), and hand back the results.
 */
import { readFileSync } from 'node:fs';
import type { CycleResult } from '../../sim/cycle/run.js';
import { KERNEL_PROFILE_IDS } from '../../sim/linux/profiles.js';
import { fsErrorReason } from '../../devices/errors.js';
import { SuiteError } from '../../sim/suite/errors.js';
import { loadSuite, type LoadOptions } from '../../sim/suite/load.js';
import { planTests, shardTests, type Shard } from '../../sim/suite/plan.js';
import { runModelTest, type SuiteDevice } from '../../sim/suite/run.js';
import type { PlannedTest, Suite, TestResult } from '../../sim/suite/types.js';
import { suiteDevice } from './devices.js';
import { SuiteKernels } from './kernels.js';
import { isKernelPath } from '../../kexec/kernels/user-kernel.js';
import { RESULTS_FORMAT, type SuiteResults } from './results.js';

export const MODEL_KERNELS: LoadOptions = { isKnownKernel: (k) => KERNEL_PROFILE_IDS.includes(k) || isKernelPath(k), knownKernels: `a kernel profile: ${KERNEL_PROFILE_IDS.join(', ')}, or the path of a bzImage or build directory` };

export function readSuiteFile(path: string, opts: LoadOptions): Suite {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new SuiteError([{ file: path, line: 1, key: '', message: `cannot read the suite file (${fsErrorReason(e)}): give a suite YAML file (docs/suites.md)` }]);
  }
  return loadSuite(text, path, opts);
}

/** Every case's device, read once before anything runs, so a wrong path is exit 2 up front. */
export function suiteDevices(suites: readonly Suite[]): Map<string, SuiteDevice> {
  const out = new Map<string, SuiteDevice>();
  const issues = [];
  for (const s of suites) {
    for (const [i, c] of s.cases.entries()) {
      try {
        out.set(`${s.name}/${c.name}`, suiteDevice(s, c, i));
      } catch (e) {
        if (!(e instanceof SuiteError)) throw e;
        issues.push(...e.issues);
      }
    }
  }
  if (issues.length > 0) throw new SuiteError(issues);
  return out;
}

export interface RunOptions {
  readonly shard?: Shard;
  readonly progress?: (done: number, total: number, test: PlannedTest) => void;
}

export interface SuiteRun {
  readonly doc: SuiteResults;
  readonly tests: PlannedTest[];
  readonly devices: Map<string, SuiteDevice>;
  /** Cycle results by test id, for --html. */
  readonly cycles: Map<string, CycleResult>;
}

export async function runSuites(suites: readonly Suite[], opts: RunOptions = {}): Promise<SuiteRun> {
  const devices = suiteDevices(suites);
  const plan = planTests(suites);
  const tests = opts.shard ? shardTests(plan, opts.shard) : plan;
  const kernels = new SuiteKernels(tests);
  const results: TestResult[] = [];
  const cycles = new Map<string, CycleResult>();
  for (const t of tests) {
    opts.progress?.(results.length, tests.length, t);
    const start = performance.now();
    const { test, kconfig } = kernels.onModel(t);
    const m = await runModelTest(test, devices.get(`${t.suite.name}/${t.case.name}`)!, kconfig);
    // The results name the kernels as the suite does (a path stays a path).
    const run = { ...m, result: { ...m.result, kernel: t.kernel, ...(t.from !== undefined ? { from: t.from, to: t.to } : {}) } };
    results.push({ ...run.result, seconds: (performance.now() - start) / 1000 });
    if (run.cycle) cycles.set(t.id, run.cycle);
  }
  const doc: SuiteResults = {
    format: RESULTS_FORMAT, suites: suites.map((s) => ({ name: s.name, file: s.file })), planned: plan.length,
    ...(opts.shard ? { shard: opts.shard } : {}), source: 'model', results,
  };
  return { doc, tests, devices, cycles };
}
