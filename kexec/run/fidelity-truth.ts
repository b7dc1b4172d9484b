/**
 * The truth of one fidelity pair and its comparison with the model (kexec/run/fidelity.ts runs the
 * pairs): what the real kernels did (captures, sysfs reset_method and drivers, the blob kernel A
 * stored and kernel B's load) against the model's reset_method lists, boot, post-kexec prediction
 * and restore, register by register. Everything here reads saved captures only, so a pair's
 * truth files replay without QEMU (replayTruth; test/kexec/run/fidelity-replay.test.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readLE } from '../../devices/bytes.js';
import { formatBdf as fmtBdf, parseBdf } from '../../devices/dump/bdf.js';
import { parseLspci } from '../../devices/dump/lspci.js';
import type { DumpDevice } from '../../devices/dump/types.js';
import { LusimError } from '../../devices/errors.js';
import type { KernelProfileId } from '../../sim/linux/profile.js';
import { unpredictableClass, type UnpredictableClass } from '../../sim/predict/unpredictable.js';
import { probeDeviceFromDump } from '../../sim/reset-methods/device.js';
import { kernelProfile as resetKernelProfile } from '../../sim/reset-methods/kernels.js';
import { predictResetMethods } from '../../sim/reset-methods/predict.js';
import { kernelProfile } from '../../sim/linux/profiles.js';
import { Topology } from '../../sim/topology.js';
import { restoreAsKernelB } from './kernel-steps.js';
import type { PciDeviceInfo } from '../guest/agent-client.js';
import type { FunctionCapture } from './real-capture.js';
import { diffRegisters, driverBelow, functionBelow, modelFromCapture, platformUnder, predictPostKexec, walkedFromAbove } from './real-model.js';
import { predictAfterBoot } from '../../sim/predict/boot.js';

export interface ResetMethodPoint {
  readonly kernel: string;
  readonly id: string;
  readonly bdf: string;
  readonly driver: string | null;
  readonly real: readonly string[];
  readonly predicted: readonly string[];
  readonly agree: boolean;
}

export interface RegisterPoint {
  readonly id: string;
  readonly bdf: string;
  readonly deviceClass: string;
  readonly register: string;
  readonly offset: number;
  readonly before: number;
  readonly predicted: number;
  readonly real: number;
  /** 'agree', 'disagree', or the unpredictable class that explains the difference. */
  readonly outcome: 'agree' | 'disagree' | UnpredictableClass;
  /** The model steps that wrote the register (empty: the model left it alone). */
  readonly steps: readonly string[];
}

/**
 * How kernel A hands the devices over: `plain` is Debian's kexec; `preserved` keeps every
 * function's bus master through A's shutdown as the PCI Live Update series does (lusim's guest
 * module: lusim_pci.c preserve), the model's `preserved` (sim/kexec-sim kernelShutdown).
 */
export type KexecMode = 'plain' | 'preserved';
export const KEXEC_MODES: readonly KexecMode[] = ['plain', 'preserved'];

/** What the model got right and wrong on one pair (reset_method lists, registers, load return codes). */
export interface TruthComparison {
  readonly resetMethods: readonly ResetMethodPoint[];
  /**
   * Registers that kernel A's boot changed from the firmware's state (captured at the kernel's
   * entry: kexec/qemu/firmware-state.ts), in reality or in the model's boot (sim/predict/boot.ts).
   * Empty when boot A was restored from a snapshot (that boot was compared when it ran cold).
   */
  readonly afterBoot: readonly RegisterPoint[];
  /** Registers that changed in reality or in the prediction, after the kexec. */
  readonly afterKexec: readonly RegisterPoint[];
  /**
   * preserved: kernel A saved every function (pci_save_state + pci_store_saved_state, lusim's
   * module), kernel B loaded and restored it; registers that changed in reality or in the
   * model's restore (kexec/run/kernel-steps.ts restoreAsKernelB), from the state B found.
   */
  readonly afterRestore: readonly RegisterPoint[];
  /** preserved: pci_load_saved_state's return code in kernel B beside the model's. */
  readonly loads: readonly { readonly id: string; readonly bdf: string; readonly real: number; readonly model: number }[];
}

