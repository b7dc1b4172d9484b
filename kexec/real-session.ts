/**
 * One real guest for `lusim cycle --qemu` and `lusim reset-methods --qemu`: resolve (and fetch)
 * the Debian kernels, build the initramfs chain, start q35 TCG with the devices behind root ports
 * and the agent on its own serial port, and wait for the agent. Every wait is raced against QEMU's
 * exit, so a crash is a typed error with QEMU's stderr and the console's last lines, never a hang;
 * close() kills QEMU and removes the sockets on every path.
 */
import { LusimError } from '../devices/errors.js';
import { AgentClient, AgentError, newNonce, openAgentChannel, type AgentChannel } from './agent-client.js';
import { DEFAULT_HANDOVER, guestCmdline, type HandoverRange } from './handover.js';
import { buildChain } from './initramfs.js';
import { fetchKernel, requireKernel, verifyKernel, type KernelImage } from './kernels.js';
import { behindRootPorts, launchQemu, type DeviceSpec, type QemuInstance } from './launcher.js';
import { WriteTrace } from './write-trace.js';
import { watchForPanic } from './guest-panic.js';
import { join } from 'node:path';

export type RealRunErrorCode =
  /** QEMU exited while the run still needed it (crash, external kill, panic with -no-reboot). */
  | 'qemu-exited'
  /** The first kernel's agent never answered: details.console holds the last console lines. */
  | 'boot-failed'
  /** kexec load/exec failed or the next kernel's agent never answered. */
  | 'kexec-failed'
  /** A device lusim started is missing from QEMU's query-pci or the capture. */
  | 'device-missing'
  /** The guest kernel printed Kernel panic / Oops / BUG: details.console holds those lines. */
  | 'guest-panic'
  /** Options that cannot go together (e.g. --saver kernel with --format lusim-v1). */
  | 'bad-option';

export class RealRunError extends LusimError<RealRunErrorCode> {}

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

/** Cached kernels for the specs, fetching missing ones when `fetch` (with progress lines). */
export async function resolveKernels(specs: readonly string[], opts: { fetch?: boolean; progress?: (m: string) => void } = {}): Promise<KernelImage[]> {
  const out: KernelImage[] = [];
  for (const s of specs) {
    const k = opts.fetch === false ? requireKernel(s) : (await fetchKernel(s, { progress: (m) => opts.progress?.(`kernel ${s}: ${m}`) })).kernel;
    // A damaged image would boot to nothing and cost the whole boot timeout: name it now.
    verifyKernel(k);
    out.push(k);
  }
  return out;
}

export interface GuestOptions {
  /** Endpoints; each is put behind its own pcie-root-port (`rp-<id>`). */
  readonly endpoints: readonly DeviceSpec[];
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
}

