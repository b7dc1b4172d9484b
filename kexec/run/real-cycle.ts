/**
 * `lusim cycle --qemu`: the cycle of sim/cycle/run.ts on real Debian kernels in QEMU, measured from
 * the host, and compared with the model (issue 5, "The real cycle").
 *
 *  1. boot kernel A with the devices behind root ports; drivers bind where A has them; capture
 *     every function's config space and MSI-X table over qtest;
 *  2. save with kernel A's profile: sim/linux pciSaveState runs on the HOST over the qtest
 *     ConfigAccess of the real device (Debian's kernels have no Live Update, so no kernel saves
 *     for us: the model's kernel-A code stands in for it, reading the real registers); serialize
 *     (linux-blob or lusim-v1) and write the KHO-style envelope into the memmap= handover range;
 *  3. kexec into kernel B through the agent; once B's agent is READY capture again: the real
 *     post-kexec state, compared register by register with the model's prediction for the same
 *     pair from the step-1 capture (kexec/run/real-model.ts);
 *  4. read the handover range back (byte for byte), unbind B's driver from each device (the
 *     preserved-device case: nothing in B touches it), capture, then load the payload with kernel
 *     B's profile and run pciRestoreState over qtest in kernel B's restore order;
 *  5. capture the final state, classify it against step 1 (sim/cycle/classify.ts), and compare
 *     with the model's own cycle (runCycle) from the step-1 capture with the same options.
 *
 * The run never throws: a failure ends it with `error` set and every result gathered so far kept
 * (captures, fidelity, handover), and QEMU is always gone when it returns.
 */
import { readFileSync } from 'node:fs';
import { LusimError } from '../../devices/errors.js';
import type { SaveFormat } from '../../sim/cycle/carry.js';
import { classifyCycle, countVerdicts, locatedRegisters } from '../../sim/cycle/classify.js';
import { runCycle } from '../../sim/cycle/run.js';
import type { KernelProfile } from '../../sim/linux/profile.js';
import { applyKconfig, parseKconfig, type KconfigUse } from '../../sim/linux/kconfig.js';
import { kernelProfile } from '../../sim/linux/profiles.js';
import { AgentError, type PciDeviceInfo } from '../guest/agent-client.js';
import type { KernelImage } from '../kernels/kernels.js';
import { inPhase, type PhasedWrite, type WriteLogEntry, type WritePhase } from '../../sim/write-log/entry.js';
import type { HandoverRange } from './handover.js';
import { overwrittenError, readHandover, writeHandover, type Survival } from './handover-io.js';
import type { DeviceSpec } from '../qemu/launcher.js';
import { preparePci } from '../qemu/pci-topology.js';
import type { QemuTopology } from '../topology/qemu-device.js';
import { KexecError } from '../errors.js';
import { formatBdf, QtestBarAccess } from '../qemu/qtest-config-access.js';
import { devfnOf, parseBdf } from '../../devices/dump/bdf.js';
import { newPciDev } from '../../sim/linux/dev.js';
import { pciSetupDevice } from '../../sim/linux/find-cap.js';
import { sriovStateFound } from '../../sim/linux/iov.js';
import { captureAll, type Capture, type FunctionCapture } from './real-capture.js';
import { driverBelow, functionBelow, modelFromCapture, platformUnder, walkedFromAbove, predictPostKexec, predictUnbind, rootPortsAbove, shutdownDriverFor, type KexecPrediction } from './real-model.js';
import { kernelRequests, realKernel, type UserKernelSides } from '../kernels/user-kernel-run.js';
import { chooseRoute, luoHeader, luoPreserve, luoRetrieve, type HandoverRoute } from './luo-route.js';
import { buildLuoHelper } from '../luo-helper/build.js';
import { Phases, RealRunError, resolveKernels, startGuest, type GuestSession } from './real-session.js';
import { buildModules } from '../guest-module/build.js';
import { restoreAsKernelB, saveAsKernelA } from './kernel-steps.js';
import { compareResetMethods } from './real-reset-methods.js';
import { GuestModule } from '../guest-module/client.js';
import { builtinModules, probesAtBoot } from '../guest/guest-drivers.js';
import { cacheRoot } from '../kernels/kernels.js';
import { kernelRestore, kernelSave, type KernelRestore, type KernelSave } from './real-kernel-saver.js';
import { compareWithModel, fidelityOf, kernelBlock, summarize, traceReport, type RealCycleReport, type Saver } from './real-cycle-report.js';
import type { Drift } from '../../sim/linux/drift.js';

