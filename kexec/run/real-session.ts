/**
 * One real guest for `lusim cycle --qemu` and `lusim reset-methods --qemu`: resolve (and fetch)
 * the Debian kernels, build the initramfs chain, start q35 TCG with the devices behind root ports
 * and the agent on its own serial port, and wait for the agent. Every wait is raced against QEMU's
 * exit, so a crash is a typed error with QEMU's stderr and the console's last lines, never a hang;
 * close() kills QEMU and removes the sockets on every path.
 */
import { AgentClient, AgentError, newNonce, openAgentChannel, type AgentChannel } from '../guest/agent-client.js';
import { DEFAULT_HANDOVER, guestCmdline, type HandoverRange } from './handover.js';
import { buildChain } from '../guest/initramfs.js';
import { fetchKernel, requireKernel, verifyKernel, type KernelImage, type KernelProfileId } from '../kernels/kernels.js';
import { isKernelPath, userKernel } from '../kernels/user-kernel.js';
import { planGuestDrivers, type KernelDriverPlan } from '../guest/guest-drivers.js';
import { KexecError } from '../errors.js';
import { chooseAccel } from '../qemu/accel.js';
import { behindRootPorts, deviceArgs, launchQemu, qemuBinary, type DeviceSpec, type QemuInstance } from '../qemu/launcher.js';
import { cachedSnapshot, configDigests, restoreSnapshot, saveSnapshot, snapshotEntry, snapshotKey, unfaithfulSnapshot, type ConfigDigester, type SnapshotEntry } from '../qemu/snapshot.js';
import { WriteTrace } from '../qemu/write-trace.js';
import { CONSOLE_LINES, watchGuest, type GuestWatch } from '../guest/guest-watch.js';
import { join } from 'node:path';
import { listFunctions, preparePci } from '../qemu/pci-topology.js';
import { captureAll, type Capture } from './real-capture.js';
import { kernelEntry, runToKernelEntry } from '../qemu/firmware-state.js';
import type { QemuTopology } from '../topology/qemu-device.js';
import { formatBdf } from '../qemu/qtest-config-access.js';
import { probeTopologyIds } from '../topology/topology-ids.js';

import { RealRunError } from './real-run-error.js';

export { RealRunError, type RealRunErrorCode } from './real-run-error.js';

/** Named phases with wall times, in the order they ran. */
export class Phases {
  readonly entries: { name: string; ms: number }[] = [];

  async run<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.entries.push({ name, ms: Math.round(performance.now() - t0) });
    }
  }
}

export interface KernelChoice {
  readonly release: string;
  readonly profile: KernelImage['profile'];
}

/**
 * A kernel to run: a Debian series or profile id (fetched into the cache), or the path of the
 * user's own build (kexec/kernels/user-kernel.ts) with where its modules are and which profile models it.
 */
export type KernelRequest = string | { readonly spec: string; readonly modules?: string; readonly profile?: KernelProfileId };

/** Cached kernels for the specs, fetching missing ones when `fetch` (with progress lines); paths are the user's builds. */
export async function resolveKernels(specs: readonly KernelRequest[], opts: { fetch?: boolean; progress?: (m: string) => void } = {}): Promise<KernelImage[]> {
  const out: KernelImage[] = [];
  for (const r of specs) {
    const req = typeof r === 'string' ? { spec: r } : r;
    const s = req.spec;
    if (isKernelPath(s)) {
      const k = userKernel(s, { ...(req.modules ? { modules: req.modules } : {}), ...(req.profile ? { profile: req.profile } : {}) });
      for (const w of k.build!.warnings) opts.progress?.(`kernel ${s}: warning: ${w}`);
      opts.progress?.(`kernel ${s}: ${k.release}, profile ${k.profile} (${k.build!.why})`);
      out.push(k);
      continue;
    }
    const k = opts.fetch === false ? requireKernel(s) : (await fetchKernel(s, { progress: (m) => opts.progress?.(`kernel ${s}: ${m}`) })).kernel;
    // A damaged image would boot to nothing and cost the whole boot timeout: name it now.
    verifyKernel(k);
    out.push(req.profile ? { ...k, profile: req.profile } : k);
  }
  return out;
}

