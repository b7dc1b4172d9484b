/**
 * Start QEMU (q35) with QMP and qtest on unix sockets in a private 0700 directory, capture the
 * serial console, and clean up on every path: QEMU runs detached in its own process group, and
 * close() (also run on error, timeout, SIGINT/SIGTERM and process exit) kills the group and
 * removes the directory.
 *
 * QEMU always starts with -S so that QMP, qtest and the console are connected before any guest
 * code runs; a booting guest is then started with QMP `cont`. Hermetic mode stays stopped: the
 * vCPUs never run, no firmware programs PCIEXBAR or bus numbers (qemu.md 3.4), and qtest drives
 * the devices. Debian's QEMU has no qtest accelerator, so the accel is tcg (or kvm); the qtest
 * server itself works with any accel (softmmu/vl.c qtest_server_init).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { ConsoleStream } from './console.js';
import { killGroupSync, trackQemu, untrackQemu, type LiveQemu } from '../process/cleanup.js';
import { onPath, withParentDeathSignal } from '../process/pdeathsig.js';
import { cleanStaleDirs, makePrivateDir, removePrivateDir } from '../process/private-dir.js';
import { KexecError } from '../errors.js';
import { GDB_SOCKET } from './firmware-state.js';
import { QmpClient } from './qmp.js';
import { QtestClient } from './qtest.js';
import { chooseAccel, queryAccelerator, type AccelChoice, type AcceleratorInfo } from './accel.js';

export interface DeviceSpec {
  /** QEMU device driver, e.g. `e1000e`, `pcie-root-port`. */
  driver: string;
  /** qdev id: names the device in QMP and, for ports, names its secondary bus. */
  id: string;
  /** Parent bus: `pcie.0` (default) or the id of a root port / switch port. */
  bus?: string;
  /** Slot[.function] on the parent bus, e.g. `0x3`; QEMU picks the first free slot when absent. */
  addr?: string;
  props?: Record<string, string | number | boolean>;
  /** Backend the device needs (kexec/topology/qemu-device.ts): its arguments go before the -device, `option` links them. */
  backend?: { readonly args: readonly string[]; readonly option: readonly [string, string] };
}

export interface BootOptions {
  kernel: string;
  initrd?: string;
  append?: string;
}

export interface LaunchOptions {
  devices?: DeviceSpec[];
  /** Default: chooseAccel() with single-threaded TCG for a booting guest (kexec/qemu/accel.ts), TCG for a hermetic one (its vCPUs never run). */
  accel?: AccelChoice;
  /** Boot a guest; without it the instance is hermetic (stopped, qtest only). */
  boot?: BootOptions;
  memoryMiB?: number;
  smp?: number;
  /** Serial console: captured through a unix socket (default) or written to this file as well. */
  consoleLogFile?: string;
  extraArgs?: string[];
  /** Binary to run; defaults to $LUSIM_QEMU or qemu-system-x86_64. */
  qemuBinary?: string;
  /** How long QEMU may take to create its sockets and answer the handshake. */
  startTimeoutMs?: number;
  /** Log every config write (trace event pci_cfg_write) to `<dir>/trace.log` (kexec/qemu/write-trace.ts). */
  writeTrace?: boolean;
  /** Start with -incoming defer and leave the guest stopped: a snapshot is loaded over QMP (kexec/qemu/snapshot.ts). */
  incoming?: boolean;
  /**
   * Open QEMU's gdbstub on `<dir>/gdb.sock` and leave the booting guest stopped: the caller runs
   * it to the kernel's entry (kexec/qemu/firmware-state.ts) instead of QMP cont.
   */
  gdbstub?: boolean;
}

export interface QemuInstance {
  readonly qmp: QmpClient;
  readonly qtest: QtestClient;
  /** The private 0700 directory holding the sockets (removed by close()). */
  readonly dir: string;
  readonly console: ConsoleStream;
  readonly pid: number;
  readonly args: readonly string[];
  readonly hermetic: boolean;
  /** The accelerator QEMU runs (QMP query-kvm) and why lusim asked for it. */
  readonly accelerator: AcceleratorInfo;
  /** Resolves when the QEMU process exits, for whatever reason. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last part of QEMU's stderr (for error messages). */
  stderr(): string;
  /** Kill the process group and remove the directory. Idempotent, never throws. */
  close(): Promise<void>;
}

