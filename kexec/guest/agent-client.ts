/**
 * Host side of the guest agent's line protocol (kexec/agent/agent.sh): requests
 * `<id> <COMMAND> [args]`, answers `@@LUSIM <nonce> BEGIN|D|END <id> ...` and, once per boot,
 * `@@LUSIM <nonce> READY <release>`. The nonce is chosen here and passed on the kernel command
 * line, so an answer can only come from the agent of the boot we started.
 *
 * Arguments are checked against the same strict patterns as the agent before anything is sent;
 * every wait has a timeout, and a timeout carries the last lines seen.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { LusimError } from '../../devices/errors.js';
import { makePrivateDir, removePrivateDir } from '../process/private-dir.js';

export type AgentErrorCode =
  /** No READY / END within the timeout: details.tail holds the last lines seen. */
  | 'timeout'
  /** A command ran and exited non-zero: details hold rc and output. */
  | 'command-failed'
  /** An argument the agent would refuse; nothing was sent. */
  | 'bad-argument'
  /** The line to the agent closed. */
  | 'closed';

export class AgentError extends LusimError<AgentErrorCode> {}

/** The agent's patterns (agent.sh is_bdf, is_name, is_nonce). */
export const BDF = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/;
export const NAME = /^[a-z0-9_-]{1,32}$/;
export const NONCE = /^[0-9a-f]{8,32}$/;

/** A line-oriented, writable link to the agent (a serial port's socket). */
export interface AgentLine {
  onLine(listener: (line: string) => void): () => void;
  onClose(listener: (err: Error) => void): () => void;
  write(text: string): void;
}

export interface PciDeviceInfo {
  readonly bdf: string;
  readonly vendor: number;
  readonly device: number;
  readonly classCode: number;
  /** Bound driver, or null. */
  readonly driver: string | null;
  /** sysfs reset_method in the kernel's order; empty when the attribute is hidden (no method). */
  readonly resetMethods: string[];
}

export interface AgentResult {
  readonly rc: number;
  readonly lines: string[];
}

export function newNonce(): string {
  return randomBytes(8).toString('hex');
}

/** Parse one DEVICES line: `bdf=... vendor=0x8086 device=0x10d3 class=0x020000 driver=- reset_method=pm,bus`. */
export function parseDeviceLine(line: string): PciDeviceInfo {
  const kv = new Map(line.split(' ').map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)] as const));
  const need = (k: string): string => {
    const v = kv.get(k);
    if (v === undefined) throw new AgentError('command-failed', `DEVICES line without ${k}: "${line}"`, { line });
    return v;
  };
  const rm = need('reset_method');
  return {
    bdf: need('bdf'),
    vendor: Number(need('vendor')),
    device: Number(need('device')),
    classCode: Number(need('class')),
    driver: need('driver') === '-' ? null : need('driver'),
    resetMethods: rm === '-' ? [] : rm.split(','),
  };
}

const TAIL = 30;

export class AgentClient {
  private nonce: string;
  private nextId = 1;
  private readonly recent: string[] = [];
  private readonly offs: (() => void)[] = [];
  private closedBy: Error | null = null;

  /**
   * @param line the agent's serial line
   * @param nonce the nonce on the booting kernel's command line (lusim.nonce=)
   * @param consoleTail the kernel console's last lines, quoted in errors when the agent is on another port
   */
  constructor(
    private readonly line: AgentLine,
    nonce: string,
    private readonly consoleTail: () => string[] = () => [],
  ) {
    if (!NONCE.test(nonce)) throw new AgentError('bad-argument', `nonce "${nonce}" must match ${NONCE}.`, { nonce });
    this.nonce = nonce;
    this.offs.push(line.onLine((l) => {
      this.recent.push(l);
      if (this.recent.length > TAIL) this.recent.shift();
    }));
    this.offs.push(line.onClose((err) => (this.closedBy = err)));
  }

  get currentNonce(): string {
    return this.nonce;
  }

  /** The last lines seen on the agent's line. */
  tail(): string[] {
    return [...this.recent];
  }

  private timeoutError(what: string, timeoutMs: number): AgentError {
    const tail = this.tail();
    const console = this.consoleTail().slice(-TAIL);
    return new AgentError('timeout', `guest agent: no ${what} within ${timeoutMs} ms. Last agent lines:\n${tail.join('\n') || '(none)'}${console.length ? `\nLast console lines:\n${console.join('\n')}` : ''}`, { what, timeoutMs, tail, console });
  }