export function dumpsOf(c: { readonly functions: readonly FunctionCapture[] }): DumpDevice[] {
  return c.functions.map((f) => ({ bdf: parseBdf(f.bdf), bytes: f.config }));
}

function resetPoints(kernel: string, profile: string, fns: readonly FunctionCapture[], devs: readonly PciDeviceInfo[]): ResetMethodPoint[] {
  const topology = new Topology(dumpsOf({ functions: fns }));
  const k = resetKernelProfile(profile);
  return fns.map((f) => {
    const info = devs.find((d) => d.bdf === `0000:${f.bdf}`);
    const predicted = predictResetMethods(probeDeviceFromDump(topology, parseBdf(f.bdf)), k).resetMethods;
    const real = info?.resetMethods ?? [];
    return { kernel, id: f.id, bdf: f.bdf, driver: info?.driver ?? null, real, predicted, agree: real.join(' ') === predicted.join(' ') };
  });
}

/**
 * The truth of one pair as captured, and everything the comparison needs: saved as
 * `<from>-to-<to>.json` beside the two lspci -xxxx dumps, so compareTruth replays it without QEMU.
 */
export interface PairTruth {
  readonly format: 'lusim-fidelity-truth';
  readonly version: 1;
  readonly topology: string;
  /** qdev id -> QEMU device. */
  readonly qemuDevices: Record<string, string>;
  readonly kernels: readonly { readonly series: string; readonly release: string; readonly profile: KernelProfileId }[];
  readonly functions: readonly { readonly id: string; readonly bdf: string; readonly parent: string | null; readonly isBridge: boolean; readonly skipped: readonly number[]; readonly qemuProps?: Readonly<Record<string, string>> }[];
  /** Agent DEVICES (driver, reset_method) in kernel A and in kernel B. */
  readonly devices: readonly (readonly PciDeviceInfo[])[];
  /** Per qdev id: kernel B's module plan binds a virtio class driver. */
  readonly virtioClassDriverB: Record<string, boolean>;
  /** The same for kernel A (absent in files made before the boot-A point: then every function's firmware state is absent too). */
  readonly virtioClassDriverA?: Record<string, boolean>;
  /** Kernel A preserved every function (KexecMode); absent in version-1 files made before modes: plain. */
  readonly preserved?: boolean;
  /** preserved: per qdev id, the blob kernel A stored (hex) and kernel B's pci_load_saved_state return code. */
  readonly carried?: Record<string, { readonly hex: string; readonly loadRet: number }>;
}

/** The captures of a truth file's two dumps (A after boot, B after the kexec). */
export function truthCaptures(t: PairTruth, dumps: readonly (readonly DumpDevice[])[]): FunctionCapture[][] {
  return dumps.map((ds) => t.functions.map((f) => {
    const d = ds.find((x) => fmtBdf(x.bdf) === f.bdf);
    if (!d) throw new LusimError('bad-truth', `truth capture has no function ${f.bdf} (${f.id}); the dump and its JSON do not belong together.`, { bdf: f.bdf });
    return { id: f.id, bdf: f.bdf, vendor: readLE(d.bytes, 0, 2), device: readLE(d.bytes, 2, 2), isBridge: f.isBridge, ...(f.parent ? { parent: f.parent } : {}), config: d.bytes, skipped: f.skipped, ...(f.qemuProps ? { qemuProps: f.qemuProps } : {}) };
  }));
}

/**
 * Registers that changed from `before` in reality or in the prediction (diff before->real and
 * before->predicted), each with its outcome and the model steps that wrote it.
 */
