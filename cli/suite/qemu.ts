/**
 * `lusim suite run --qemu`: every test on the model as usual (with the profile of the Debian
 * kernel the cache holds for each series, or of the user's build a path names), and the tests whose device QEMU can build on real
 * kernels too, in as few guests as cli/suite/qemu-boots.ts can plan: a reset case checks the
 * real sysfs reset_method against its expectation and against the model's prediction; a cycle case checks
 * its expectations on the real cycle and the model's prediction of that cycle against it
 * (cli/suite/qemu-cycle.ts). A case fails where model and kernel disagree, saying which.
 * Dump-file devices, and cycles the real run cannot do, run on the model only and say so.
 */
import type { CycleResult } from '../../sim/cycle/run.js';
import { parseSeries, requireKernel } from '../../kexec/kernels/kernels.js';
import { isKernelPath, userKernel } from '../../kexec/kernels/user-kernel.js';
import { suiteKernelSpec } from './kernels.js';
import type { AcceleratorInfo } from '../../kexec/qemu/accel.js';
import { REAL_DEVICE_NAMES } from '../../kexec/topology/real-devices.js';
import type { LiveResetMethodsReport } from '../../kexec/run/real-reset-methods.js';
import type { Shard } from '../../sim/suite/plan.js';
import { planTests, shardTests } from '../../sim/suite/plan.js';
import { runModelTest, type SuiteDevice } from '../../sim/suite/run.js';
import type { Check, PlannedTest, TestResult } from '../../sim/suite/types.js';
import { log } from '../log.js';
import { planBoots, realCycleRun, realDevice, runBoots, type BootOutcome, type BootRecord } from './qemu-boots.js';
import { judgeRealCycle } from './qemu-cycle.js';
import { RESULTS_FORMAT, type SuiteResults } from './results.js';
import { readSuiteFile, suiteDevices } from './run.js';

const QEMU_KERNELS = {
  isKnownKernel: (k: string) => { try { parseSeries(k); return true; } catch { return isKernelPath(k); } },
  knownKernels: 'a Debian series: 6.1, 6.12, 7.x, 7.3 (or a profile id 6.1.y, 6.12.y, 7.1, 7.2), or the path of a bzImage or build directory',
};

export interface QemuSuiteRun {
  readonly doc: SuiteResults;
  /** The guests that booted, in start order (--jobs N overlaps them). */
  readonly boots: readonly BootRecord[];
  /** The model's cycle results by test id, for --html. */
  readonly cycles: Map<string, CycleResult>;
  readonly devices: Map<string, SuiteDevice>;
}

export async function runQemuSuites(files: readonly string[], o: { jobs: number; shard?: Shard }): Promise<QemuSuiteRun> {
  const suites = files.map((f) => readSuiteFile(f, QEMU_KERNELS));
  const devices = suiteDevices(suites);
  const plan = planTests(suites);
  const tests = o.shard ? shardTests(plan, o.shard) : plan;
  const profiles = new Map<string, string>();
  for (const k of new Set(tests.flatMap((t) => [t.kernel, t.from, t.to].filter((x): x is string => x !== undefined)))) {
    // A user's build: resolved (and checked) here, relative to the first suite file naming it.
    const file = tests.find((t) => [t.kernel, t.from, t.to].includes(k))!.suite.file;
    profiles.set(k, isKernelPath(k) ? userKernel(suiteKernelSpec(k, file)).profile : requireKernel(k).profile);
  }
  const { boots, byTest } = planBoots(tests);
  const { outcomes, records } = await runBoots(boots, o.jobs, (m) => log.info(`suite --qemu: ${m}`));
  const results: TestResult[] = [];
  const cycles = new Map<string, CycleResult>();
  for (const t of tests) {
    const start = performance.now();
    const onModel: PlannedTest = { ...t, kernel: profiles.get(t.kernel)!, ...(t.from !== undefined ? { from: profiles.get(t.from)!, to: profiles.get(t.to!)! } : {}) };
    const run = await runModelTest(onModel, devices.get(`${t.suite.name}/${t.case.name}`)!);
    if (run.cycle) cycles.set(t.id, run.cycle);
    const labels = { kernel: t.kernel, ...(t.from !== undefined ? { from: t.from, to: t.to } : {}) };
    const seconds = () => (performance.now() - start) / 1000;
    const boot = byTest.get(t.id);
    const outcome = boot === undefined ? undefined : outcomes.get(boot);
    if (!outcome || run.result.status === 'error') {
      results.push({ ...run.result, ...labels, notes: [modelOnlyWhy(t)], seconds: seconds() });
      continue;
    }
    const real = judgeReal(t, outcome, run.cycle);
    const checks = [...run.result.checks, ...real.checks];
    results.push({
      ...run.result, ...labels, source: 'qemu', checks, ...(real.notes.length ? { notes: real.notes } : {}),
      ...(real.error ? { status: 'error', error: real.error } : { status: checks.every((c) => c.pass) ? 'pass' : 'fail' }), seconds: seconds(),
    });
  }
  const doc: SuiteResults = { format: RESULTS_FORMAT, suites: suites.map((s) => ({ name: s.name, file: s.file })), planned: plan.length, ...(o.shard ? { shard: o.shard } : {}), source: 'model+qemu', results };
  return { doc, boots: records, cycles, devices };
}