  /**
   * Wait for a line matching `match` (which returns a value or undefined), failing on timeout or
   * when the line closes.
   */
  private waitFor<T>(what: string, timeoutMs: number, match: (line: string) => T | undefined): Promise<T> {
    if (this.closedBy) return Promise.reject(new AgentError('closed', `guest agent line closed: ${this.closedBy.message}`, { tail: this.tail() }));
    return new Promise((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        offLine();
        offClose();
      };
      const offLine = this.line.onLine((l) => {
        const v = match(l);
        if (v !== undefined) {
          finish();
          resolve(v);
        }
      });
      const offClose = this.line.onClose((err) => {
        finish();
        reject(new AgentError('closed', `guest agent line closed while waiting for ${what}: ${err.message}. Last lines:\n${this.tail().join('\n')}`, { what, tail: this.tail(), console: this.consoleTail().slice(-TAIL) }));
      });
      const timer = setTimeout(() => {
        finish();
        reject(this.timeoutError(what, timeoutMs));
      }, timeoutMs);
    });
  }

  private marker(): string {
    return `@@LUSIM ${this.nonce} `;
  }

  /** Wait for this boot's READY; returns the kernel release (`uname -r`). */
  waitReady(timeoutMs = 60_000): Promise<string> {
    const prefix = `${this.marker()}READY `;
    return this.waitFor(`READY from nonce ${this.nonce}`, timeoutMs, (l) => (l.startsWith(prefix) ? l.slice(prefix.length).trim() : undefined));
  }

  /** Send a request and collect its output lines and exit code (a non-zero rc is returned, not thrown). */
  async request(command: string, args: readonly string[] = [], timeoutMs = 30_000): Promise<AgentResult> {
    if (!/^[A-Z]{1,16}$/.test(command)) throw new AgentError('bad-argument', `agent command "${command}" must be an upper-case word.`, { command });
    const id = this.nextId++;
    const prefix = this.marker();
    const lines: string[] = [];
    const done = this.waitFor(`END of ${command} (request ${id})`, timeoutMs, (l) => {
      if (!l.startsWith(prefix)) return undefined;
      const rest = l.slice(prefix.length);
      if (rest.startsWith(`D ${id} `) || rest === `D ${id}`) lines.push(rest.slice(`D ${id} `.length));
      const end = new RegExp(`^END ${id} (\\d+)$`).exec(rest);
      return end ? Number(end[1]) : undefined;
    });
    this.line.write(`${[id, command, ...args].join(' ')}\n`);
    const rc = await done;
    return { rc, lines };
  }

  /** request() that throws a typed error when the command fails. */
  async run(command: string, args: readonly string[] = [], timeoutMs = 30_000): Promise<string[]> {
    const res = await this.request(command, args, timeoutMs);
    if (res.rc !== 0) throw new AgentError('command-failed', `guest agent: ${command} ${args.join(' ')} failed (rc ${res.rc}): ${res.lines.join(' | ') || '(no output)'}`, { command, args, rc: res.rc, output: res.lines });
    return res.lines;
  }

  uname(): Promise<string> {
    return this.run('UNAME').then((l) => l[0] ?? '');
  }

  async devices(): Promise<PciDeviceInfo[]> {
    return (await this.run('DEVICES')).map(parseDeviceLine);
  }

  /** /proc/iomem as the guest kernel sees it (reserved ranges included). */
  iomem(): Promise<string[]> {
    return this.run('IOMEM');
  }

  /** Config space as the guest reads it through sysfs (256 bytes unprivileged, 4096 as root). */
  async config(bdf: string): Promise<Uint8Array> {
    const hex = (await this.run('CONFIG', [checkBdf(bdf)])).join('');
    return Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
  }

  async unbind(bdf: string): Promise<void> {
    await this.run('UNBIND', [checkBdf(bdf)]);
  }

  async bind(bdf: string, driver: string): Promise<void> {
    await this.run('BIND', [checkBdf(bdf), checkName(driver, 'driver')]);
  }

  /** Enable `n` VFs on the PF `bdf` through sysfs `sriov_numvfs`, no driver probed on them (agent.sh SRIOV). */
  async enableVfs(bdf: string, n: number): Promise<void> {
    if (!Number.isInteger(n) || n < 1 || n > 255) throw new RangeError(`VF count ${n}: must be 1..255`);
    await this.run('SRIOV', [checkBdf(bdf), String(n)]);
  }

  /** sysfs `reset` (drivers/pci/pci-sysfs.c reset_store -> pci_reset_function). */
  async reset(bdf: string): Promise<void> {
    await this.run('RESET', [checkBdf(bdf)]);
  }

  /**
   * Load the initramfs's next kernel `name` (kexec_load: `kexec -l -i --mem-min` above the handover
   * range, agent.sh) and execute it; resolves with the
   * new kernel's release once its agent is READY. From then on this client speaks to the new boot.
   */
  async kexec(name: string, opts: { loadTimeoutMs?: number; bootTimeoutMs?: number } = {}): Promise<string> {
    const next = newNonce();
    await this.run('KLOAD', [checkName(name, 'kernel name'), next], opts.loadTimeoutMs ?? 60_000);
    const id = this.nextId++;
    const refusedPrefix = `${this.marker()}END ${id} `;
    const readyPrefix = `@@LUSIM ${next} READY `;
    const outcome = this.waitFor(`READY of the kexec'd kernel (nonce ${next})`, opts.bootTimeoutMs ?? 90_000, (l) =>
      l.startsWith(readyPrefix) ? { ready: l.slice(readyPrefix.length).trim() } : l.startsWith(refusedPrefix) ? { refused: l } : undefined,
    );
    this.line.write(`${id} KEXEC\n`);
    const r = await outcome;
    // kexec -e only returns when it failed: then the old agent closes the request with its rc.
    if ('refused' in r) throw new AgentError('command-failed', `guest agent: kexec -e returned (${r.refused}); the loaded kernel did not start.`, { tail: this.tail() });
    this.nonce = next;
    return r.ready;
  }

  close(): void {
    for (const off of this.offs.splice(0)) off();
  }
}