export interface RealCycleOptions {
  /** Endpoints (kexec/topology/real-devices.ts parseRealDevices); each goes behind its own root port. */
  readonly endpoints: readonly DeviceSpec[];
  /** A whole topology instead (kexec/topology/qemu-device.ts): every function of it is saved and restored. */
  readonly topology?: QemuTopology;
  /** Kernel A and B: a Debian series, a profile id (6.1, 6.12.y, 7.x ...), or the path of the user's build. */
  readonly from: string;
  readonly to: string;
  /** The user's builds: modules (INSTALL_MOD_PATH) and the profile, per side (kexec/kernels/user-kernel.ts). */
  readonly user?: UserKernelSides;
  readonly format: SaveFormat;
  /** Fetch kernels that are not cached (default true). */
  readonly fetch?: boolean;
  readonly progress?: (message: string) => void;
  readonly bootTimeoutMs?: number;
  readonly kexecTimeoutMs?: number;
  readonly range?: HandoverRange;
  /**
   * Who saves and restores: `kernel` (default), the guest kernels themselves through lusim's module
   * (kexec/run/real-kernel-saver.ts); `host`, kernel A's and B's profiles run from the host over qtest.
   */
  readonly saver?: Saver;
  /** Layout drifts applied to the real blob before the kexec (kernel saver only). */
  readonly drift?: readonly Drift[];
  /** Record every config write with QEMU's pci_cfg_write trace (report.writeTrace). */
  readonly writeTrace?: boolean;
  /** Write the guest's serial console, kernel A's and kernel B's, to this file as well. */
  readonly consoleLog?: string;
  /**
   * Endpoints that boot beside the carried ones (behind their own root ports) but are neither
   * saved nor restored: they are there for kernel A's reset_method (report.resetMethodsA), so a
   * suite's reset cases on kernel A need no guest of their own.
   */
  readonly passengers?: readonly DeviceSpec[];
  /**
   * Start from a snapshot of boot A in this directory when one matches (kexec/qemu/snapshot.ts), else
   * boot cold and save one: the next cycle of the same devices and kernels skips boot A.
   */
  readonly snapshotDir?: string;
}

/** The kernel's own config-* from its Debian package, applied to its profile instead of Debian's assumed values. */
function profileWithOwnConfig(k: KernelImage): { profile: KernelProfile; used: readonly KconfigUse[] } {
  const applied = applyKconfig(parseKconfig(readFileSync(k.config, 'utf8')));
  return { profile: kernelProfile(k.profile, applied.config), used: applied.used };
}

/** The model's writes for one carried device, in `phase`, named by its bdf as QEMU names it. */
const modelPhase = (phase: WritePhase, bdf: string, writes: readonly WriteLogEntry[]): PhasedWrite[] =>
  inPhase(phase, writes.filter((w) => w.space === 'config').map((w) => ({ ...w, device: bdf })));

/**
 * The model's post-kexec writes for one carried device in the trace's phases: A's shutdown, B's
 * enumeration, then B's driver probe, in boot B when the driver is built in (it probes before
 * userspace) or drivers B when /init loads it as a module. A virtio class driver that /init loads
 * as a module (`classDriverModule`) binds in drivers B, whatever virtio-pci is: its find_vqs'
 * vector set-up goes there.
 */
function postKexecPhases(bdf: string, pred: KexecPrediction, builtinDriver: boolean, classDriverModule: boolean): PhasedWrite[] {
  const { shutdown, enumeration, classDriver } = pred.split!;
  const w = pred.writes;
  const probe = shutdown + enumeration;
  const classFrom = classDriver !== undefined && classDriverModule ? classDriver : w.length;
  return [
    ...modelPhase('shutdown A', bdf, w.slice(0, shutdown)),
    ...modelPhase('boot B', bdf, w.slice(shutdown, probe)),
    ...modelPhase(builtinDriver ? 'boot B' : 'drivers B', bdf, w.slice(probe, classFrom)),
    ...modelPhase('drivers B', bdf, w.slice(classFrom)),
  ];
}

function driverMap(devs: readonly PciDeviceInfo[]): Map<string, string | null> {
  // The agent prints domain-qualified addresses (0000:01:00.0); captures use bus:dev.fn.
  return new Map(devs.map((d) => [d.bdf.replace(/^0000:/, ''), d.driver]));
}