export interface GuestSession {
  readonly q: QemuInstance;
  readonly agent: AgentClient;
  readonly range: HandoverRange;
  /** QEMU's config-write trace, when asked for (kexec/write-trace.ts). */
  readonly trace: WriteTrace | undefined;
  /** Release of the running kernel (uname -r). */
  release: string;
  /** Race `p` against QEMU exiting. */
  guard<T>(p: Promise<T>): Promise<T>;
  /** kexec into the chain's next kernel; resolves with its release once its agent is READY. */
  kexecNext(timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

const CONSOLE_LINES = 30;
const STDERR_LINES = 10;
/** How long a failed wait looks for QEMU's exit before blaming the wait itself. */
const EXIT_SETTLE_MS = 500;

export async function startGuest(o: GuestOptions, phases: Phases): Promise<GuestSession> {
  const range = o.range ?? DEFAULT_HANDOVER;
  const cmdline = guestCmdline({ agentTty: 'ttyS1', range });
  const kexecCmdline = guestCmdline({ agentTty: 'ttyS1', range, kexeced: true });
  const images = await phases.run('initramfs', async () => buildChain(o.chain, { cmdline: () => kexecCmdline, devices: o.endpoints.map((d) => d.driver), handover: range, ...(o.guestModules ? { guestModules: o.guestModules } : {}) }));
  const channel: AgentChannel = await openAgentChannel();
  const nonce = newNonce();
  let q: QemuInstance;
  try {
    q = await phases.run('qemu start', () => launchQemu({
      devices: behindRootPorts(o.endpoints),
      boot: { kernel: o.chain[0]!.vmlinuz, initrd: images[0]!.path, append: `${cmdline} lusim.nonce=${nonce}` },
      memoryMiB: o.memoryMiB ?? 1024,
      smp: o.smp ?? 2,
      // panic=-1 reboots at once; -no-reboot turns that into QEMU exiting, which guard() reports.
      extraArgs: [...channel.qemuArgs, '-no-reboot'],
      ...(o.writeTrace ? { writeTrace: true } : {}),
    }));
  } catch (e) {
    channel.close();
    throw e;
  }
  const qemu = q;
  const close = async (): Promise<void> => {
    panic.stop();
    await qemu.close();
    channel.close();
  };
  const panic = watchForPanic(qemu.console);
  const panicked = (lines: readonly string[]): RealRunError => new RealRunError('guest-panic', `the guest kernel ${session?.release ?? o.chain[0]!.release} crashed:\n${lines.join('\n')}`, { console: lines });
  const panicError = panic.panicked.then((pn): never => {
    throw panicked(pn.lines);
  });
  panicError.catch(() => undefined);
  let session: GuestSession | undefined;
  const exitError = async (): Promise<never> => {
    const info = await qemu.exited;
    if (panic.seen().length > 0) throw panicked(panic.seen());
    const stderr = qemu.stderr().trim().split('\n').slice(-STDERR_LINES);
    throw new RealRunError('qemu-exited', `QEMU exited (${info.signal ? `signal ${info.signal}` : `exit status ${info.code}`}) during the run. ${stderr.join('') ? `Last stderr lines:\n${stderr.join('\n')}\n` : ''}Last console lines:\n${qemu.console.tail(CONSOLE_LINES).join('\n')}`, { ...info, stderr, console: qemu.console.tail(CONSOLE_LINES) });
  };
  const exited = exitError();
  exited.catch(() => undefined);
  // A failure of `p` that comes with QEMU's exit (the agent's socket closing as QEMU dies) is that
  // exit: report qemu-exited with its status, not the agent's view of it.
  const exitedSoon = (): Promise<boolean> => Promise.race([qemu.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), EXIT_SETTLE_MS))]);
  const guard = <T>(p: Promise<T>): Promise<T> => Promise.race([
    p.catch(async (e: unknown) => ((await exitedSoon()) ? exited : Promise.reject(e))),
    exited,
    panicError,
  ]);
  try {
    const line = await guard(channel.connected);
    const agent = new AgentClient(line, nonce, () => qemu.console.tail(CONSOLE_LINES));
    const timeout = o.bootTimeoutMs ?? 90_000;
    const release = await phases.run('boot A', () => guard(agent.waitReady(timeout)).catch((e: unknown) => {
      if (e instanceof AgentError) throw new RealRunError('boot-failed', `kernel ${o.chain[0]!.release} did not bring its agent up ${e.code === 'timeout' ? `within ${timeout} ms` : `(${e.code}: ${e.message})`}. Last console lines:\n${qemu.console.tail(CONSOLE_LINES).join('\n') || '(none)'}`, { timeoutMs: timeout, console: qemu.console.tail(CONSOLE_LINES), cause: e.message });
      throw e;
    }));
    let next = 1;
    const s: GuestSession = {
      q: qemu, agent, range, release, guard, close,
      trace: o.writeTrace ? new WriteTrace(join(qemu.dir, 'trace.log')) : undefined,
      kexecNext: async (timeoutMs = 120_000) => {
        const k = o.chain[next];
        if (!k) throw new RealRunError('kexec-failed', 'no next kernel in the chain to kexec into.');
        try {
          s.release = await guard(agent.kexec(`k${next}`, { bootTimeoutMs: timeoutMs }));
        } catch (e) {
          if (!(e instanceof AgentError)) throw e;
          throw new RealRunError('kexec-failed', `kexec into ${k.release} failed: ${e.message}`, { kernel: k.release, cause: e.code, console: qemu.console.tail(CONSOLE_LINES) });
        }
        next++;
        return s.release;
      },
    };
    session = s;
    return s;
  } catch (e) {
    await close();
    throw e;
  }
}
