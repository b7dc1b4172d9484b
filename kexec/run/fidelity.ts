/**
 * `lusim fidelity`: the model against reality on a set of topologies. For each topology and each
 * kernel pair A -> B: boot A in QEMU, capture every function (4 KiB over ECAM) with its sysfs
 * reset_method and bound driver, kexec into B, capture again; compare the model's reset_method
 * list for each kernel (sim/reset-methods, from the capture and the topology its bus numbers
 * show) and its post-kexec prediction (sim/predict, from A's capture and both kernels' drivers)
 * with what the kernels did. In the preserved mode kernel A also keeps bus master through its
 * shutdown and saves every function, kernel B loads and restores it, and the restored state is
 * compared with the model's restore (KexecMode). Every capture is saved (lspci -xxxx + JSON) so a
 * disagreement can be replayed without QEMU (test/kexec/run/fidelity-replay.test.ts does that for the
 * committed ones).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readLE } from '../../devices/bytes.js';
import { formatBdf as fmtBdf, parseBdf } from '../../devices/dump/bdf.js';
import { formatLspci, parseLspci } from '../../devices/dump/lspci.js';
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
import { kernelRestore, kernelSave } from './real-kernel-saver.js';
import type { AcceleratorInfo } from '../qemu/accel.js';
import type { AgentClient, PciDeviceInfo } from '../guest/agent-client.js';
import { buildModules } from '../guest-module/build.js';
import { GuestModule } from '../guest-module/client.js';
import { GuestModuleError } from '../guest-module/errors.js';
import { cacheRoot } from '../kernels/kernels.js';
import { preparePci } from '../qemu/pci-topology.js';
import type { QemuTopology } from '../topology/qemu-device.js';
import { captureAll, type FunctionCapture } from './real-capture.js';
import { diffRegisters, driverBelow, modelFromCapture, predictPostKexec } from './real-model.js';
import { predictAfterBoot } from '../../sim/predict/boot.js';
import type { KernelDriverPlan } from '../guest/guest-drivers.js';
import { Phases, resolveKernels, startGuest } from './real-session.js';

export interface FidelityTopology {
  readonly name: string;
  readonly topology: QemuTopology;
}

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

export interface PairResult {
  readonly topology: string;
  readonly from: string;
  readonly to: string;
  readonly mode: KexecMode;
  readonly releases: readonly string[];
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
  readonly drivers: readonly { release: string; bound: readonly { id: string; bdf: string; driver: string | null }[] }[];
  readonly ms: number;
  /** cold, cold+saved, restored, or cold with the reason a snapshot was refused. */
  readonly bootA?: string;
  /** The accelerator QEMU ran (kexec/qemu/accel.ts); results must not depend on it. */
  readonly accelerator?: AcceleratorInfo;
  readonly phases?: readonly { name: string; ms: number }[];
  readonly error?: string;
}

export interface FidelityReport {
  readonly pairs: readonly PairResult[];
  readonly summary: {
    readonly resetMethods: { readonly agree: number; readonly total: number };
    readonly afterBoot: { readonly agree: number; readonly total: number; readonly unpredictable: number };
    readonly afterKexec: { readonly agree: number; readonly total: number; readonly unpredictable: number };
    readonly afterRestore: { readonly agree: number; readonly total: number; readonly unpredictable: number };
    readonly loads: { readonly agree: number; readonly total: number };
    readonly perClass: Record<string, { agree: number; total: number }>;
    readonly perPair: Record<string, { agree: number; total: number }>;
    /** Registers after the kexec per KexecMode. */
    readonly perMode: Record<string, { agree: number; total: number }>;
    /** Boots per accelerator QEMU ran, with the reason lusim asked for it. */
    readonly accelerators: Record<string, { boots: number; why: string }>;
  };
  readonly totalMs: number;
}