/** The capture of the port `f` sits below, when that port is in the capture. */
function portAbove(c: Capture, f: FunctionCapture): FunctionCapture | undefined {
  return f.parent === undefined ? undefined : c.functions.find((x) => x.id === f.parent);
}

/** Whether kernel B's sriov_init makes the captured function a PF (is_physfn): it leaves a dev->sriov (sim/linux/iov.ts). */
async function isPhysfn(x: FunctionCapture): Promise<boolean> {
  const dev = newPciDev(modelFromCapture(x).access);
  await pciSetupDevice(dev);
  return (await sriovStateFound(dev)) !== undefined;
}

/**
 * Whether a PF comes before `f` on its bus in the capture: kernel B enumerates a bus in devfn
 * order and sriov_init gives ARI Capable Hierarchy to its first PF only (iov.c; sim/linux/iov.ts).
 */
async function physfnBefore(c: Capture, f: FunctionCapture): Promise<boolean> {
  const at = parseBdf(f.bdf);
  for (const x of c.functions) {
    const b = parseBdf(x.bdf);
    if (b.bus === at.bus && devfnOf(b) < devfnOf(at) && (await isPhysfn(x))) return true;
  }
  return false;
}

function need(c: Capture, id: string): FunctionCapture {
  const f = c.functions.find((x) => x.id === id);
  if (!f) throw new RealRunError('device-missing', `device ${id} is missing from the capture (query-pci did not list it).`, { id });
  return f;
}

function checkSaver(saver: Saver, format: SaveFormat, drift: readonly Drift[]): void {
  // The module implements the kernel's own linux-blob only: no guest kernel restores lusim-v1.
  if (saver === 'kernel' && format !== 'linux-blob') throw new RealRunError('bad-option', `--saver kernel carries what the guest kernel's pci_store_saved_state writes (linux-blob); --format ${format} needs --saver host.`, { saver, format });
  if (saver === 'host' && drift.length > 0) throw new RealRunError('bad-option', `--drift on the real run edits the blob kernel A stored, which needs --saver kernel.`, { saver });
}

/** What the phases of one real cycle share: the options, the report they fill, the booted guest. */
interface RealRun {
  readonly o: RealCycleOptions;
  readonly saver: Saver;
  readonly report: RealCycleReport;
  readonly s: GuestSession;
  readonly ka: KernelImage;
  readonly kb: KernelImage;
  readonly A: KernelProfile;
  readonly B: KernelProfile;
  /** Runs one named phase (timed, marked in the write trace, named in an error). */
  readonly step: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
  /** The model's side of the write-trace comparison (kernel saver: every compared phase is modelled). */
  readonly modelWrites: PhasedWrite[];
}

/** A target after kernel A's save: its return, what A carries, the bits it saved. */
interface SavedTarget {
  readonly t: FunctionCapture;
  readonly ret: number;
  readonly carried: { readonly format: SaveFormat; readonly bytes: Uint8Array | null };
  readonly savedByOld: Uint8Array;
  readonly writes: readonly string[];
  /** The kernel saver's account of the save (kernel A's own pci_save_state in the guest). */
  readonly kernel?: KernelSave;
}

/** A target after kernel B's load and restore. */
interface RestoredTarget {
  readonly x: SavedTarget;
  readonly mid: FunctionCapture;
  readonly load: { readonly ret: number; readonly error?: string; readonly notes: readonly string[] };
  readonly restoreWrites: Parameters<typeof classifyCycle>[0]['restoreWrites'];
  /** The kernel saver's account of the restore (kernel B's own load and restore in the guest). */
  readonly kernel?: KernelRestore & { stateSavedBefore: boolean };
}

