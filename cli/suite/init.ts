/**
 * `lusim suite init DEVICE...`: a suite of today's predictions, to review and commit. Per device a
 * reset case (reset_method, reset_function_method, reset_works on every kernel) and a cycle case
 * (a Live Update from each kernel to the newest one: load, what is lost, corrupted, stale, refused).
 * Dump paths are written as given: run it where the suite file will live.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Document, isScalar, isSeq, visit } from 'yaml';
import { formatBdf } from '../../devices/dump/bdf.js';
import { planTests } from '../../sim/suite/plan.js';
import { runModelTest } from '../../sim/suite/run.js';
import { expectationsOf, expectationsOver } from '../../sim/suite/snapshot.js';
import type { DeviceRef, Suite, SuiteCase } from '../../sim/suite/types.js';
import { builtinDevices } from '../device-arg.js';
import { CliError, readDumpFile } from '../input.js';
import { suiteDevices } from './run.js';

export async function initSuite(args: readonly string[], o: { kernels: readonly string[]; name: string }): Promise<string> {
  const last = o.kernels[o.kernels.length - 1];
  const cases: SuiteCase[] = [];
  for (const { ref, label } of args.flatMap(deviceRefs)) {
    const base = { device: ref, kernels: o.kernels, expect: {}, on: {}, line: 1 };
    cases.push({ ...base, name: `${label}: reset` });
    cases.push({ ...base, name: `${label}: live update to ${last}`, cycle: { to: last } });
  }
  const suite: Suite = { file: join(process.cwd(), '(suite init)'), name: o.name, kernels: o.kernels, cases };
  const devices = suiteDevices([suite]);
  const tests = planTests([suite]);
  const runs = new Map<string, { label: string; expect: ReturnType<typeof expectationsOf> }[]>();
  for (const t of tests) {
    const { result: r } = await runModelTest(t, devices.get(`${suite.name}/${t.case.name}`)!);
    if (r.status === 'error') throw new CliError('bad-option', `${t.id}: the model failed: ${r.error}`, {});
    runs.set(t.case.name, [...(runs.get(t.case.name) ?? []), { label: t.from !== undefined && t.case.cycle?.to !== undefined ? `${t.from}->${t.to}` : t.kernel, expect: expectationsOf(r.observed) }]);
  }
  const doc = new Document({
    name: o.name, kernels: [...o.kernels],
    cases: cases.map((c) => ({
      name: c.name, device: c.device.kind === 'builtin' ? c.device.name : c.device.kind === 'dump' ? { dump: c.device.file, ...(c.device.bdf ? { bdf: c.device.bdf } : {}) } : { qemu: [c.device.name] },
      ...(c.cycle ? { cycle: c.cycle } : {}), expect: expectationsOver(runs.get(c.name)!),
    })),
  });
  // Lists of words read best on one line: [flr, bus].
  visit(doc, { Seq(_k, node) { if (isSeq(node) && node.items.every((i) => isScalar(i))) node.flow = true; } });
  doc.commentBefore = ` Written by lusim suite init from the model's predictions on ${o.kernels.join(', ')}: review, then commit.`;
  return doc.toString({ lineWidth: 0 });
}

function deviceRefs(arg: string): { ref: DeviceRef; label: string }[] {
  if (builtinDevices().includes(arg)) return [{ ref: { kind: 'builtin', name: arg }, label: arg }];
  if (!existsSync(arg)) throw new CliError('file-not-found', `"${arg}" is neither a built-in device (${builtinDevices().join(', ')}) nor a dump file`, { device: arg });
  const all = readDumpFile(arg);
  if (all.length === 1) return [{ ref: { kind: 'dump', file: arg }, label: arg }];
  return all.map((d) => ({ ref: { kind: 'dump', file: arg, bdf: formatBdf(d.bdf) }, label: `${arg} ${formatBdf(d.bdf)}` }));
}