function registerPoints(before: FunctionCapture, real: Uint8Array, predicted: Uint8Array, attributed: readonly { step: string; offset: number; width: number }[], deviceClass: string): RegisterPoint[] {
  const fn = modelFromCapture(before).fn;
  const changed = new Map<number, ReturnType<typeof diffRegisters>[number]>();
  for (const d of [...diffRegisters(fn, before.config, before.config, real, before.skipped), ...diffRegisters(fn, before.config, before.config, predicted, before.skipped)]) changed.set(d.offset, d);
  return [...changed.values()].map((d) => {
    const p = readLE(predicted, d.offset, d.width);
    const r = readLE(real, d.offset, d.width);
    const outcome = p === r ? 'agree' : unpredictableClass(d.register, real, d.offset, { before: before.config }) ?? 'disagree';
    return { id: before.id, bdf: before.bdf, deviceClass, register: d.register, offset: d.offset, before: d.captured, predicted: p, real: r, outcome, steps: attributed.filter((w) => w.offset < d.offset + d.width && d.offset < w.offset + w.width).map((w) => w.step) };
  });
}

const byPlace = (x: RegisterPoint, y: RegisterPoint) => (x.bdf < y.bdf ? -1 : x.bdf > y.bdf ? 1 : x.offset - y.offset);

/**
 * The model's restore of what kernel A stored, on each function as kernel B found it (capB),
 * against the real state after kernel B's pci_load_saved_state + pci_restore_state (capR).
 */
async function restorePoints(t: PairTruth, capB: readonly FunctionCapture[], capR: readonly FunctionCapture[]): Promise<Pick<TruthComparison, 'afterRestore' | 'loads'>> {
  const [ka, kb] = t.kernels as [PairTruth['kernels'][number], PairTruth['kernels'][number]];
  const A = kernelProfile(ka.profile);
  const B = kernelProfile(kb.profile);
  const afterRestore: RegisterPoint[] = [];
  const loads: TruthComparison['loads'][number][] = [];
  for (const b of capB) {
    const c = t.carried?.[b.id];
    const r = capR.find((x) => x.id === b.id);
    if (!c || !r) continue;
    const m = modelFromCapture(b);
    const res = await restoreAsKernelB(m.access, m.fn, A, B, { format: 'linux-blob', bytes: Uint8Array.from(Buffer.from(c.hex, 'hex')) });
    loads.push({ id: b.id, bdf: b.bdf, real: c.loadRet, model: res.load.ret });
    afterRestore.push(...registerPoints(b, r.config, m.fn.space.snapshot(), res.log.filter((w) => w.space === 'config').map((w) => ({ step: w.fn, offset: w.offset, width: w.width })), t.qemuDevices[b.id] ?? 'unknown'));
  }
  return { afterRestore: afterRestore.sort(byPlace), loads };
}

/** The driver sysfs showed bound to `bdf` in one kernel (agent DEVICES). */
const driverOf = (devs: readonly PciDeviceInfo[], bdf: string): string | null => devs.find((d) => d.bdf === `0000:${bdf}`)?.driver ?? null;

/** Kernel A's boot in the model, from each function's firmware state (capF), against the state after boot A (capA). */
async function bootPoints(t: PairTruth, capF: readonly FunctionCapture[], capA: readonly FunctionCapture[]): Promise<RegisterPoint[]> {
  const ka = t.kernels[0]!;
  const drv = (bdf: string) => driverOf(t.devices[0]!, bdf);
  const out: RegisterPoint[] = [];
  for (const f of capF) {
    const a = capA.find((x) => x.id === f.id);
    if (!a) continue;
    const m = modelFromCapture(f);
    const pred = await predictAfterBoot(m, { kernel: ka.profile, driver: drv(f.bdf), enabledBelow: f.isBridge && driverBelow(capA, f.id, drv), virtioClassDriver: t.virtioClassDriverA?.[f.id] ?? true }, { below: functionBelow(capF, f), platform: platformUnder(capF.find((x) => x.id === f.parent)) });
    out.push(...registerPoints(f, a.config, pred.config, pred.attributed, t.qemuDevices[f.id] ?? 'unknown'));
  }
  return out.sort(byPlace);
}