/**
 * QEMU's PCIe Root Ports and Switch Downstream Ports: their qdev id names a secondary bus, they
 * need a unique (chassis, slot) pair, and Linux scans only device 0 below them (probe.c
 * only_one_child).
 */
export const SLOT_PORTS: ReadonlySet<string> = new Set(['pcie-root-port', 'ioh3420', 'xio3130-downstream']);
const QDEV_ID = /^[A-Za-z][A-Za-z0-9_.-]*$/;
const SUN_PATH_MAX = 107;
const STDERR_KEPT = 16 * 1024;

const HERMETIC_ACCEL: AccelChoice = { wanted: 'tcg', args: ['-accel', 'tcg'], why: 'hermetic: the vCPUs never run' };

export const QEMU_INSTALL_HINT = 'apt-get install qemu-system-x86';

/** The QEMU binary lusim runs: $LUSIM_QEMU, else qemu-system-x86_64 from PATH. */
export const qemuBinary = (): string => process.env.LUSIM_QEMU ?? 'qemu-system-x86_64';

const notFound = (binary: string) => `${binary} was not found. Install QEMU with: ${QEMU_INSTALL_HINT} (or set LUSIM_QEMU)`;

/** Why QEMU cannot be started, checked before a long campaign launches any; undefined when it can. */
export function qemuMissing(binary = qemuBinary()): string | undefined {
  return onPath(binary) ? undefined : notFound(binary);
}

function optValue(v: string | number | boolean, where: string): string {
  const s = typeof v === 'boolean' ? (v ? 'on' : 'off') : String(v);
  // QemuOpts splits on ',' and '='; lusim never builds option strings from values that contain them.
  if (/[,\s]/.test(s) || s === '') throw new KexecError('bad-launch-options', `device option ${where}="${s}" must be non-empty with no comma or whitespace.`, { where, value: s });
  return s;
}

/**
 * Successive free values of option `key` for the devices of `drivers` that lack it: `value(0)`,
 * `value(1)`, ..., skipping those given to others (what a user gave stays theirs).
 */
function numbering<T extends string | number>(devices: readonly DeviceSpec[], drivers: ReadonlySet<string>, key: string, value: (n: number) => T): () => T {
  const taken = new Set(devices.filter((d) => drivers.has(d.driver) && d.props?.[key] !== undefined).map((d) => String(d.props![key])));
  let n = 0;
  return () => {
    while (taken.has(String(value(n)))) n++;
    return value(n++);
  };
}

const NVME = new Set(['nvme']);

/**
 * `-device` arguments. Ports get distinct chassis numbers unless given (pcie_chassis_add_slot
 * rejects duplicates). NVMe controllers get distinct serials unless given (QEMU needs one, and
 * without a subsystem it makes the subsystem NQN "nqn.2019-08.org.qemu:SERIAL",
 * hw/nvme/ctrl.c nvme_init_subnqn): Linux ignores a second controller with the same subsystem NQN
 * ("ignoring ctrl due to duplicate subnqn", nvme_init_subsystem, -EINVAL), after its probe has
 * enabled the bridges above it (pci_enable_bridge sets their Bus Master), which no driver model
 * of a bound device predicts (found by `lusim fuzz --qemu`, seed 55 sample 3: two nvme, one serial).
 */
export function deviceArgs(devices: readonly DeviceSpec[]): string[] {
  const ids = new Set<string>();
  const args: string[] = [];
  const chassis = numbering(devices, SLOT_PORTS, 'chassis', (n) => n + 1);
  const serial = numbering(devices, NVME, 'serial', (n) => `lusim${n}`);
  for (const d of devices) {
    if (!QDEV_ID.test(d.id)) throw new KexecError('bad-launch-options', `device id "${d.id}" must start with a letter and hold only letters, digits, '-', '_' and '.'.`, { id: d.id });
    if (ids.has(d.id)) throw new KexecError('bad-launch-options', `device id "${d.id}" is used twice.`, { id: d.id });
    const bus = d.bus ?? 'pcie.0';
    if (bus !== 'pcie.0' && !ids.has(bus)) throw new KexecError('bad-launch-options', `device ${d.id} sits on bus "${bus}", which is not the id of a port listed before it.`, { id: d.id, bus });
    ids.add(d.id);
    const props: Record<string, string | number | boolean> = { ...d.props };
    if (SLOT_PORTS.has(d.driver) && props.chassis === undefined) {
      props.chassis = chassis();
      props.slot ??= 0;
    }
    if (NVME.has(d.driver) && props.serial === undefined) props.serial = serial();
    const parts = [optValue(d.driver, 'driver'), `id=${d.id}`, `bus=${optValue(bus, 'bus')}`];
    if (d.addr !== undefined) parts.push(`addr=${optValue(d.addr, 'addr')}`);
    for (const [k, v] of Object.entries(props)) parts.push(`${optValue(k, 'key')}=${optValue(v, k)}`);
    if (d.backend) {
      args.push(...d.backend.args);
      parts.push(`${d.backend.option[0]}=${optValue(d.backend.option[1], d.backend.option[0])}`);
    }
    args.push('-device', parts.join(','));
  }
  return args;
}

