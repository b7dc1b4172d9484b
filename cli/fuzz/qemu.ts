/**
 * `lusim fuzz --qemu N`: N layouts QEMU 7.2 realizes by device properties (sim/fuzz/qemu-sample.ts)
 * run for real, each through the real cycle of `lusim cycle --qemu` (kexec/run/real-cycle.ts: kernel
 * A's own save through lusim's module, the Linux blob across a real kexec, kernel B's own load and
 * restore), and judged by the `qemu` oracle: every phase the real cycle measures against the
 * model's prediction for it, from the same state, is a finding where they differ.
 *
 *   kexec    after kernel B's agent answers: the model's kernel A shutdown + kernel B enumeration
 *            and driver probe, from the step-1 capture (report.fidelity, after-kexec), except the
 *            MSI message a driver kernel B bound programmed: the x86 vector allocator's choice,
 *            which no model of the PCI code predicts (sim/predict/unpredictable.ts
 *            'vector-allocator'; the model writes vector 0x22, QEMU's ioh3420 read 0x20);
 *   unbind   after B's driver is unbound: the model's ->shutdown path (fidelity, after-unbind);
 *   blob     kernel A's pci_store_saved_state blob against the model's from the same capture
 *            (kernel.save.differences);
 *   load     pci_load_saved_state's return in kernel B against the model's (kernel.load);
 *   restore  the config space after kernel B's pci_restore_state against the model's restore
 *            from the same pre-restore capture (kernel.restoredVsPredicted);
 *   trace    unless --no-qemu-trace: QEMU's pci_cfg_write trace of the run against the model's writes,
 *            write by write per phase and function, but for the classes the model names
 *            (qemu-trace.ts); its reproducer adds --timeline;
 *   run-failed  the real run did not complete (boot, kexec, timeout): nothing was compared.
 * The report's end-to-end comparison (devices[].modelDifferences: the model's plain runCycle from
 * the step-1 capture) is not used: that cycle does not unbind kernel B's driver as the real run
 * does (INTX_DISABLE 1 -> 0 really, unchanged in the model), so it differs by construction; the
 * phases above cover the same cycle from the same states.
 *
 * Must hold (exit 1): the model claims these devices (the QEMU 7.2 profiles) and these kernels.
 * Each sample is a boot, a kexec and a boot (~10-25 s under TCG); --jobs N runs N of them at a
 * time. A finding is then shrunk by real runs of simpler samples (cli/fuzz/qemu-shrink.ts).
 */
import type { RealCycleReport } from '../../kexec/run/real-cycle-report.js';
import { interruptedBy } from '../../kexec/process/cleanup.js';
import { parseTopology } from '../../kexec/topology/qemu-device.js';
import type { Finding } from '../../sim/fuzz/oracles.js';
import { qemuSampleCommand, type QemuSample } from '../../sim/fuzz/qemu-sample.js';
import { signatureId } from '../../sim/fuzz/signature.js';
import { MSI_MESSAGE } from '../../sim/predict/unpredictable.js';
import type { PhasedWrite } from '../../sim/write-log/entry.js';
import { unexplainedWrites } from './qemu-trace.js';
import { atATime } from '../at-a-time.js';

export interface QemuFinding extends Finding {
  readonly signature: string;
  readonly sample: number;
  /** The -device strings of the run that showed it (the sample's, or after a shrink a simpler one's). */
  readonly devices: readonly string[];
  readonly command: string;
  /** Set by cli/fuzz/qemu-shrink.ts: the sample's own strings, and the real runs the shrink took. */
  readonly shrunk?: { readonly from: readonly string[]; readonly runs: number };
}

const hex = (v: number) => `0x${v.toString(16)}`;