export async function runRealCycle(o: RealCycleOptions): Promise<RealCycleReport> {
  const t0 = performance.now();
  const saver = o.saver ?? 'kernel';
  const phases = new Phases();
  const report: RealCycleReport = {
    ok: false,
    options: { devices: (o.topology?.devices ?? o.endpoints).map((d) => d.id), topology: o.topology !== undefined, from: o.from, to: o.to, format: o.format, saver, drift: (o.drift ?? []).map((d) => d.text) },
    phases: phases.entries,
    totalMs: 0,
    captures: {},
    fidelity: [],
    devices: [],
  };
  let phase = 'kernels';
  let session: GuestSession | undefined;
  const step = <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    phase = name;
    session?.trace?.mark(name);
    return phases.run(name, fn);
  };
  let targetsSeen: { id: string; bdf: string }[] = [];
  const modelWrites: PhasedWrite[] = [];
  try {
    checkSaver(saver, o.format, o.drift ?? []);
    const [ka, kb] = await step('kernels', () => resolveKernels(kernelRequests(o.from, o.to, o.user), { ...(o.fetch !== undefined ? { fetch: o.fetch } : {}), ...(o.progress ? { progress: o.progress } : {}) }));
    const ownA = profileWithOwnConfig(ka!);
    const ownB = profileWithOwnConfig(kb!);
    report.kernels = { from: realKernel(ka!, ownA.used), to: realKernel(kb!, ownB.used) };
    const guestModules = saver === 'kernel' ? await step('module build', () => buildModules([ka!, kb!], cacheRoot(), o.progress)) : undefined;
    const route = chooseRoute(ka!, kb!);
    const luoHelper = route === 'luo' ? await step('luo helper', () => buildLuoHelper(luoHeader(ka!), cacheRoot())) : undefined;
    phase = 'boot A';
    session = await startGuest({ endpoints: [...o.endpoints, ...(o.passengers ?? [])], ...(o.topology ? { topology: o.topology } : {}), chain: [ka!, kb!], ...(o.range ? { range: o.range } : {}), ...(o.bootTimeoutMs ? { bootTimeoutMs: o.bootTimeoutMs } : {}), ...(guestModules ? { guestModules } : {}), ...(o.writeTrace ? { writeTrace: true } : {}), ...(o.consoleLog ? { consoleLog: o.consoleLog } : {}), ...(luoHelper ? { luoHelper } : {}), ...(o.snapshotDir ? { snapshotDir: o.snapshotDir } : {}) }, phases);
    const r: RealRun = { o, saver, report, s: session, ka: ka!, kb: kb!, A: ownA.profile, B: ownB.profile, step, modelWrites };
    report.accelerator = session.q.accelerator;
    report.bootA = session.bootA;
    o.progress?.(`kernel A ${session.release} is up`);
    const a = await captureA(r);
    targetsSeen = a.targets.map((t) => ({ id: t.id, bdf: t.bdf }));
    const saved = await saveA(r, a.pci, a.targets);
    const written = await handOver(r, saved, route);
    const b = await kexecAndCaptureB(r, a.cap, a.drivers, a.targets);
    const carriedBack = await handBack(r, written, route);
    const restored = await restoreB(r, saved, b, carriedBack);
    await diffDevices(r, restored, a.cap, b.pci, a.drivers, b.drivers);
    report.ok = true;
  } catch (e) {
    const err = e instanceof LusimError ? { code: e.code, message: e.message } : { code: 'internal', message: e instanceof Error ? e.message : String(e) };
    report.error = { ...err, phase };
  } finally {
    if (session?.trace) report.writeTrace = traceReport(session.trace.readSplit(), targetsSeen, saver === 'kernel' ? modelWrites : undefined);
    if (session) await session.close();
    report.totalMs = Math.round(performance.now() - t0);
  }
  return report;
}

/** 1. Capture kernel A's state of every function, with its drivers, and find the targets. */
async function captureA(r: RealRun): Promise<{ drivers: Map<string, string | null>; pci: Awaited<ReturnType<typeof preparePci>>; cap: Capture; targets: FunctionCapture[] }> {
  const { o, s, ka, report } = r;
  await enableGuestVfs(r);
  const devsA = await s.guard(s.agent.devices());
  const drivers = driverMap(devsA);
  const pci = await preparePci(s.q);
  const cap = await r.step('capture A', () => s.guard(captureAll(s.q, pci)));
  report.captures.a = summarize(cap, drivers);
  // Endpoints behind root ports, as `reset-methods --qemu` boots them (a topology's functions are fidelity.ts's to judge).
  if (!o.topology) report.resetMethodsA = { kernel: { release: ka.release, profile: ka.profile }, devices: compareResetMethods(cap, devsA, [...o.endpoints, ...(o.passengers ?? [])].map((d) => d.id), ka.profile, ka.release) };
  report.drivers = s.drivers;
  return { drivers, pci, cap, targets: (o.topology?.devices ?? o.endpoints).map((e) => need(cap, e.id)) };
}

