/**
 * `lusim suite run --qemu`: every test on the model as usual, and the reset cases on real
 * Debian kernels too: one QEMU guest per kernel boots with every device its reset cases name
 * (kexec/real-reset-methods.ts), and each case also checks the real sysfs reset_method against
 * its expectation and against the model's prediction, saying which disagrees. Cycle cases and
 * dump-file devices run on the model only (the result says so): the real cycle needs a guest
 * per kernel pair and device, which this runner does not start yet.
 */
import { parseSeries, requireKernel } from '../../kexec/kernels.js';
import { isKernelPath, userKernel } from '../../kexec/user-kernel.js';
import { suiteKernelSpec } from './kernels.js';
import { parseRealDevices } from '../../kexec/real-devices.js';
import { runResetMethodsLive, type LiveResetMethodsReport } from '../../kexec/real-reset-methods.js';
import type { Shard } from '../../sim/suite/plan.js';
import { planTests, shardTests } from '../../sim/suite/plan.js';
import { runModelTest } from '../../sim/suite/run.js';
import type { Check, PlannedTest, TestResult } from '../../sim/suite/types.js';
import { log } from '../log.js';
import { QEMU_FIXTURE } from './devices.js';
import { RESULTS_FORMAT, type SuiteResults } from './results.js';
import { readSuiteFile, suiteDevices } from './run.js';

const QEMU_KERNELS = {
  isKnownKernel: (k: string) => { try { parseSeries(k); return true; } catch { return isKernelPath(k); } },
  knownKernels: 'a Debian series: 6.1, 6.12, 7.x, 7.3 (or a profile id 6.1.y, 6.12.y, 7.1, 7.2), or the path of a bzImage or build directory',
};

/** The real-run device of a case, when it has one (kexec/real-devices.ts names). */
function realDevice(t: PlannedTest): string | undefined {
  const d = t.case.device;
  if (d.kind === 'qemu') return d.name === 'virtio-net' ? 'virtio-net-pci' : d.name === 'xhci' ? 'qemu-xhci' : d.name;
  if (d.kind === 'builtin' && QEMU_FIXTURE[d.name]) return d.name === 'virtio-net' ? 'virtio-net-pci' : d.name;
  return undefined;
}

export async function runQemuSuites(files: readonly string[], o: { jobs: number; shard?: Shard }): Promise<SuiteResults> {
  const suites = files.map((f) => readSuiteFile(f, QEMU_KERNELS));
  const devices = suiteDevices(suites);
  const plan = planTests(suites);
  const tests = o.shard ? shardTests(plan, o.shard) : plan;
  // The model runs the profile of the Debian kernel the cache holds for each series.
  const profiles = new Map<string, string>();
  for (const k of new Set(tests.flatMap((t) => [t.kernel, t.from, t.to].filter((x): x is string => x !== undefined)))) {
    // A user's build: resolved (and checked) here, relative to the first suite file naming it.
    const file = tests.find((t) => [t.kernel, t.from, t.to].includes(k))!.suite.file;
    profiles.set(k, isKernelPath(k) ? userKernel(suiteKernelSpec(k, file)).profile : requireKernel(k).profile);
  }
  const live = await bootKernels(tests, o.jobs);
  const results: TestResult[] = [];
  for (const t of tests) {
    const start = performance.now();
    const onModel: PlannedTest = { ...t, kernel: profiles.get(t.kernel)!, ...(t.from !== undefined ? { from: profiles.get(t.from)!, to: profiles.get(t.to!)! } : {}) };
    const { result: m } = await runModelTest(onModel, devices.get(`${t.suite.name}/${t.case.name}`)!);
    const labels = { kernel: t.kernel, ...(t.from !== undefined ? { from: t.from, to: t.to } : {}) };
    const real = realDevice(t);
    const report = live.get(suiteKernelSpec(t.kernel, t.suite.file));
    if (t.case.cycle || !real || !report || m.status === 'error') {
      const note = t.case.cycle ? 'model only: --qemu runs reset cases on real kernels; cycle cases run on the model' : 'model only: a dump-file device has no QEMU counterpart';
      results.push({ ...m, ...labels, notes: [note], seconds: (performance.now() - start) / 1000 });
      continue;
    }
    const d = report.devices.find((x) => x.id === real)!;
    const checks: Check[] = [...m.checks];
    if (t.expect.reset_method) checks.push({ key: 'qemu.reset_method', pass: same(d.real, t.expect.reset_method), expected: [...t.expect.reset_method], actual: [...d.real], why: `sysfs reset_method of ${d.id} ${d.bdf} under Linux ${report.kernel.release} (QEMU ${report.accelerator.name.toUpperCase()})` });
    checks.push({ key: 'model = qemu (reset_method)', pass: d.agree, expected: [...d.real], actual: [...d.predicted.resetMethods], why: d.agree ? 'the model predicts what the kernel wrote' : `the model (profile ${report.kernel.profile}) disagrees with Linux ${report.kernel.release}: ${d.predicted.reasons.join('; ')}` });
    results.push({ ...m, ...labels, source: 'qemu', checks, status: checks.every((c) => c.pass) ? 'pass' : 'fail', seconds: (performance.now() - start) / 1000 });
  }
  return { format: RESULTS_FORMAT, suites: suites.map((s) => ({ name: s.name, file: s.file })), planned: plan.length, ...(o.shard ? { shard: o.shard } : {}), source: 'model+qemu', results };
}

/** One guest per kernel with every device the kernel's reset tests name; `jobs` guests at a time. */
async function bootKernels(tests: readonly PlannedTest[], jobs: number): Promise<Map<string, LiveResetMethodsReport>> {
  const wanted = new Map<string, Set<string>>();
  for (const t of tests) {
    const real = realDevice(t);
    if (t.case.cycle || !real) continue;
    const k = suiteKernelSpec(t.kernel, t.suite.file);
    wanted.set(k, (wanted.get(k) ?? new Set()).add(real));
  }
  const queue = [...wanted.entries()];
  const out = new Map<string, LiveResetMethodsReport>();
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const [kernel, names] = next;
      log.info(`suite --qemu: booting ${kernel} with ${[...names].join(', ')}`);
      out.set(kernel, await runResetMethodsLive({ endpoints: parseRealDevices([...names].join(',')), kernel, fetch: false, progress: (m) => log.info(`suite --qemu: ${m}`) }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, queue.length) }, worker));
  return out;
}

function same(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