/** The qemu oracle's findings for one sample's real-cycle report. */
export function judgeQemuSample(s: QemuSample, r: RealCycleReport): QemuFinding[] {
  // The signature names each function by its QEMU device alone (ids are lusim's or the sample's
  // and change as a shrink drops devices), so one disagreement is one finding whatever the
  // sample around it. The detail also says where the function sits when the sample has two of
  // that device, so a reader can tell which -device string it is.
  const devices = parseTopology(s.devices).devices;
  const drivers = new Map(devices.map((d) => [d.id, d.driver]));
  const who = (id: string, register: string) => `${drivers.get(id) ?? id}:${register}`;
  const label = (id: string) => {
    const d = devices.find((x) => x.id === id);
    if (!d || devices.filter((x) => x.driver === d.driver).length < 2) return drivers.get(id) ?? id;
    return `${d.driver}[${[`bus=${d.bus ?? 'pcie.0'}`, ...(d.addr !== undefined ? [`addr=${d.addr}`] : [])].join(',')}]`;
  };
  const where = (id: string, register: string) => `${label(id)}:${register}`;
  const out: Finding[] = [];
  const add = (kind: string, registers: readonly string[], detail: string) => out.push({ oracle: 'qemu', kind, registers: [...new Set(registers)].sort(), detail });
  if (!r.ok) add('run-failed', [`${r.error?.code ?? 'unknown'} in ${r.error?.phase ?? '?'}`], `the real cycle did not complete: ${r.error?.message.split('\n')[0] ?? 'no error recorded'}`);
  for (const point of ['after-kexec', 'after-unbind'] as const) {
    // After the kexec, a driver kernel B bound has programmed its MSI message: unpredictable.
    const predictable = (f: RealCycleReport['fidelity'][number], register: string) => !(point === 'after-kexec' && f.driverB !== null && MSI_MESSAGE.has(register));
    const diffs = r.fidelity.filter((f) => f.point === point).flatMap((f) => f.diffs.filter((d) => predictable(f, d.register)).map((d) => ({ id: f.id, d })));
    if (diffs.length) add(point === 'after-kexec' ? 'kexec' : 'unbind', diffs.map((x) => who(x.id, x.d.register)), `${point}: ${diffs.slice(0, 3).map((x) => `${where(x.id, x.d.register)} before ${hex(x.d.captured)}, model ${hex(x.d.predicted)}, real ${hex(x.d.real)}`).join('; ')}${diffs.length > 3 ? `, +${diffs.length - 3}` : ''}`);
  }
  for (const d of r.devices) {
    const k = d.kernel;
    if (!k) continue;
    if (k.save.differences.length) add('blob', k.save.differences.map((x) => who(d.id, x.register)), `kernel A's blob differs from the model's in ${k.save.differences.length} bytes: ${k.save.differences.slice(0, 3).map((x) => `byte ${x.offset} (${x.where} ${where(d.id, x.register)}) real ${hex(x.real)} model ${hex(x.model)} [${x.why}]`).join('; ')}`);
    if (k.load.ret !== k.load.model.ret) add('load', [who(d.id, 'pci_load_saved_state')], `kernel B's pci_load_saved_state returned ${k.load.ret} for ${label(d.id)}, the model ${k.load.model.ret}${k.load.refusedAt ? ` (refused at ${k.load.refusedAt})` : ''}`);
    if (k.restoredVsPredicted.length) add('restore', k.restoredVsPredicted.map((x) => who(d.id, x.register)), `after kernel B's restore: ${k.restoredVsPredicted.slice(0, 3).map((x) => `${where(d.id, x.register)} model ${hex(x.predicted)}, real ${hex(x.real)}`).join('; ')}`);
  }
  const trace = r.writeTrace?.comparison;
  if (trace) {
    const u = unexplainedWrites(trace);
    const idOf = new Map((r.captures.a?.functions ?? []).map((f) => [f.bdf, f.id]));
    const writes = [...u.onlyModel.map((w) => ({ w, side: 'model' })), ...u.onlyReal.map((w) => ({ w, side: 'QEMU' }))];
    const reg = (w: PhasedWrite) => `${w.phase}@${hex(w.offset)}`;
    if (writes.length) add('trace', writes.map((x) => who(idOf.get(x.w.device) ?? x.w.device, reg(x.w))), `config writes only one side made: ${writes.slice(0, 3).map((x) => `${where(idOf.get(x.w.device) ?? x.w.device, reg(x.w))} ${hex(x.w.value)} (${x.side} only${x.w.fn ? `, ${x.w.fn}` : ''})`).join('; ')}${writes.length > 3 ? `, +${writes.length - 3}` : ''}`);
  }
  const command = qemuSampleCommand(s);
  return out.map((f) => ({ ...f, sample: s.index, devices: s.devices, command: f.kind === 'trace' ? `${command} --timeline` : command, signature: [`qemu/${f.kind}`, `${s.from}->${s.to}`, 'linux-blob', 'real', '-', f.registers.join(',') || '-'].join(' | ') }));
}