/**
 * `guest-vfs=N` (kexec/topology/qemu-device.ts): kernel A enables N VFs on that PF before anything
 * is captured, so the cycle starts from a PF with VF Enable set, as a host running VMs has it.
 */
async function enableGuestVfs(r: RealRun): Promise<void> {
  const pfs = (r.o.topology?.devices ?? []).filter((d) => d.guestVfs !== undefined);
  if (pfs.length === 0) return;
  const pci = await preparePci(r.s.q);
  await r.step('enable VFs A', async () => {
    for (const d of pfs) {
      const f = pci.functions.get(d.id);
      if (!f) throw new KexecError('pci-access', `guest-vfs: QEMU has no function ${d.id}`, { id: d.id });
      const bdf = `0000:${formatBdf(f.bdf)}`;
      await r.s.guard(r.s.agent.enableVfs(bdf, d.guestVfs!)).catch((e: unknown) => {
        // Name the -device string's function: the agent's message knows only the BDF.
        throw e instanceof AgentError ? new AgentError(e.code, `guest-vfs=${d.guestVfs} on ${d.id} (${bdf}): ${e.message}`, e.details) : e;
      });
    }
  });
}

/** 2. Save: kernel A itself (its module), or kernel A's profile over qtest. */
async function saveA(r: RealRun, pciA: Awaited<ReturnType<typeof preparePci>>, targets: readonly FunctionCapture[]): Promise<SavedTarget[]> {
  const { o, s, A } = r;
  if (r.saver === 'kernel') {
    const mod = new GuestModule(s.agent);
    await r.step('module load A', () => s.guard(mod.load()));
    return r.step('save A (kernel)', async () => {
      const out: SavedTarget[] = [];
      for (const [i, t] of targets.entries()) {
        const k = await s.guard(kernelSave(mod, s.q.qtest, s.range, t, i, A, o.drift ?? []));
        out.push({ t, ret: k.ret, carried: { format: o.format, bytes: k.carried }, savedByOld: k.savedByOld, writes: [], kernel: k });
        r.modelWrites.push(...modelPhase('save A', t.bdf, k.modelWrites));
      }
      return out;
    });
  }
  return r.step('save A', async () => {
    const out: SavedTarget[] = [];
    for (const t of targets) {
      const cfg = pciA.config(t.id);
      const k = await saveAsKernelA({ config: cfg, bars: new QtestBarAccess(s.q.qtest, cfg) }, modelFromCapture(t).fn, A, o.format);
      out.push({ t, ret: k.ret, carried: k.carried, savedByOld: k.savedByOld, writes: k.writes.filter((w) => w.space === 'config' && w.device === 'dev').map((w) => `${w.fn}@0x${w.offset.toString(16)}=0x${w.value.toString(16)}`) });
    }
    return out;
  });
}

/** Write the envelope of what A carries into the handover range (and preserve it through LUO on that route). */
async function handOver(r: RealRun, saved: readonly SavedTarget[], route: HandoverRoute): Promise<Awaited<ReturnType<typeof writeHandover>>> {
  const { s, o, report } = r;
  const written = await r.step('handover write', () => s.guard(writeHandover(s.q.qtest, s.range, saved.filter((x) => x.carried.bytes !== null).map((x) => ({ bdf: `0000:${x.t.bdf}`, format: o.format, payload: x.carried.bytes! })))));
  report.handover = { base: s.range.base, bytes: written.bytes.length, writeMs: Math.round(written.ms), route };
  if (route === 'luo') report.handover.luo = { preserved: await r.step('luo preserve', () => luoPreserve(s)) };
  return written;
}

interface KernelBSide {
  readonly drivers: Map<string, string | null>;
  readonly pci: Awaited<ReturnType<typeof preparePci>>;
  readonly cap: Capture;
}