export interface GuestOptions {
  /** Endpoints; each is put behind its own pcie-root-port (`rp-<id>`). Ignored with `topology`. */
  readonly endpoints: readonly DeviceSpec[];
  /** A whole -device list (kexec/topology/qemu-device.ts) with each device's guest-driver choice. */
  readonly topology?: QemuTopology;
  /**
   * Snapshot boot A in this directory (kexec/qemu/snapshot.ts): restore it when one with the same key
   * exists, else boot cold and save one. Topologies QEMU cannot migrate (nvme) boot cold.
   */
  readonly snapshotDir?: string;
  /** The boot kernel first, then the kernels to kexec into, in order. */
  readonly chain: readonly KernelImage[];
  readonly range?: HandoverRange;
  readonly bootTimeoutMs?: number;
  readonly smp?: number;
  readonly memoryMiB?: number;
  /** lusim's guest module per kernel release (kexec/guest-module), carried in each kernel's image. */
  readonly guestModules?: ReadonlyMap<string, Uint8Array>;
  /** Record QEMU's pci_cfg_write trace (session.trace). */
  readonly writeTrace?: boolean;
  /** Write the guest's serial console (every kernel of the chain) to this file as well. */
  readonly consoleLog?: string;
  /**
   * The LUO route (kexec/run/luo-route.ts): lusim_luo in every image, `liveupdate=on` on every command
   * line (no /dev/liveupdate without it: kernel/liveupdate/luo_core.c), kexec_file_load.
   */
  readonly luoHelper?: Uint8Array;
  /**
   * Capture every function as the firmware hands it to kernel A (kexec/qemu/firmware-state.ts:
   * session.firmware). Only a cold boot has that moment: a restored boot A has none.
   */
  readonly firmwareState?: boolean;
}

/** What one kernel of the chain bound, per qdev id, and what lusim unbound for guest-driver=none. */
export interface KernelDrivers {
  readonly release: string;
  readonly bound: readonly { readonly id: string; readonly bdf: string; readonly driver: string | null }[];
  readonly unbound: readonly string[];
}