/** The full QEMU command line (without the binary) for `opts`, with sockets under `dir`. */
export function buildQemuArgs(opts: LaunchOptions, dir: string): string[] {
  const boot = opts.boot;
  const accel = opts.accel ?? (boot ? chooseAccel({ singleThreadTcg: true }) : HERMETIC_ACCEL);
  if (opts.consoleLogFile?.includes(',')) {
    throw new KexecError('bad-launch-options', `console log file "${opts.consoleLogFile}" contains a comma, which QEMU's -chardev option parser would split; choose another path.`, { path: opts.consoleLogFile });
  }
  const args = [
    '-M', 'q35',
    ...accel.args,
    '-nodefaults', '-no-user-config', '-display', 'none',
    '-m', String(opts.memoryMiB ?? (boot ? 1024 : 128)),
    '-smp', String(opts.smp ?? 1),
    '-S',
    '-qmp', `unix:${join(dir, 'qmp.sock')},server=on,wait=off`,
    '-qtest', `unix:${join(dir, 'qtest.sock')},server=on,wait=off`,
    '-qtest-log', 'none',
    '-chardev', `socket,id=lusimcon,path=${join(dir, 'console.sock')},server=on,wait=off${opts.consoleLogFile ? `,logfile=${opts.consoleLogFile}` : ''}`,
    '-serial', 'chardev:lusimcon',
  ];
  if (boot) {
    args.push('-kernel', boot.kernel);
    if (boot.initrd) args.push('-initrd', boot.initrd);
    if (boot.append) args.push('-append', boot.append);
  }
  // The log trace backend writes each event as a line to -D's file (docs/devel/tracing.rst);
  // ECAM and port-IO config writes both reach pci_host_config_write_common -> pci_cfg_write.
  // fw_cfg_select marks the firmware: SeaBIOS selects the kernel, initrd and setup data in fw_cfg
  // just before it jumps to the kernel, and the guest kernels never touch fw_cfg (qemu_fw_cfg is a
  // module lusim does not load), so writes after the last select are the kernel's (write-trace.ts).
  if (opts.writeTrace) args.push('-trace', 'pci_cfg_write', '-trace', 'fw_cfg_select', '-D', join(dir, 'trace.log'));
  args.push(...deviceArgs(opts.devices ?? []), ...(opts.extraArgs ?? []));
  if (opts.incoming) args.push('-incoming', 'defer');
  if (opts.gdbstub) args.push('-gdb', `unix:${join(dir, GDB_SOCKET)},server=on,wait=off`);
  return args;
}

/** Put each endpoint behind its own pcie-root-port (`rp-<id>`), the way the fixtures place devices. */
export function behindRootPorts(endpoints: readonly DeviceSpec[]): DeviceSpec[] {
  return endpoints.flatMap((d) => [{ driver: 'pcie-root-port', id: `rp-${d.id}` }, { ...d, bus: `rp-${d.id}` }]);
}

// ---- launch -----------------------------------------------------------------------------------

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Retry `attempt` until it succeeds, QEMU exits, or the deadline passes (sockets appear asynchronously). */
async function untilReady<T>(what: string, attempt: () => Promise<T>, deadline: number, exitedEarly: () => KexecError | null): Promise<T> {
  for (;;) {
    const gone = exitedEarly();
    if (gone) throw gone;
    try {
      return await attempt();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ECONNREFUSED') throw err;
      if (Date.now() > deadline) throw new KexecError('qemu-start', `QEMU did not open its ${what} socket in time.`, { what });
      await sleep(10);
    }
  }
}

