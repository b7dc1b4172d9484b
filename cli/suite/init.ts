/**
 * `lusim suite init DEVICE...`: a suite of today's predictions, to review and commit. Per device a
 * reset case (reset_method, reset_function_method, reset_works on every kernel) and a cycle case
 * (a Live Update from each kernel to the newest one: load, what is lost, corrupted, stale, refused).
 * A suite resolves dump paths from its own directory, so they are written relative to the
 * directory the suite will live in: `--out FILE`'s, else the one it ran in (stdout), which the
 * header then says.
 */
import { existsSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { Document, isScalar, isSeq, visit } from 'yaml';
import { formatBdf } from '../../devices/dump/bdf.js';
import { CAPTURE_WHOLE } from '../../devices/dump/known.js';
import { planTests } from '../../sim/suite/plan.js';
import { predictReset, runModelTest } from '../../sim/suite/run.js';
import { expectationsOf, expectationsOver } from '../../sim/suite/snapshot.js';
import type { DeviceRef, Suite, SuiteCase } from '../../sim/suite/types.js';
import { builtinDevices } from '../args/device.js';
import { readDumpFile, STDIN } from '../args/dump-file.js';
import { CliError } from '../errors.js';
import { suiteDevices } from './run.js';

/** `dir`: where the suite file will be (default: the working directory). */
export async function initSuite(args: readonly string[], o: { kernels: readonly string[]; name: string; dir?: string }): Promise<{ text: string; notes: string[] }> {
  const last = o.kernels[o.kernels.length - 1];
  const dir = resolve(o.dir ?? process.cwd());
  const cases: SuiteCase[] = [];
  for (const { ref, label } of distinct(args.flatMap((a) => deviceRefs(a, dir)))) {
    const base = { device: ref, kernels: o.kernels, expect: {}, on: {}, line: 1 };
    cases.push({ ...base, name: `${label}: reset` });
    cases.push({ ...base, name: `${label}: live update to ${last}`, cycle: { to: last } });
  }
  const suite: Suite = { file: join(dir, '(suite init)'), name: o.name, kernels: o.kernels, cases };
  const devices = suiteDevices([suite]);
  const tests = planTests([suite]);
  const runs = new Map<string, Run[]>();
  const undecided = new Map<string, string>();
  for (const t of tests) {
    const dev = devices.get(`${suite.name}/${t.case.name}`)!;
    const { result: r } = await runModelTest(t, dev);
    if (r.status === 'error') throw new CliError('bad-option', `${t.id}: the model failed: ${r.error}`, {});
    // A reset_method left out: the dump cannot tell it (sim/suite/expect.ts observeReset); say why.
    if (!t.case.cycle && r.observed.reset_method === undefined && !undecided.has(t.case.name)) undecided.set(t.case.name, predictReset(t, dev).cannotTell!);
    runs.set(t.case.name, [...(runs.get(t.case.name) ?? []), { label: t.from !== undefined && t.case.cycle?.to !== undefined ? `${t.from}->${t.to}` : t.kernel, expect: expectationsOf(r.observed) }]);
  }
  const notes: string[] = [];
  const written = cases.filter((c) => {
    const kept = decidedOnEvery(runs.get(c.name)!);
    runs.set(c.name, kept);
    const why = undecided.get(c.name);
    if (why === undefined) return true;
    const empty = kept.every((r) => Object.keys(r.expect).length === 0);
    notes.push(`${c.name}: ${empty ? 'left out: the dump cannot tell its reset' : 'only what the dump decides is written: it cannot tell the rest'} (${why}); ${CAPTURE_WHOLE}`);
    return !empty;
  });
  const doc = new Document({
    name: o.name, kernels: [...o.kernels],
    cases: written.map((c) => ({
      name: c.name, device: c.device.kind === 'builtin' ? c.device.name : c.device.kind === 'dump' ? { dump: c.device.file, ...(c.device.bdf ? { bdf: c.device.bdf } : {}) } : { qemu: [c.device.name] },
      ...(c.cycle ? { cycle: c.cycle } : {}), expect: expectationsOver(runs.get(c.name)!),
    })),
  });
  // Lists of words read best on one line: [flr, bus].
  visit(doc, { Seq(_k, node) { if (isSeq(node) && node.items.every((i) => isScalar(i))) node.flow = true; } });
  const dumps = cases.some((c) => c.device.kind === 'dump');
  doc.commentBefore = ` Written by lusim suite init from the model's predictions on ${o.kernels.join(', ')}: review, then commit.${dumps && o.dir === undefined ? `\n Dump paths are relative to ${dir}, where it ran: save the suite there (or write it with --out FILE).` : ''}${notes.map((n) => `\n ${n}`).join('')}`;
  return { text: doc.toString({ lineWidth: 0 }), notes };
}

type Run = { label: string; expect: ReturnType<typeof expectationsOf> };

/**
 * Keep the keys every kernel's run decided: a key one kernel cannot tell must not be inherited
 * from the case's base by that kernel (expectationsOver writes the first run as the base).
 */
function decidedOnEvery(runs: readonly Run[]): Run[] {
  const keys = Object.keys(runs[0]!.expect).filter((k) => runs.every((r) => k in r.expect));
  return runs.map((r) => ({ ...r, expect: Object.fromEntries(keys.map((k) => [k, (r.expect as Record<string, unknown>)[k]])) }));
}

/** One device given twice (`nvme nvme`, `d.lspci ./d.lspci`) would write cases a suite refuses: same names, same tests. */
function distinct(refs: readonly { ref: DeviceRef; label: string }[]): readonly { ref: DeviceRef; label: string }[] {
  const seen = new Map<string, string>();
  for (const { ref, label } of refs) {
    const key = JSON.stringify(ref);
    const first = seen.get(key);
    if (first !== undefined) throw new CliError('bad-option', `${label === first ? `${label} is given twice` : `${first} and ${label} are the same device`}: give each device once`, { device: label });
    seen.set(key, label);
  }
  return refs;
}

function deviceRefs(arg: string, dir: string): { ref: DeviceRef; label: string }[] {
  if (builtinDevices().includes(arg)) return [{ ref: { kind: 'builtin', name: arg }, label: arg }];
  // A suite names its dumps by path and reads them on every run: a piped dump has none.
  if (arg === STDIN) throw new CliError('bad-option', 'a suite reads its dumps from files on every run: save the dump to a file (lspci -xxxx > dump.lspci) and give that', {});
  if (!existsSync(arg)) throw new CliError('file-not-found', `"${arg}" is neither a built-in device (${builtinDevices().join(', ')}) nor a dump file`, { device: arg });
  const all = readDumpFile(arg);
  // As the suite will read it: from its own directory, with / on every platform.
  const file = relative(dir, resolve(arg)).split(sep).join('/');
  if (all.length === 1) return [{ ref: { kind: 'dump', file }, label: arg }];
  return all.map((d) => ({ ref: { kind: 'dump', file, bdf: formatBdf(d.bdf) }, label: `${arg} ${formatBdf(d.bdf)}` }));
}
