/**
 * What `lusim cycle --qemu` reports (kexec/run/real-cycle.ts runs it), and the builders that make
 * its parts from captures and the model: capture summaries, the fidelity of the model's
 * post-kexec prediction, the model's cycle beside the real one, the kernel saver's block, and
 * QEMU's write trace per phase beside the model's writes.
 */
import { readLE } from '../../devices/bytes.js';
import { PCI_COMMAND, PCI_MSIX_ENTRY_CTRL_MASKBIT, PCI_MSIX_FLAGS_ENABLE } from '../../devices/pci-regs.js';
import type { SaveFormat } from '../../sim/cycle/carry.js';
import type { FieldOutcome, Verdict } from '../../sim/cycle/verdict.js';
import type { KconfigUse } from '../../sim/linux/kconfig.js';
import type { KernelProfileId } from '../../sim/linux/profile.js';
import { compareWriteLogs, type WriteLogComparison } from '../../sim/write-log/compare.js';
import type { PhasedWrite, WritePhase } from '../../sim/write-log/entry.js';
import type { AcceleratorInfo } from '../qemu/accel.js';
import type { TracedWrite, TraceSplit } from '../qemu/write-trace.js';
import type { Survival } from './handover-io.js';
import type { HandoverRoute } from './luo-route.js';
import type { Capture, FunctionCapture } from './real-capture.js';
import type { KernelRestore, KernelSave } from './real-kernel-saver.js';
import { diffRegisters, modelFromCapture, type KexecPrediction, type RegisterDiff } from './real-model.js';
import type { LiveResetMethodsReport } from './real-reset-methods.js';
import type { KernelDrivers } from './real-session.js';

export type Saver = 'kernel' | 'host';

/** What a capture says about one function, for the report. */
export interface FunctionSummary {
  readonly id: string;
  readonly bdf: string;
  readonly ids: string;
  readonly driver: string | null;
  readonly command: number;
  readonly msixEnabled: boolean | null;
  /** MSI-X vectors with the mask bit clear in the table (null: table not readable). */
  readonly msixUnmasked: number | null;
}

export interface CaptureSummary {
  readonly ms: number;
  readonly reads: number;
  readonly bytes: number;
  readonly functions: readonly FunctionSummary[];
}

export interface FieldDifference {
  readonly register: string;
  readonly field: string;
  readonly offset: number;
  readonly bits: string;
  readonly model: { readonly after: number; readonly verdict: Verdict };
  readonly real: { readonly after: number; readonly verdict: Verdict };
}

export interface DeviceResult {
  readonly id: string;
  readonly bdf: string;
  readonly driverA: string | null;
  readonly driverB: string | null;
  /** pci_save_state's return and the host-side config writes it made (allocation + save). */
  readonly save?: { readonly ret: number; readonly writes: readonly string[]; readonly carriedBytes: number | null };
  readonly load?: { readonly ret: number; readonly error?: string; readonly notes: readonly string[] };
  readonly restoreWrites?: number;
  /** Step 5: every field that is not `unchanged`, and the counts. */
  readonly fields?: readonly FieldOutcome[];
  readonly counts?: Record<Verdict, number>;
  /** Step 5: where the model's own cycle ends elsewhere than the real one. */
  readonly modelDifferences?: readonly FieldDifference[];
  /** --saver kernel: the real blob and load, beside the model's (kexec/run/real-kernel-saver.ts). */
  readonly kernel?: {
    readonly save: Omit<KernelSave, 'carried' | 'savedByOld'> & { readonly carried?: { readonly size: number; readonly hex: string } };
    readonly load: KernelRestore['load'] & { readonly stateSavedBefore: boolean };
    /** Registers where the real restored state differs from the model's prediction for it. */
    readonly restoredVsPredicted: readonly RegisterDiff[];
    /** The config writes the model's pci_restore_state makes, in order (to set beside QEMU's trace). */
    readonly modelRestoreWrites: readonly { readonly step: string; readonly offset: number; readonly width: number }[];
  };
}

