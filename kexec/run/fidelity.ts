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
 * committed ones). This file runs the pairs; the comparison is kexec/run/fidelity-truth.ts.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatLspci } from '../../devices/dump/lspci.js';
import { LusimError } from '../../devices/errors.js';
import { kernelProfile } from '../../sim/linux/profiles.js';
import { kernelRestore, kernelSave } from './real-kernel-saver.js';
import type { AcceleratorInfo } from '../qemu/accel.js';
import type { AgentClient } from '../guest/agent-client.js';
import { buildModules } from '../guest-module/build.js';
import { GuestModule } from '../guest-module/client.js';
import { GuestModuleError } from '../guest-module/errors.js';
import { cacheRoot } from '../kernels/kernels.js';
import { preparePci } from '../qemu/pci-topology.js';
import type { QemuTopology } from '../topology/qemu-device.js';
import { captureAll, type FunctionCapture } from './real-capture.js';
import type { KernelDriverPlan } from '../guest/guest-drivers.js';
import { Phases, resolveKernels, startGuest } from './real-session.js';
import { compareTruth, dumpsOf, KEXEC_MODES, truthNames, type KexecMode, type PairTruth, type RegisterPoint, type TruthComparison } from './fidelity-truth.js';

export interface FidelityTopology {
  readonly name: string;
  readonly topology: QemuTopology;
}

export interface PairResult extends TruthComparison {
  readonly topology: string;
  readonly from: string;
  readonly to: string;
  readonly mode: KexecMode;
  readonly releases: readonly string[];
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