export interface GuestSession {
  readonly q: QemuInstance;
  /** The module plan of each kernel of the chain (topology runs only). */
  readonly plans: readonly KernelDriverPlan[];
  /** One entry per kernel that came up, in order. */
  readonly drivers: KernelDrivers[];
  /** How boot A came up: 'cold', 'cold+saved' (a snapshot was written), 'restored', or 'cold (snapshot refused: why)'. */
  bootA: string;
  readonly agent: AgentClient;
  readonly range: HandoverRange;
  /** QEMU's config-write trace, when asked for (kexec/qemu/write-trace.ts). */
  readonly trace: WriteTrace | undefined;
  /** Every function at kernel A's entry (GuestOptions.firmwareState, cold boots only). */
  readonly firmware: Capture | undefined;
  /** Release of the running kernel (uname -r). */
  release: string;
  /** Race `p` against QEMU exiting. */
  guard<T>(p: Promise<T>): Promise<T>;
  /** kexec into the chain's next kernel; resolves with its release once its agent is READY. */
  kexecNext(timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

export async function startGuest(o: GuestOptions, phases: Phases): Promise<GuestSession> {
  const range = o.range ?? DEFAULT_HANDOVER;
  const luo = o.luoHelper ? ' liveupdate=on' : '';
  const cmdline = `${guestCmdline({ agentTty: 'ttyS1', range })}${luo}`;
  const { devices, choices, plans, images } = await guestImages(o, phases, range, `${guestCmdline({ agentTty: 'ttyS1', range, kexeced: true })}${luo}`);
  const channel: AgentChannel = await openAgentChannel();
  const memoryMiB = o.memoryMiB ?? 1024;
  const smp = o.smp ?? 2;
  const snap = o.snapshotDir ? snapshotEntry(o.snapshotDir, snapshotKey({ qemuBinary: qemuBinary(), kernel: o.chain[0]!.release, initrdSha256: images[0]!.sha256, deviceArgs: deviceArgs(devices), memoryMiB, smp })) : undefined;
  const cached = snap ? cachedSnapshot(snap) : undefined;
  // A restored agent answers with the nonce it booted with.
  const nonce = cached?.nonce ?? newNonce();
  let q: QemuInstance;
  try {
    q = await phases.run('qemu start', () => launchQemu({
      devices,
      boot: { kernel: o.chain[0]!.vmlinuz, initrd: images[0]!.path, append: `${cmdline} lusim.nonce=${nonce}` },
      memoryMiB,
      smp,
      ...(cached ? { incoming: true, accel: chooseAccel({ singleThreadTcg: true }) } : {}),
      // panic=-1 reboots at once; -no-reboot turns that into QEMU exiting, which guard() reports.
      extraArgs: [...channel.qemuArgs, '-no-reboot'],
      ...(o.writeTrace ? { writeTrace: true } : {}),
      ...(o.consoleLog ? { consoleLogFile: o.consoleLog } : {}),
      ...(o.firmwareState && !cached ? { gdbstub: true } : {}),
    }));
  } catch (e) {
    channel.close();
    throw e;
  }
  const qemu = q;
  const watch = watchGuest(qemu, o.chain[0]!.release);
  const close = async (): Promise<void> => {
    watch.stop();
    await qemu.close();
    channel.close();
  };
  const { guard } = watch;
  // Every function over ECAM (with the firmware's or the guest's PCIEXBAR and bus numbers).
  const captureNow = async () => guard(captureAll(qemu, await guard(preparePci(qemu))));
  try {
    const firmware = o.firmwareState && !cached ? await phases.run('firmware state', async () => {
      const stop = await guard(runToKernelEntry(qemu.dir, kernelEntry(o.chain[0]!.vmlinuz)));
      try {
        return await captureNow();
      } finally {
        await stop.release();
      }
    }) : undefined;
    const line = await guard(channel.connected);
    const agent = new AgentClient(line, nonce, () => qemu.console.tail(CONSOLE_LINES));
    // Read while the guest is stopped, at the save and right after the restore (kexec/qemu/snapshot.ts).
    const digests = async () => configDigests((await captureNow()).functions);
    if (cached && snap) {
      const differ = await phases.run('restore A', () => guard(restoreSnapshot(qemu.qmp, snap, cached, digests)));
      if (differ.length) {
        await close();
        const cold = await startGuest(o, phases);
        cold.bootA = `cold (snapshot unfaithful: ${unfaithfulSnapshot(snap)})`;
        return cold;
      }
    }
    const release = cached && snap ? await guard(agent.uname()) : await bootA(o, phases, agent, qemu, guard);
    let next = 1;
    const s: GuestSession = {
      q: qemu, agent, range, release, guard, close, plans, drivers: [], bootA: cached ? 'restored' : 'cold',
      trace: o.writeTrace ? new WriteTrace(join(qemu.dir, 'trace.log')) : undefined,
      firmware,
      kexecNext: async (timeoutMs = 120_000) => {
        const k = o.chain[next];
        if (!k) throw new RealRunError('kexec-failed', 'no next kernel in the chain to kexec into.');
        watch.running = `${s.release} or the kernel it kexecs into, ${k.release},`;
        try {
          s.release = await guard(agent.kexec(`k${next}`, { bootTimeoutMs: timeoutMs }));
          watch.running = s.release;
        } catch (e) {
          if (!(e instanceof AgentError)) throw e;
          throw new RealRunError('kexec-failed', `kexec into ${k.release} failed: ${e.message}`, { kernel: k.release, cause: e.code, console: qemu.console.tail(CONSOLE_LINES) });
        }
        next++;
        if (o.topology) s.drivers.push(await settleDrivers(s, choices));
        return s.release;
      },
    };
    if (o.topology) s.drivers.push(await settleDrivers(s, choices));
    if (snap && !cached) s.bootA = await snapshotAfterBoot(qemu, snap, nonce, digests, guard, phases);
    return s;
  } catch (e) {
    await close();
    throw e;
  }
}

/** The devices QEMU gets, the guest-driver choices and plans of a topology, and the chain's initramfs images. */
async function guestImages(o: GuestOptions, phases: Phases, range: HandoverRange, kexecCmdline: string) {
  const devices = o.topology ? [...o.topology.devices] : behindRootPorts(o.endpoints);
  const choices = new Map((o.topology?.devices ?? []).map((d) => [d.id, d.guestDriver]));
  const plans = o.topology ? await phases.run('driver plan', async () => {
    const ids = await probeTopologyIds(devices);
    return o.chain.map((k) => planGuestDrivers(k, ids, choices));
  }) : [];
  const images = await phases.run('initramfs', async () => buildChain(o.chain, {
    cmdline: () => kexecCmdline, devices: devices.map((d) => d.driver), handover: range,
    ...(o.topology ? { modules: (k) => plans[o.chain.indexOf(k)]!.modules } : {}),
    ...(o.guestModules ? { guestModules: o.guestModules } : {}),
    ...(o.luoHelper ? { luoHelper: o.luoHelper } : {}),
  }));
  return { devices, choices, plans, images };
}

/** A cold boot of kernel A: wait for its agent; one that never answers is boot-failed with the console. */
async function bootA(o: GuestOptions, phases: Phases, agent: AgentClient, qemu: QemuInstance, guard: GuestWatch['guard']): Promise<string> {
  const timeout = o.bootTimeoutMs ?? 90_000;
  return phases.run('boot A', () => guard(agent.waitReady(timeout)).catch((e: unknown) => {
    if (e instanceof AgentError) throw new RealRunError('boot-failed', `kernel ${o.chain[0]!.release} did not bring its agent up ${e.code === 'timeout' ? `within ${timeout} ms` : `(${e.code}: ${e.message})`}. Last console lines:\n${qemu.console.tail(CONSOLE_LINES).join('\n') || '(none)'}`, { timeoutMs: timeout, console: qemu.console.tail(CONSOLE_LINES), cause: e.message });
    throw e;
  }));
}

/**
 * Which driver each function has in the kernel that just came up; guest-driver=none functions
 * that a built-in driver probed anyway are unbound here, before anything is measured.
 */
async function settleDrivers(s: GuestSession, choices: ReadonlyMap<string, { readonly kind: string } | undefined>): Promise<KernelDrivers> {
  const { guard, agent } = s;
  const fns = await guard(listFunctions(s.q.qmp));
  const byBdf = new Map((await guard(agent.devices())).map((d) => [d.bdf.replace(/^0000:/, ''), d.driver]));
  const bound = [...fns.values()].filter((f) => f.qdevId !== '').map((f) => ({ id: f.qdevId, bdf: formatBdf(f.bdf), driver: byBdf.get(formatBdf(f.bdf)) ?? null }));
  const unbound: string[] = [];
  for (const b of bound) {
    if (choices.get(b.id)?.kind === 'none' && b.driver) {
      await guard(agent.unbind(`0000:${b.bdf}`));
      unbound.push(`${b.id} (${b.driver})`);
    }
  }
  return { release: s.release, bound, unbound };
}

/** After a cold boot A: save the snapshot the next run restores, unless it would be unfaithful. */
async function snapshotAfterBoot(qemu: QemuInstance, snap: SnapshotEntry, nonce: string, digests: ConfigDigester, guard: GuestWatch['guard'], phases: Phases): Promise<string> {
  const unfaithful = unfaithfulSnapshot(snap);
  if (unfaithful) return `cold (snapshot refused: ${unfaithful})`;
  try {
    await phases.run('snapshot A', () => guard(saveSnapshot(qemu.qmp, snap, nonce, digests)));
    return 'cold+saved';
  } catch (e) {
    if (!(e instanceof KexecError) || e.code !== 'snapshot') throw e;
    return `cold (snapshot refused: ${e.message})`;
  }
}