export interface FidelityResult {
  /** after-kexec: kernel B's agent answered (B's drivers bound); after-unbind: B's driver unbound. */
  readonly point: 'after-kexec' | 'after-unbind';
  readonly id: string;
  readonly bdf: string;
  readonly driverA: string | null;
  readonly driverB: string | null;
  readonly diffs: readonly RegisterDiff[];
  /** Registers that really changed since the previous capture, whether or not the model agreed. */
  readonly changed: number;
  readonly notes: readonly string[];
}

export interface RealKernel {
  readonly release: string;
  readonly profile: KernelProfileId;
  readonly kconfig: readonly KconfigUse[];
  /** A user's build: what was named, why this profile, and warnings (nearest profile). */
  readonly build?: { readonly spec: string; readonly why: string; readonly warnings: readonly string[] };
}

export interface RealCycleReport {
  ok: boolean;
  error?: { readonly code: string; readonly message: string; readonly phase: string };
  /** `topology`: the devices came from --topology/--qemu-device, as given; else each endpoint sits behind a root port of its own. */
  readonly options: { readonly devices: readonly string[]; readonly topology: boolean; readonly from: string; readonly to: string; readonly format: SaveFormat; readonly saver: Saver; readonly drift: readonly string[] };
  /** Each kernel with the Kconfig options of its own config-* the model applied (sim/linux/kconfig.ts). */
  kernels?: { from: RealKernel; to: RealKernel };
  readonly phases: { name: string; ms: number }[];
  totalMs: number;
  readonly captures: { a?: CaptureSummary; b?: CaptureSummary; beforeRestore?: CaptureSummary; final?: CaptureSummary };
  handover?: { readonly base: number; readonly bytes: number; readonly writeMs: number; survived?: Omit<Survival, 'devices'>; route?: HandoverRoute; luo?: { preserved?: string; retrieved?: string } };
  readonly fidelity: FidelityResult[];
  readonly devices: DeviceResult[];
  writeTrace?: TraceReport;
  /** Topology runs: the driver each function got in each kernel. */
  drivers?: readonly KernelDrivers[];
  /** The accelerator QEMU ran (kexec/qemu/accel.ts). */
  accelerator?: AcceleratorInfo;
  /** How boot A came up: cold, cold+saved, restored (from RealCycleOptions.snapshotDir), or why a snapshot was refused. */
  bootA?: string;
  /** Every endpoint's sysfs reset_method on kernel A's cold boot beside the model's (real-reset-methods.ts); not for a topology. */
  resetMethodsA?: Pick<LiveResetMethodsReport, 'kernel' | 'devices'>;
}

/** QEMU's record of every config write the run made, per phase (kexec/qemu/write-trace.ts). */
export interface TraceReport {
  readonly writes: number;
  /** The boundaries the trace showed (guest markers, kernel B's first write): how finely it splits. */
  readonly split: TraceSplit;
  /** Writes per phase and function, in phase order. */
  readonly perPhase: readonly { readonly phase: string; readonly bdf: string; readonly model: string; readonly count: number }[];
  /**
   * The Live Update promise: config writes that hit each carried device after kernel A saved it
   * and before kernel B restored it (kernel A's shutdown, the kexec, B's enumeration and drivers,
   * B's unbind). Each one is state kernel B's restore must bring back or that is lost.
   */
  readonly betweenSaveAndRestore: readonly { readonly id: string; readonly bdf: string; readonly writes: readonly TracedWrite[] }[];
  /** Every write to the carried devices, in order. */
  readonly timeline: readonly TracedWrite[];
  /**
   * The model's writes to the carried devices beside QEMU's, write by write per phase and device
   * (sim/write-log/compare.ts), over the phases the model runs from the step-1 capture: kernel A's
   * save, A's shutdown, B's enumeration (boot B) and B's driver probe (boot B when the driver is
   * built in, drivers B when it is a module), B's unbind, B's restore (kernel saver). Boot A is the
   * capture's history: the model starts from it.
   */
  readonly comparison?: WriteLogComparison;
}

/** After A's save, before B's restore: A's shutdown, B's boot and drivers, B's unbind (write-trace.ts writePhaseOf). */
const BETWEEN = new Set<WritePhase>(['shutdown A', 'boot B', 'drivers B', 'unbind B']);