export interface QemuRun {
  readonly samples: number;
  readonly completed: number;
  readonly ms: number;
  /** First sample of each signature, in sample order. */
  readonly findings: readonly QemuFinding[];
  /** A signal stopped the samples (kexec/process/cleanup.ts): the rest did not run. */
  readonly interrupted?: NodeJS.Signals;
}

/** One sample's real cycle (kexec/run/real-cycle.ts runRealCycle; a test passes a stand-in). */
export type SampleRunner = (s: QemuSample) => Promise<RealCycleReport>;

/** The real runner; `writeTrace` records QEMU's config-write trace for the `trace` kind (off with --no-qemu-trace). */
export const realSampleRunner = (o: { readonly writeTrace: boolean }): SampleRunner => async (s) => {
  const { runRealCycle } = await import('../../kexec/run/real-cycle.js');
  return runRealCycle({ endpoints: [], topology: parseTopology(s.devices), from: s.from, to: s.to, format: 'linux-blob', saver: 'kernel', fetch: false, ...(o.writeTrace ? { writeTrace: true } : {}) });
};

/**
 * Runs the samples `jobs` at a time (`--jobs`: each boots its own QEMU, one TCG vCPU thread, as
 * `lusim suite --qemu --jobs` runs its guests); `progress` gets one line per sample as it ends.
 * The findings do not depend on `jobs` or on which sample ended first: they are merged in sample
 * order, the first sample of each signature kept.
 */
export async function runQemuSamples(samples: readonly QemuSample[], progress: (line: string) => void, jobs = 1, run: SampleRunner = realSampleRunner({ writeTrace: false })): Promise<QemuRun> {
  const t0 = Date.now();
  const found: (readonly QemuFinding[])[] = [];
  let completed = 0;
  await atATime(samples, jobs, async (s, i) => {
    // After a signal no sample starts, and one it stopped is no finding (QEMU was killed).
    if (interruptedBy()) return;
    const report = await run(s);
    if (interruptedBy()) return;
    if (report.ok) completed++;
    found[i] = judgeQemuSample(s, report);
    progress(`  qemu sample ${s.index + 1}/${samples.length} ${s.from} -> ${s.to} ${s.devices.join(' ')}: ${report.ok ? `${(report.totalMs / 1000).toFixed(1)} s` : `FAILED in ${report.error?.phase}`}, ${found[i].length ? found[i].map((f) => `qemu/${f.kind}`).join(', ') : 'model and QEMU agree'}`);
  });
  const seen = new Map<string, QemuFinding>();
  for (const list of found) for (const f of list ?? []) if (!seen.has(f.signature)) seen.set(f.signature, f);
  const interrupted = interruptedBy()?.signal;
  return { samples: samples.length, completed, ms: Date.now() - t0, findings: [...seen.values()], ...(interrupted ? { interrupted } : {}) };
}

/** The corpus record of a qemu finding: no dump (the layout is the command's -device strings). */
export function qemuCorpusRecord(f: QemuFinding, s: QemuSample, seed: number): Record<string, unknown> {
  return {
    id: signatureId(f.signature), signature: f.signature, oracle: f.oracle, kind: f.kind, mustHold: true, registers: f.registers, detail: f.detail,
    seed, sample: s.index, from: s.from, to: s.to, devices: f.devices, command: f.command,
    ...(f.shrunk ? { sampleDevices: f.shrunk.from, shrinkRuns: f.shrunk.runs } : {}),
  };
}

/** The text of the real samples, after the campaign's summary. */
export function renderQemuRun(q: QemuRun): string {
  const lines = ['', `qemu: ${q.samples} real samples in ${(q.ms / 1000).toFixed(0)} s, ${q.completed} completed${q.interrupted ? ` (${q.interrupted} stopped the rest)` : ''}, ${q.findings.length} distinct differences from the model`];
  for (const f of q.findings) {
    lines.push('', `FAIL ${f.signature}`, `  ${f.detail}`, `  sample ${f.sample + 1} of ${q.samples}${f.shrunk ? `, shrunk in ${f.shrunk.runs} real runs` : ''}: ${f.command}`);
    if (f.shrunk && f.shrunk.from.join(' ') !== f.devices.join(' ')) lines.push(`  (the sample: ${f.shrunk.from.join(' ')})`);
  }
  return `${lines.join('\n')}\n`;
}