/** 3. kexec, capture B, fidelity of the model's kexec (and its writes for the trace comparison). */
async function kexecAndCaptureB(r: RealRun, capA: Capture, driversA: ReadonlyMap<string, string | null>, targets: readonly FunctionCapture[]): Promise<KernelBSide> {
  const { s, o, ka, kb, report } = r;
  await r.step('kexec + boot B', () => s.kexecNext(o.kexecTimeoutMs));
  o.progress?.(`kernel B ${s.release} is up`);
  const drivers = driverMap(await s.guard(s.agent.devices()));
  const builtinB = builtinModules(kb);
  const pci = await preparePci(s.q);
  const cap = await r.step('capture B', () => s.guard(captureAll(s.q, pci)));
  report.captures.b = summarize(cap, drivers);
  await r.step('fidelity', async () => {
    for (const a of capA.functions) {
      const b = need(cap, a.id);
      const [dA, dB] = [driversA.get(a.bdf) ?? null, drivers.get(b.bdf) ?? null];
      const enabledBelow = a.isBridge && driverBelow(cap.functions, a.id, (bdf) => drivers.get(bdf) ?? null);
      const above = portAbove(capA, a);
      const below = functionBelow(capA.functions, a);
      const platform = platformUnder(above);
      const walked = await walkedFromAbove(capA.functions, a, ka.profile, (bdf) => driversA.get(bdf) ?? null);
      const walkedB = await walkedFromAbove(capA.functions, a, kb.profile, (bdf) => drivers.get(bdf) ?? null);
      const pred = await predictPostKexec(a, { from: ka.profile, to: kb.profile, driverA: dA, driverB: dB, enabledBelow, ...(above ? { parent: modelFromCapture(above).access } : {}), physfnBefore: await physfnBefore(capA, a), ...(below ? { below } : {}), ...(platform ? { platform } : {}), walkedFromAboveAtShutdown: walked, walkedFromAboveAtProbe: walkedB });
      report.fidelity.push(fidelityOf('after-kexec', a, b, pred, dA, dB));
      // The modules /init loads for the function (its PCI driver, or a virtio class driver) bind in drivers B.
      const modulesB = (s.plans[1]?.devices.find((d) => d.id === a.id)?.modules.length ?? 0) > 0;
      if (targets.some((t) => t.id === a.id)) r.modelWrites.push(...postKexecPhases(a.bdf, pred, dB !== null && probesAtBoot(dB, builtinB), modulesB));
    }
  });
  return { drivers, pci, cap };
}

/** 4a. The handover back (through LUO first on that route): what survived the kexec. */
async function handBack(r: RealRun, written: Awaited<ReturnType<typeof writeHandover>>, route: HandoverRoute): Promise<Survival['devices']> {
  const { s, report } = r;
  if (route === 'luo') report.handover!.luo!.retrieved = await r.step('luo retrieve', () => luoRetrieve(s));
  const survival = await r.step('handover read', () => s.guard(readHandover(s.q.qtest, written)));
  const { devices: carriedBack, ...survived } = survival;
  report.handover!.survived = survived;
  if (!survival.intact) throw overwrittenError(survival, s.range);
  return carriedBack;
}

/** 4b. Unbind B's drivers (with the model's prediction of each unbind), then restore in kernel B's order. */
async function restoreB(r: RealRun, saved: readonly SavedTarget[], b: KernelBSide, carriedBack: Survival['devices']): Promise<RestoredTarget[]> {
  const { s, o, A, B, kb, report } = r;
  const targets = saved.map((x) => x.t);
  await r.step('unbind B', async () => {
    for (const t of targets) {
      const fb = need(b.cap, t.id);
      if (b.drivers.get(fb.bdf)) await s.guard(s.agent.unbind(`0000:${fb.bdf}`));
    }
  });
  const capMid = await r.step('capture before restore', () => s.guard(captureAll(s.q, b.pci)));
  report.captures.beforeRestore = summarize(capMid, driverMap(await s.guard(s.agent.devices())));
  const unbound = targets.filter((t) => b.drivers.get(need(b.cap, t.id).bdf)).map((t) => t.id);
  const walkedFromAbove = await rootPortsAbove(b.cap.functions, unbound, kb.profile);
  for (const t of targets) {
    const fb = need(b.cap, t.id);
    const dB = b.drivers.get(fb.bdf) ?? null;
    if (!dB) continue;
    const above = walkedFromAbove.get(t.id);
    const pred = await predictUnbind(fb, { kernel: kb.profile, driver: dB, ...(above ? { rootPortAbove: above } : {}) });
    report.fidelity.push(fidelityOf('after-unbind', fb, need(capMid, t.id), pred, dB, null));
    r.modelWrites.push(...modelPhase('unbind B', fb.bdf, pred.writes));
  }
  if (r.saver === 'kernel') {
    const mod = new GuestModule(s.agent);
    await r.step('module load B', () => s.guard(mod.load()));
    return r.step('restore B (kernel)', async () => {
      const out: RestoredTarget[] = [];
      for (const [i, x] of saved.entries()) {
        const mid = need(capMid, x.t.id);
        const k = await s.guard(kernelRestore(mod, mid, i, A, B, x.carried.bytes!));
        out.push({ x, mid, load: k.modelLoad, restoreWrites: k.restoreWrites, kernel: { ...k, stateSavedBefore: k.before.stateSaved } });
        r.modelWrites.push(...modelPhase('restore B', x.t.bdf, k.modelWrites));
      }
      return out;
    });
  }
  return r.step('restore B', async () => {
    const out: RestoredTarget[] = [];
    for (const x of saved) {
      const mid = need(capMid, x.t.id);
      const cfg = b.pci.config(x.t.id);
      const payload = carriedBack.find((d) => d.bdf === `0000:${mid.bdf}`);
      const carried = { format: o.format, bytes: payload ? payload.payload : null };
      const k = await restoreAsKernelB({ config: cfg, bars: new QtestBarAccess(s.q.qtest, cfg) }, modelFromCapture(mid).fn, A, B, carried);
      out.push({ x, mid, load: k.load, restoreWrites: k.restoreWrites });
    }
    return out;
  });
}