function modelOnlyWhy(t: PlannedTest): string {
  const d = t.case.device;
  if (d.kind === 'dump') return 'model only: a dump-file device has no QEMU counterpart';
  if (!realDevice(t)) return `model only: QEMU builds no ${d.name} for the real run (it boots ${REAL_DEVICE_NAMES.join(', ')})`;
  if (t.case.cycle) {
    const r = realCycleRun(t);
    if ('why' in r) return r.why;
  }
  return 'model only: the model could not run it';
}

function judgeReal(t: PlannedTest, outcome: BootOutcome, cycle: CycleResult | undefined): { checks: Check[]; notes: string[]; error?: string } {
  if (outcome.kind === 'failed') return { checks: [], notes: [], error: outcome.error };
  const id = realDevice(t)!;
  if (outcome.kind === 'reset') return { checks: resetChecks(t, outcome.report, id), notes: [] };
  const r = outcome.report;
  const failed = `the real cycle ${r.options.from} -> ${r.options.to} failed in phase "${r.error?.phase}": ${r.error?.message}`;
  // A reset case rode in the cycle's guest: kernel A's cold boot answered it before the kexec.
  if (!t.case.cycle) {
    return r.resetMethodsA
      ? { checks: resetChecks(t, { ...r.resetMethodsA, ...(r.accelerator ? { accelerator: r.accelerator } : {}) }, id), notes: [`reset_method read on kernel A's boot of the real cycle ${r.options.from} -> ${r.options.to}`] }
      : { checks: [], notes: [], error: failed };
  }
  return r.ok ? judgeRealCycle(t, r, id, cycle?.fields ?? []) : { checks: [], notes: [], error: failed };
}

/** A reset case on the real kernel: its expectation against sysfs, and the model against the kernel. */
function resetChecks(t: PlannedTest, report: Pick<LiveResetMethodsReport, 'kernel' | 'devices'> & { readonly accelerator?: AcceleratorInfo }, id: string): Check[] {
  const d = report.devices.find((x) => x.id === id)!;
  const checks: Check[] = [];
  if (t.expect.reset_method) checks.push({ key: 'qemu.reset_method', pass: same(d.real, t.expect.reset_method), expected: [...t.expect.reset_method], actual: [...d.real], why: `sysfs reset_method of ${d.id} ${d.bdf} under Linux ${report.kernel.release}${report.accelerator ? ` (QEMU ${report.accelerator.name.toUpperCase()})` : ''}` });
  checks.push({ key: 'model = qemu (reset_method)', pass: d.agree, expected: [...d.real], actual: [...d.predicted.resetMethods], why: d.agree ? 'the model predicts what the kernel wrote' : `the model (profile ${report.kernel.profile}) disagrees with Linux ${report.kernel.release}: ${d.predicted.reasons.join('; ')}` });
  return checks;
}

function same(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