/** The model against one pair's truth: reset_method in both kernels, registers after the kexec (and, preserved, after the restore). */
export async function compareTruth(t: PairTruth, capA: readonly FunctionCapture[], capB: readonly FunctionCapture[], capR: readonly FunctionCapture[] = [], capF: readonly FunctionCapture[] = []): Promise<TruthComparison> {
  const [ka, kb] = t.kernels as [PairTruth['kernels'][number], PairTruth['kernels'][number]];
  const [devA, devB] = t.devices as [readonly PciDeviceInfo[], readonly PciDeviceInfo[]];
  const afterKexec: RegisterPoint[] = [];
  for (const a of capA) {
    const b = capB.find((x) => x.id === a.id);
    if (!b) continue;
    const enabledBelow = a.isBridge && driverBelow(capB, a.id, (bdf) => driverOf(devB, bdf));
    const below = functionBelow(capA, a);
    const platform = platformUnder(capA.find((x) => x.id === a.parent));
    const walked = await walkedFromAbove(capA, a, ka.profile, (bdf) => driverOf(devA, bdf));
    const walkedB = await walkedFromAbove(capA, a, kb.profile, (bdf) => driverOf(devB, bdf));
    const pred = await predictPostKexec(a, { from: ka.profile, to: kb.profile, driverA: driverOf(devA, a.bdf), driverB: driverOf(devB, b.bdf), enabledBelow, virtioClassDriverB: t.virtioClassDriverB[a.id] ?? true, preserved: t.preserved ?? false, ...(below ? { below } : {}), ...(platform ? { platform } : {}), walkedFromAboveAtShutdown: walked, walkedFromAboveAtProbe: walkedB });
    afterKexec.push(...registerPoints(a, b.config, pred.config, pred.attributed, t.qemuDevices[a.id] ?? 'unknown'));
  }
  return {
    resetMethods: [...resetPoints(ka.release, ka.profile, capA, devA), ...resetPoints(kb.release, kb.profile, capB, devB)],
    afterBoot: await bootPoints(t, capF, capA),
    afterKexec: afterKexec.sort(byPlace),
    ...(await restorePoints(t, capB, capR)),
  };
}

/** The file names of a pair's truth: plain keeps the names it had before modes existed. */
export function truthNames(from: string, to: string, mode: KexecMode = 'plain'): { json: string; firmware: string; before: string; after: string; restored: string } {
  const m = mode === 'plain' ? '' : `-${mode}`;
  return { json: `${from}-to-${to}${m}.json`, firmware: `${from}-firmware-before-${to}${m}.lspci`, before: `${from}-boot-before-${to}${m}.lspci`, after: `${from}-to-${to}${m}-kexec.lspci`, restored: `${from}-to-${to}${m}-restored.lspci` };
}

/** Replay a saved pair: `<dir>/<from>-to-<to>[-preserved].json` with its two dumps. */
export async function replayTruth(dir: string, from: string, to: string, mode: KexecMode = 'plain'): Promise<TruthComparison> {
  const n = truthNames(from, to, mode);
  const t = JSON.parse(readFileSync(join(dir, n.json), 'utf8')) as PairTruth;
  const read = (f: string) => parseLspci(readFileSync(join(dir, f), 'utf8'));
  const [capA, capB, capR] = truthCaptures(t, [n.before, n.after, ...(t.carried ? [n.restored] : [])].map(read));
  // A truth made from a restored boot A, or before the boot-A point, has no firmware capture.
  const capF = existsSync(join(dir, n.firmware)) ? truthCaptures(t, [read(n.firmware)])[0] : [];
  return compareTruth(t, capA!, capB!, capR, capF);
}