/** 5. Final capture, each target's classification, and the model's own cycle beside it. */
async function diffDevices(r: RealRun, restored: readonly RestoredTarget[], capA: Capture, pciB: KernelBSide['pci'], driversA: ReadonlyMap<string, string | null>, driversB: ReadonlyMap<string, string | null>): Promise<void> {
  const { s, o, A, B, report } = r;
  const capFinal = await r.step('capture final', () => s.guard(captureAll(s.q, pciB)));
  report.captures.final = summarize(capFinal, driverMap(await s.guard(s.agent.devices())));
  await r.step('diff', async () => {
    for (const x of restored) {
      const a = x.x.t;
      const fnA = modelFromCapture(a).fn;
      const fields = classifyCycle({
        registers: locatedRegisters(fnA), masks: fnA.space.layout.masks,
        before: a.config, mid: x.mid.config, after: need(capFinal, a.id).config,
        // What the real kernels wrote during the kexec is not observable from the host.
        kexecWrites: [], restoreWrites: x.restoreWrites, savedByOld: x.x.savedByOld,
        ...(x.load.error ? { refused: x.load.error } : {}),
        oldKernel: A.id, newKernel: B.id,
      });
      // The step-1 capture is the operational state kernel A left (its driver, or none): as-found.
      // The real drift edits A's blob, the model's kernel B's layout: the same mismatch from either side.
      const drift = o.drift && o.drift.length > 0 ? { drift: o.drift.map((d) => d.text).join(';') } : {};
      // With the port above as captured: what kernel B's enumeration programs from the bus (an
      // SR-IOV function's ARI Capable Hierarchy, iov.c sriov_init: pci_ari_enabled(dev->bus)) depends on it.
      const above = portAbove(capA, a);
      const model = await runCycle(modelFromCapture(a).fn, { from: A.id, to: B.id, format: o.format, flow: 'plain', preserved: false, operational: 'as-found', driver: shutdownDriverFor(driversA.get(a.bdf) ?? null), ...(above ? { parent: modelFromCapture(above).fn } : {}), physfnBefore: await physfnBefore(capA, a), ...drift });
      report.devices.push({
        id: a.id, bdf: a.bdf, driverA: driversA.get(a.bdf) ?? null, driverB: driversB.get(x.mid.bdf) ?? null,
        save: { ret: x.x.ret, writes: [...x.x.writes], carriedBytes: x.x.carried.bytes?.length ?? null },
        load: { ret: x.load.ret, ...(x.load.error ? { error: x.load.error } : {}), notes: [...x.load.notes] },
        restoreWrites: x.restoreWrites.length,
        fields: fields.filter((f) => f.verdict !== 'unchanged'),
        counts: countVerdicts(fields),
        modelDifferences: compareWithModel(fields, model.fields.filter((f) => f.function === 'dev')),
        ...(x.x.kernel && x.kernel ? { kernel: kernelBlock(x.x.kernel, x.kernel, x.mid, need(capFinal, a.id)) } : {}),
      });
    }
  });
}