function connectConsole(path: string, sink: ConsoleStream): Promise<() => void> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    s.setEncoding('utf8');
    s.once('connect', () => {
      s.removeListener('error', reject);
      s.on('data', (chunk: string) => sink.push(chunk));
      s.on('error', () => undefined);
      resolve(() => s.destroy());
    });
    s.once('error', reject);
  });
}

type ExitInfo = { code: number | null; signal: NodeJS.Signals | null };

/** A spawned QEMU: its exit (or failure to start) and the tail of its stderr, as they happen. */
interface SpawnedQemu {
  readonly proc: ChildProcess;
  readonly exited: Promise<ExitInfo>;
  exitInfo(): ExitInfo | null;
  spawnError(): KexecError | null;
  stderrTail(): string;
  /** Why start-up failed once QEMU exited: its exit status and stderr. */
  startupExitError(): KexecError;
}

/**
 * Detached: QEMU leads its own process group, so close() can kill it and anything it forked.
 * Under setpriv --pdeathsig KILL (process/pdeathsig.ts): QEMU dies even if lusim is SIGKILLed.
 */
function spawnQemu(binary: string, args: string[], consoleStream: ConsoleStream): SpawnedQemu {
  const cmd = withParentDeathSignal(binary, args);
  const proc = spawn(cmd.command, cmd.args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let exitInfo: ExitInfo | null = null;
  let spawnError: KexecError | null = null;
  let stderrTail = '';
  const exited = new Promise<ExitInfo>((resolve) => {
    proc.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      consoleStream.end(new KexecError('qemu-exited', `QEMU exited (${signal ?? `code ${code}`}).`, { code, signal, stderr: stderrTail }));
      resolve(exitInfo);
    });
    proc.once('error', (err: NodeJS.ErrnoException) => {
      spawnError = err.code === 'ENOENT'
        ? new KexecError('qemu-missing', notFound(binary), { binary })
        : new KexecError('qemu-start', `could not start ${binary}: ${err.message}`, { binary, cause: err.message });
      exitInfo = { code: null, signal: null };
      resolve(exitInfo);
    });
  });
  proc.stderr?.setEncoding('utf8');
  proc.stderr?.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-STDERR_KEPT);
  });
  return {
    proc, exited, exitInfo: () => exitInfo, spawnError: () => spawnError, stderrTail: () => stderrTail,
    startupExitError: () => {
      const info = exitInfo ?? { code: null, signal: null };
      return new KexecError('qemu-exited', `QEMU exited during start-up (${info.signal ?? `code ${info.code}`}): ${stderrTail.trim() || '(no stderr)'}`, { ...info, stderr: stderrTail, args });
    },
  };
}

/** What one launch holds until close(): its directory, console, clients and process. */
interface Launch {
  readonly dir: string;
  readonly consoleStream: ConsoleStream;
  readonly closers: (() => void)[];
  spawned: SpawnedQemu | null;
  entry: LiveQemu | null;
}

/** Closes the clients, stops QEMU's process group (SIGTERM, then SIGKILL after 2 s) and removes the directory. */
async function closeLaunch(l: Launch): Promise<void> {
  for (const c of l.closers.splice(0)) c();
  const q = l.spawned;
  const pid = q?.proc.pid;
  if (q && pid !== undefined && q.exitInfo() === null) {
    killGroupSync(pid, 'SIGTERM');
    const exited = await Promise.race([q.exited.then(() => true), sleep(2000).then(() => false)]);
    if (!exited) killGroupSync(pid, 'SIGKILL');
    await Promise.race([q.exited, sleep(2000)]);
  } else if (pid !== undefined) {
    // QEMU itself is gone, but helpers it forked would still be in its group.
    killGroupSync(pid, 'SIGKILL');
  }
  removePrivateDir(l.dir);
  l.consoleStream.end(new KexecError('qemu-exited', 'QEMU instance closed.'));
  if (l.entry) untrackQemu(l.entry);
}