function checkBdf(bdf: string): string {
  if (!BDF.test(bdf)) throw new AgentError('bad-argument', `"${bdf}" is not a PCI address (DDDD:BB:DD.F, lower-case hex).`, { bdf });
  return bdf;
}

function checkName(name: string, what: string): string {
  if (!NAME.test(name)) throw new AgentError('bad-argument', `${what} "${name}" must match ${NAME}.`, { name });
  return name;
}

/** Adapt a byte stream (a socket, a child's stdio) to an AgentLine. */
export function streamLine(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): AgentLine {
  const lineListeners = new Set<(l: string) => void>();
  const closeListeners = new Set<(e: Error) => void>();
  let partial = '';
  input.setEncoding('utf8');
  input.on('data', (chunk: string) => {
    partial += chunk;
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const l = partial.slice(0, nl).replace(/\r$/, '');
      partial = partial.slice(nl + 1);
      for (const f of [...lineListeners]) f(l);
    }
  });
  const closed = (err: Error): void => {
    for (const f of [...closeListeners]) f(err);
  };
  input.on('end', () => closed(new Error('end of stream')));
  input.on('error', (e: Error) => closed(e));
  return {
    onLine: (f) => (lineListeners.add(f), () => lineListeners.delete(f)),
    onClose: (f) => (closeListeners.add(f), () => closeListeners.delete(f)),
    write: (text) => void output.write(text),
  };
}

/**
 * A dedicated serial port for the agent: a unix socket in a private 0700 directory that this side
 * listens on and QEMU connects to at start-up (`server=off`), so no guest output is lost before
 * lusim connects. Add `qemuArgs` to the launch; the port is the guest's next ttyS (ttyS1 after the
 * console), named by `lusim.tty=` on the command line.
 */
export interface AgentChannel {
  readonly qemuArgs: string[];
  /** Resolves with the line once QEMU has connected. */
  readonly connected: Promise<AgentLine>;
  close(): void;
}

export function openAgentChannel(): Promise<AgentChannel> {
  // In the process-wide cleanup set, so an interrupted run removes it too (process/cleanup.ts).
  const dir = makePrivateDir('lusim-agent-');
  const path = join(dir, 'agent.sock');
  let sock: Socket | null = null;
  const server: Server = createServer();
  const connected = new Promise<AgentLine>((resolve) => {
    server.once('connection', (s) => {
      sock = s;
      resolve(streamLine(s, s));
    });
  });
  const close = (): void => {
    sock?.destroy();
    server.close();
    removePrivateDir(dir);
  };
  return new Promise((resolve, reject) => {
    server.once('error', (e) => {
      close();
      reject(e);
    });
    server.listen(path, () => resolve({ qemuArgs: ['-chardev', `socket,id=lusimagent,path=${path},server=off`, '-serial', 'chardev:lusimagent'], connected, close }));
  });
}