function dumpsOf(c: { readonly functions: readonly FunctionCapture[] }): DumpDevice[] {
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
async function restorePoints(t: PairTruth, capB: readonly FunctionCapture[], capR: readonly FunctionCapture[]): Promise<Pick<PairResult, 'afterRestore' | 'loads'>> {
  const [ka, kb] = t.kernels as [PairTruth['kernels'][number], PairTruth['kernels'][number]];
  const A = kernelProfile(ka.profile);
  const B = kernelProfile(kb.profile);
  const afterRestore: RegisterPoint[] = [];
  const loads: PairResult['loads'][number][] = [];
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
    const pred = await predictAfterBoot(m, { kernel: ka.profile, driver: drv(f.bdf), enabledBelow: f.isBridge && driverBelow(capA, f.id, drv), virtioClassDriver: t.virtioClassDriverA?.[f.id] ?? true });
    out.push(...registerPoints(f, a.config, pred.config, pred.attributed, t.qemuDevices[f.id] ?? 'unknown'));
  }
  return out.sort(byPlace);
}

/** The model against one pair's truth: reset_method in both kernels, registers after the kexec (and, preserved, after the restore). */
export async function compareTruth(t: PairTruth, capA: readonly FunctionCapture[], capB: readonly FunctionCapture[], capR: readonly FunctionCapture[] = [], capF: readonly FunctionCapture[] = []): Promise<Pick<PairResult, 'resetMethods' | 'afterBoot' | 'afterKexec' | 'afterRestore' | 'loads'>> {
  const [ka, kb] = t.kernels as [PairTruth['kernels'][number], PairTruth['kernels'][number]];
  const [devA, devB] = t.devices as [readonly PciDeviceInfo[], readonly PciDeviceInfo[]];
  const afterKexec: RegisterPoint[] = [];
  for (const a of capA) {
    const b = capB.find((x) => x.id === a.id);
    if (!b) continue;
    const enabledBelow = a.isBridge && driverBelow(capB, a.id, (bdf) => driverOf(devB, bdf));
    const pred = await predictPostKexec(a, { from: ka.profile, to: kb.profile, driverA: driverOf(devA, a.bdf), driverB: driverOf(devB, b.bdf), enabledBelow, virtioClassDriverB: t.virtioClassDriverB[a.id] ?? true, preserved: t.preserved ?? false });
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
export async function replayTruth(dir: string, from: string, to: string, mode: KexecMode = 'plain'): Promise<Pick<PairResult, 'resetMethods' | 'afterBoot' | 'afterKexec' | 'afterRestore' | 'loads'>> {
  const n = truthNames(from, to, mode);
  const t = JSON.parse(readFileSync(join(dir, n.json), 'utf8')) as PairTruth;
  const read = (f: string) => parseLspci(readFileSync(join(dir, f), 'utf8'));
  const [capA, capB, capR] = truthCaptures(t, [n.before, n.after, ...(t.carried ? [n.restored] : [])].map(read));
  // A truth made from a restored boot A, or before the boot-A point, has no firmware capture.
  const capF = existsSync(join(dir, n.firmware)) ? truthCaptures(t, [read(n.firmware)])[0] : [];
  return compareTruth(t, capA!, capB!, capR, capF);
}

export interface PairOptions {
  readonly mode?: KexecMode;
  readonly withModule?: boolean;
  readonly out?: string;
  readonly fetch?: boolean;
  readonly progress?: (m: string) => void;
  readonly snapshotDir?: string;
}

/**
 * One pair; a pair whose boot A was restored from a snapshot and then failed runs once more from
 * a cold boot, so a snapshot can cost time but never a result (docs/fidelity.md: kernel B took
 * "Oops: int3" after 1 in 19 restores under multi-threaded TCG; restored guests now run
 * single-threaded). The retried pair says why in bootA.
 */
export async function runFidelityPair(t: FidelityTopology, from: string, to: string, o: PairOptions): Promise<PairResult> {
  const first = await runPairOnce(t, from, to, o);
  if (!first.error || first.bootA !== 'restored') return first;
  o.progress?.(`${t.name} ${from} -> ${to}: the run from a snapshot failed (${first.error.split('\n')[0]}); booting A cold`);
  const { snapshotDir: _restoredFrom, ...cold } = o;
  const retry = await runPairOnce(t, from, to, cold);
  return { ...retry, ms: first.ms + retry.ms, bootA: `cold (the restored run failed: ${first.error.split('\n')[0]})` };
}

async function runPairOnce(t: FidelityTopology, from: string, to: string, o: PairOptions): Promise<PairResult> {
  const t0 = performance.now();
  const phases = new Phases();
  const mode = o.mode ?? 'plain';
  const base = { topology: t.name, from, to, mode };
  let releases: string[] = [];
  let bootA: string | undefined;
  try {
    const [ka, kb] = await resolveKernels([from, to], { ...(o.fetch !== undefined ? { fetch: o.fetch } : {}), ...(o.progress ? { progress: o.progress } : {}) });
    releases = [ka!.release, kb!.release];
    // preserved needs lusim's module in kernel A; a campaign that runs both modes carries it in
    // both, so they start from the same snapshot of boot A (plain alone needs no kernel headers).
    const guestModules = (o.withModule ?? mode === 'preserved') ? await phases.run('module build', () => buildModules([ka!, kb!], cacheRoot(), o.progress)) : undefined;
    const s = await startGuest({ endpoints: [], topology: t.topology, chain: [ka!, kb!], ...(guestModules ? { guestModules } : {}), ...(o.snapshotDir ? { snapshotDir: o.snapshotDir } : {}), firmwareState: true }, phases);
    bootA = s.bootA;
    try {
      const devA = await s.guard(s.agent.devices());
      const capA = await s.guard(captureAll(s.q, await preparePci(s.q)));
      const A = kernelProfile(ka!.profile);
      const B = kernelProfile(kb!.profile);
      // preserved: kernel A keeps bus master through its shutdown, then saves and stores every
      // function into the handover range's slots (slot i: function i), as a Live Update would.
      const saves = mode === 'preserved' ? await phases.run('preserve + save A', async () => {
        const mod = await s.guard(preserveAll(s.agent, capA.functions));
        const out: Uint8Array[] = [];
        for (const [i, f] of capA.functions.entries()) out.push((await s.guard(kernelSave(mod, s.q.qtest, s.range, f, i, A, []))).carried);
        return out;
      }) : [];
      await phases.run('kexec + boot B', () => s.kexecNext());
      const devB = await s.guard(s.agent.devices());
      const pciB = await preparePci(s.q);
      const capB = await s.guard(captureAll(s.q, pciB));
      const carried: Record<string, { hex: string; loadRet: number }> = {};
      const capR = mode === 'preserved' ? await phases.run('load + restore B', async () => {
        const mod = new GuestModule(s.agent);
        await s.guard(mod.load());
        for (const [i, f] of capA.functions.entries()) {
          const b = capB.functions.find((x) => x.id === f.id);
          if (!b) continue;
          const r = await s.guard(kernelRestore(mod, b, i, A, B, saves[i]!));
          carried[f.id] = { hex: Buffer.from(saves[i]!).toString('hex'), loadRet: r.load.ret };
        }
        return (await s.guard(captureAll(s.q, pciB))).functions;
      }) : [];
      const truth: PairTruth = {
        format: 'lusim-fidelity-truth', version: 1, topology: t.name,
        qemuDevices: Object.fromEntries(t.topology.devices.map((d) => [d.id, d.driver])),
        kernels: [{ series: from, release: ka!.release, profile: ka!.profile }, { series: to, release: kb!.release, profile: kb!.profile }],
        functions: capA.functions.map((f) => ({ id: f.id, bdf: f.bdf, parent: f.parent ?? null, isBridge: f.isBridge, skipped: f.skipped, ...(f.qemuProps ? { qemuProps: f.qemuProps } : {}) })),
        devices: [devA, devB],
        // The virtio class drivers are modules in every cloud kernel: bound when B's plan loads one.
        virtioClassDriverB: virtioClassDrivers(t, s.plans[1]),
        virtioClassDriverA: virtioClassDrivers(t, s.plans[0]),
        preserved: mode === 'preserved',
        ...(mode === 'preserved' ? { carried } : {}),
      };
      if (o.out) {
        const dir = join(o.out, t.name);
        const n = truthNames(from, to, mode);
        mkdirSync(dir, { recursive: true });
        if (s.firmware) writeFileSync(join(dir, n.firmware), formatLspci(dumpsOf(s.firmware)));
        writeFileSync(join(dir, n.before), formatLspci(dumpsOf(capA)));
        writeFileSync(join(dir, n.after), formatLspci(dumpsOf(capB)));
        if (capR.length) writeFileSync(join(dir, n.restored), formatLspci(dumpsOf({ functions: capR })));
        writeFileSync(join(dir, n.json), `${JSON.stringify(truth, null, 2)}\n`);
      }
      return {
        ...base, releases, ...(await compareTruth(truth, capA.functions, capB.functions, capR, s.firmware?.functions ?? [])),
        drivers: s.drivers.map((k) => ({ release: k.release, bound: k.bound })), ms: Math.round(performance.now() - t0),
        bootA: s.bootA, accelerator: s.q.accelerator, phases: phases.entries,
      };
    } finally {
      await s.close();
    }
  } catch (e) {
    return { ...base, releases, resetMethods: [], afterBoot: [], afterKexec: [], afterRestore: [], loads: [], drivers: [], ms: Math.round(performance.now() - t0), ...(bootA ? { bootA } : {}), error: e instanceof LusimError ? `${e.code}: ${e.message}` : String(e) };
  }
}

/** Per qdev id: the kernel's module plan binds a virtio class driver (the class drivers are modules in every cloud kernel). */
function virtioClassDrivers(t: FidelityTopology, plan: KernelDriverPlan | undefined): Record<string, boolean> {
  return Object.fromEntries(t.topology.devices.map((d) => [d.id, plan?.devices.find((p) => p.id === d.id)?.modules.some((m) => m !== 'virtio_pci') ?? true]));
}

/** Kernel A keeps every function's bus master through its kexec shutdown (lusim_pci.c preserve). */
async function preserveAll(agent: AgentClient, functions: readonly FunctionCapture[]): Promise<GuestModule> {
  const m = new GuestModule(agent);
  await m.load();
  for (const f of functions) {
    const ret = await m.preserve(`0000:${f.bdf}`);
    if (ret !== 0) throw new GuestModuleError('command-failed', `lusim_pci preserve ${f.bdf} returned ${ret} (the kprobe on pci_clear_master could not be armed?)`, { bdf: f.bdf, ret });
  }
  return m;
}

/** Each kernel boots once as A and is kexec'd into once as B: 6.1 -> 6.12 -> 7.x -> 6.1 (a ring). */
export function ringPairs(kernels: readonly string[]): [string, string][] {
  if (kernels.length === 1) return [[kernels[0]!, kernels[0]!]];
  return kernels.map((k, i) => [k, kernels[(i + 1) % kernels.length]!]);
}

/** A directory for this run's snapshots, in the cache (the guest images' file system, not a small /tmp). */
function runSnapshotDir(): string {
  const root = join(cacheRoot(), 'snapshots');
  mkdirSync(root, { recursive: true });
  // A run that was killed left its directory: the pid in the name says whether its run is gone.
  for (const d of readdirSync(root)) {
    const pid = /^run-(\d+)-/.exec(d)?.[1];
    if (pid && !processAlive(Number(pid))) rmSync(join(root, d), { recursive: true, force: true });
  }
  return mkdtempSync(join(root, `run-${process.pid}-`));
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface FidelityOptions extends Omit<PairOptions, 'mode' | 'withModule'> {
  readonly kernels: readonly string[];
  readonly modes?: readonly KexecMode[];
  readonly allPairs?: boolean;
  /**
   * Boot A from a snapshot when it can (default true): with snapshotDir the snapshots stay there
   * for later runs; without it they live in a directory of this run, each deleted once the modes
   * of its pair have used it (140-190 MB each).
   */
  readonly snapshots?: boolean;
}

/** Agreements among the registers that are predictable, and how many are in an unpredictable class. */
function pointSummary(points: readonly Pick<RegisterPoint, 'outcome'>[]): { agree: number; total: number; unpredictable: number } {
  const agree = points.filter((x) => x.outcome === 'agree').length;
  const disagree = points.filter((x) => x.outcome === 'disagree').length;
  return { agree, total: agree + disagree, unpredictable: points.length - agree - disagree };
}

export async function runFidelity(topologies: readonly FidelityTopology[], o: FidelityOptions): Promise<FidelityReport> {
  const t0 = performance.now();
  const pairs = o.allPairs ? o.kernels.flatMap((a) => o.kernels.map((b): [string, string] => [a, b])) : ringPairs(o.kernels);
  const modes = o.modes ?? KEXEC_MODES;
  const results: PairResult[] = [];
  let n = 0;
  const total = topologies.length * pairs.length * modes.length;
  // Only a second mode can start from a snapshot this run made.
  const runDir = o.snapshots !== false && !o.snapshotDir && modes.length > 1 ? runSnapshotDir() : undefined;
  const snapshotDir = o.snapshots === false ? undefined : o.snapshotDir ?? runDir;
  try {
    for (const t of topologies) {
      for (const [a, b] of pairs) {
        // Modes back to back: the second starts from the first's boot A.
        for (const mode of modes) {
          o.progress?.(`[${++n}/${total}] ${t.name}: ${a} -> ${b} ${mode}`);
          results.push(await runFidelityPair(t, a, b, { ...o, mode, withModule: modes.includes('preserved'), ...(snapshotDir ? { snapshotDir } : {}) }));
        }
        if (runDir) for (const f of readdirSync(runDir)) rmSync(join(runDir, f), { force: true });
      }
    }
  } finally {
    if (runDir) rmSync(runDir, { recursive: true, force: true });
  }
  const perClass: Record<string, { agree: number; total: number }> = {};
  const perPair: Record<string, { agree: number; total: number }> = {};
  const bump = (m: Record<string, { agree: number; total: number }>, k: string, ok: boolean) => {
    m[k] ??= { agree: 0, total: 0 };
    m[k].total++;
    if (ok) m[k].agree++;
  };
  const perMode: Record<string, { agree: number; total: number }> = {};
  const regs = results.flatMap((r) => r.afterKexec.map((x) => ({ ...x, pair: `${r.from}->${r.to}`, mode: r.mode })));
  for (const x of regs.filter((x) => x.outcome === 'agree' || x.outcome === 'disagree')) {
    bump(perClass, x.deviceClass, x.outcome === 'agree');
    bump(perPair, x.pair, x.outcome === 'agree');
    bump(perMode, x.mode, x.outcome === 'agree');
  }
  const rms = results.flatMap((r) => r.resetMethods);
  const restored = results.flatMap((r) => r.afterRestore);
  const loads = results.flatMap((r) => r.loads);
  const accelerators: Record<string, { boots: number; why: string }> = {};
  for (const a of results.flatMap((r) => (r.accelerator ? [r.accelerator] : []))) {
    accelerators[a.name] ??= { boots: 0, why: a.why };
    accelerators[a.name]!.boots++;
  }
  return {
    pairs: results,
    summary: {
      resetMethods: { agree: rms.filter((x) => x.agree).length, total: rms.length },
      afterBoot: pointSummary(results.flatMap((r) => r.afterBoot)),
      afterKexec: pointSummary(regs),
      afterRestore: pointSummary(restored),
      loads: { agree: loads.filter((x) => x.real === x.model).length, total: loads.length },
      perClass, perPair, perMode, accelerators,
    },
    totalMs: Math.round(performance.now() - t0),
  };
}