/** QMP, qtest and the console, each as soon as its socket answers; each client's close joins `closers`. */
async function connectClients(l: Launch, deadline: number, exitedEarly: () => KexecError | null): Promise<{ qmp: QmpClient; qtest: QtestClient }> {
  const qmp = await untilReady('QMP', () => QmpClient.connect(join(l.dir, 'qmp.sock'), Math.max(1000, deadline - Date.now())), deadline, exitedEarly);
  l.closers.push(() => qmp.close());
  const qtest = await untilReady('qtest', () => QtestClient.connect(join(l.dir, 'qtest.sock')), deadline, exitedEarly);
  l.closers.push(() => qtest.close());
  const endian = await qtest.endianness();
  if (endian !== 'little') throw new KexecError('qemu-start', `qtest reports a ${endian}-endian target; lusim drives x86_64 only.`, { endian });
  l.closers.push(await untilReady('console', () => connectConsole(join(l.dir, 'console.sock'), l.consoleStream), deadline, exitedEarly));
  return { qmp, qtest };
}

/** Removed once per process, before the first launch: directories of runs that were killed. */
let staleCleaned = false;

/** Start QEMU and connect QMP, qtest and the console. On any failure nothing is left behind. */
export async function launchQemu(opts: LaunchOptions = {}): Promise<QemuInstance> {
  const binary = opts.qemuBinary ?? qemuBinary();
  if (!staleCleaned) {
    staleCleaned = true;
    cleanStaleDirs();
  }
  const l: Launch = { dir: makePrivateDir('lusim-qemu-'), consoleStream: new ConsoleStream(), closers: [], spawned: null, entry: null };
  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => (closing ??= closeLaunch(l));
  try {
    const socket = join(l.dir, 'console.sock');
    if (socket.length > SUN_PATH_MAX) throw new KexecError('bad-launch-options', `socket path ${socket} is too long for a unix socket; set TMPDIR to a shorter directory.`, { dir: l.dir });
    const accel = opts.accel ?? (opts.boot ? chooseAccel({ singleThreadTcg: true }) : HERMETIC_ACCEL);
    const args = buildQemuArgs({ ...opts, accel }, l.dir);
    const q = (l.spawned = spawnQemu(binary, args, l.consoleStream));
    if (q.proc.pid !== undefined) trackQemu((l.entry = { pid: q.proc.pid }));
    const deadline = Date.now() + (opts.startTimeoutMs ?? 15_000);
    const exitedEarly = (): KexecError | null => q.spawnError() ?? (q.exitInfo() ? q.startupExitError() : null);
    // Wait for the spawn to either succeed or fail before polling sockets.
    await sleep(0);
    const { qmp, qtest } = await connectClients(l, deadline, exitedEarly);
    const accelerator = await queryAccelerator(qmp, accel);
    if (opts.boot && !opts.incoming && !opts.gdbstub) await qmp.execute('cont');
    return { qmp, qtest, dir: l.dir, console: l.consoleStream, pid: q.proc.pid as number, args, hermetic: !opts.boot, accelerator, exited: q.exited, stderr: q.stderrTail, close };
  } catch (err) {
    const q = l.spawned;
    // QEMU opens its sockets before it creates devices, so a bad -device shows up as a socket
    // closing mid-handshake: if QEMU is exiting, report that with its stderr instead.
    if (q && err instanceof KexecError && (err.code === 'qmp-disconnect' || err.code === 'qtest-disconnect')) {
      await Promise.race([q.exited, sleep(1000)]);
    }
    const exitErr = q && q.exitInfo() && !q.spawnError() ? q.startupExitError() : null;
    await close();
    throw exitErr ?? err;
  }
}

/**
 * Run `fn` with a fresh QEMU and always close it: after success, after an error thrown by `fn`,
 * and after `timeoutMs` (the instance is killed, which also fails fn's pending QMP/qtest calls).
 */
export async function withQemu<T>(opts: LaunchOptions, fn: (q: QemuInstance) => Promise<T>, timeoutMs = 120_000): Promise<T> {
  const q = await launchQemu(opts);
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new KexecError('timeout', `QEMU session did not finish within ${timeoutMs} ms; QEMU was killed. Last console lines:\n${q.console.tail(10).join('\n')}`, { timeoutMs })), timeoutMs);
    });
    return await Promise.race([fn(q), timeout]);
  } finally {
    clearTimeout(timer);
    await q.close();
  }
}