const COMPARED = new Set<WritePhase>(['save A', 'shutdown A', 'boot B', 'drivers B', 'unbind B', 'restore B']);

export function traceReport({ writes: all, split }: { writes: readonly TracedWrite[]; split: TraceSplit }, targets: readonly { id: string; bdf: string }[], model: readonly PhasedWrite[] | undefined): TraceReport {
  const perPhase: { phase: string; bdf: string; model: string; count: number }[] = [];
  for (const w of all) {
    const last = perPhase.find((p) => p.phase === w.step && p.bdf === w.device);
    if (last) last.count++;
    else perPhase.push({ phase: w.step, bdf: w.device, model: w.model, count: 1 });
  }
  const mine = all.filter((w) => targets.some((t) => t.bdf === w.device));
  return {
    writes: all.length, split, perPhase,
    betweenSaveAndRestore: targets.map((t) => ({ id: t.id, bdf: t.bdf, writes: mine.filter((w) => w.device === t.bdf && BETWEEN.has(w.phase)) })),
    timeline: mine,
    ...(model ? { comparison: compareWriteLogs(model, mine.filter((w) => COMPARED.has(w.phase)), { spaces: ['config'] }) } : {}),
  };
}

export function summarize(c: Capture, drivers: ReadonlyMap<string, string | null>): CaptureSummary {
  return {
    ms: Math.round(c.ms), reads: c.reads, bytes: c.bytes,
    functions: c.functions.map((f) => ({
      id: f.id, bdf: f.bdf, ids: `${f.vendor.toString(16).padStart(4, '0')}:${f.device.toString(16).padStart(4, '0')}`,
      driver: drivers.get(f.bdf) ?? null,
      command: readLE(f.config, PCI_COMMAND, 2),
      msixEnabled: f.msix ? (readLE(f.config, f.msix.cap + 2, 2) & PCI_MSIX_FLAGS_ENABLE) !== 0 : null,
      msixUnmasked: f.msix?.table ? Array.from({ length: f.msix.entries }, (_, i) => readLE(f.msix!.table!, i * 16 + 12, 4)).filter((v) => (v & PCI_MSIX_ENTRY_CTRL_MASKBIT) === 0).length : null,
    })),
  };
}

/** How far a prediction from capture `a` is from the real capture `b`. */
export function fidelityOf(point: FidelityResult['point'], a: FunctionCapture, b: FunctionCapture, pred: KexecPrediction, driverA: string | null, driverB: string | null): FidelityResult {
  const { fn } = modelFromCapture(a);
  const diffs = diffRegisters(fn, a.config, pred.config, b.config, a.skipped);
  const changed = diffRegisters(fn, a.config, a.config, b.config, a.skipped).length;
  return { point, id: a.id, bdf: a.bdf, driverA, driverB, diffs, changed, notes: pred.notes };
}

export function compareWithModel(real: readonly FieldOutcome[], model: readonly FieldOutcome[]): FieldDifference[] {
  const out: FieldDifference[] = [];
  for (const r of real) {
    const m = model.find((x) => x.offset === r.offset && x.register === r.register && x.field === r.field);
    if (!m || (m.after === r.after && m.verdict === r.verdict)) continue;
    out.push({ register: r.register, field: r.field, offset: r.offset, bits: r.bits, model: { after: m.after, verdict: m.verdict }, real: { after: r.after, verdict: r.verdict } });
  }
  return out;
}

export function kernelBlock(save: KernelSave, restore: KernelRestore & { stateSavedBefore: boolean }, mid: FunctionCapture, final: FunctionCapture): NonNullable<DeviceResult['kernel']> {
  const { carried, savedByOld: _s, ...rest } = save;
  return {
    save: { ...rest, ...(save.drifted ? { carried: { size: carried.length, hex: Buffer.from(carried).toString('hex') } } : {}) },
    load: { ...restore.load, stateSavedBefore: restore.stateSavedBefore },
    restoredVsPredicted: diffRegisters(modelFromCapture(mid).fn, mid.config, restore.predicted, final.config, mid.skipped),
    modelRestoreWrites: restore.restoreWrites.map((w) => ({ step: w.step, offset: w.offset, width: w.width })),
  };
}

