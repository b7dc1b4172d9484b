/**
 * Client for QEMU's qtest line protocol (softmmu/qtest.c, DOC block and qtest_process_command).
 *
 * One request line, one reply line (`OK [value]`, `FAIL ...`, `ERR ...`), in order; `IRQ raise N` /
 * `IRQ lower N` lines (qtest_irq_handler) may arrive between replies and are demultiplexed here.
 * Requests are pipelined: a FIFO of pending replies lets many commands be in flight, and all lines
 * written in one tick go out in one socket write (an unbuffered client is ~50x slower, qemu.md 3.4).
 *
 * Every command is validated BEFORE it is sent: QEMU parses numbers with qemu_strtou64/strtoul and
 * g_assert()s on failure, and asserts `addr <= 0xffff` for in/out and `len != 0` for `read`, so a
 * malformed request aborts the whole QEMU process instead of failing one command.
 */
import { connect, type Socket } from 'node:net';
import { KexecError } from '../errors.js';

export type Address = number | bigint;
export type IrqListener = (level: 'raise' | 'lower', line: number) => void;

/** Largest read/write length lusim sends: QEMU g_malloc()s the length, and aborts if that fails. */
export const QTEST_MAX_LENGTH = 64 * 1024 * 1024;
const U64_MAX = (1n << 64n) - 1n;

interface Pending {
  readonly line: string;
  readonly resolve: (value: string) => void;
  readonly reject: (err: Error) => void;
}

function hex(v: Address): string {
  return `0x${v.toString(16)}`;
}

function checkU64(what: string, v: Address): bigint {
  if (typeof v === 'number' && !Number.isSafeInteger(v)) {
    throw new KexecError('qtest-bad-command', `qtest ${what} must be an integer, got ${v}; QEMU would abort on it.`, { what, value: String(v) });
  }
  const b = BigInt(v);
  if (b < 0n || b > U64_MAX) {
    throw new KexecError('qtest-bad-command', `qtest ${what} ${v} is outside 0..2^64-1; QEMU would abort on it.`, { what, value: String(v) });
  }
  return b;
}

function checkRange(what: string, v: Address, max: bigint): bigint {
  const b = checkU64(what, v);
  if (b > max) {
    throw new KexecError('qtest-bad-command', `qtest ${what} ${hex(v)} exceeds ${hex(max)}.`, { what, value: String(v), max: String(max) });
  }
  return b;
}

function checkLength(len: number): void {
  if (!Number.isSafeInteger(len) || len < 1 || len > QTEST_MAX_LENGTH) {
    throw new KexecError('qtest-bad-command', `qtest length must be an integer in 1..${QTEST_MAX_LENGTH}, got ${len}.`, { length: len });
  }
}

function checkAccess(addr: Address, len: number): bigint {
  const a = checkU64('address', addr);
  if (a + BigInt(len) - 1n > U64_MAX) {
    throw new KexecError('qtest-bad-command', `qtest access at ${hex(addr)} of ${len} bytes wraps past 2^64.`, { address: String(addr), length: len });
  }
  return a;
}

function parseHexValue(reply: string, line: string): bigint {
  if (!/^0x[0-9a-f]+$/i.test(reply)) {
    throw new KexecError('qtest-protocol', `qtest reply to "${line}" has no hex value: "OK ${reply}".`, { line, reply });
  }
  return BigInt(reply);
}

export class QtestClient {
  private readonly pending: Pending[] = [];
  private readonly irqListeners = new Set<IrqListener>();
  private outbox: string[] = [];
  private flushScheduled = false;
  private buffered = '';
  private closedError: KexecError | null = null;
  private watchdog: NodeJS.Timeout | null = null;

  /** Take over a connected socket. `replyTimeoutMs` bounds how long the oldest reply may take. */
  constructor(
    private readonly socket: Socket,
    private readonly replyTimeoutMs = 10_000,
  ) {
    socket.setEncoding('latin1');
    socket.setNoDelay(true);
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (err) => this.fail(new KexecError('qtest-disconnect', `qtest socket error: ${err.message}. Did QEMU exit? Check its stderr.`, { cause: err.message })));
    socket.on('close', () => this.fail(new KexecError('qtest-disconnect', 'qtest socket closed (QEMU exited or closed the connection).')));
  }

  /** Connect to a `-qtest unix:PATH,server=on` socket. */
  static connect(path: string, replyTimeoutMs?: number): Promise<QtestClient> {
    return new Promise((resolve, reject) => {
      const s = connect(path);
      s.once('connect', () => {
        s.removeListener('error', reject);
        resolve(new QtestClient(s, replyTimeoutMs));
      });
      s.once('error', reject);
    });
  }

  /** Listen for `IRQ raise|lower N` lines (only sent after irq_intercept_in/out). Returns an unsubscribe. */
  onIrq(listener: IrqListener): () => void {
    this.irqListeners.add(listener);
    return () => this.irqListeners.delete(listener);
  }

  get inFlight(): number {
    return this.pending.length;
  }

  async endianness(): Promise<'little' | 'big'> {
    const r = await this.request('endianness');
    if (r !== 'little' && r !== 'big') throw new KexecError('qtest-protocol', `unexpected endianness reply "OK ${r}".`, { reply: r });
    return r;
  }

  async readb(addr: Address): Promise<number> {
    return Number(await this.readValue('readb', addr));
  }
  async readw(addr: Address): Promise<number> {
    return Number(await this.readValue('readw', addr));
  }
  async readl(addr: Address): Promise<number> {
    return Number(await this.readValue('readl', addr));
  }
  readq(addr: Address): Promise<bigint> {
    return this.readValue('readq', addr);
  }

  writeb(addr: Address, value: number): Promise<void> {
    return this.writeValue('writeb', addr, value, 0xffn);
  }
  writew(addr: Address, value: number): Promise<void> {
    return this.writeValue('writew', addr, value, 0xffffn);
  }
  writel(addr: Address, value: number): Promise<void> {
    return this.writeValue('writel', addr, value, 0xffffffffn);
  }
  writeq(addr: Address, value: Address): Promise<void> {
    return this.writeValue('writeq', addr, value, U64_MAX);
  }

  inb(port: number): Promise<number> {
    return this.portIn('inb', port);
  }
  inw(port: number): Promise<number> {
    return this.portIn('inw', port);
  }
  inl(port: number): Promise<number> {
    return this.portIn('inl', port);
  }
  outb(port: number, value: number): Promise<void> {
    return this.portOut('outb', port, value, 0xffn);
  }
  outw(port: number, value: number): Promise<void> {
    return this.portOut('outw', port, value, 0xffffn);
  }
  outl(port: number, value: number): Promise<void> {
    return this.portOut('outl', port, value, 0xffffffffn);
  }

  /** `read ADDR LEN` -> `OK 0x<bytes in memory order>`. */
  async read(addr: Address, length: number): Promise<Uint8Array> {
    checkLength(length);
    const a = checkAccess(addr, length);
    const line = `read ${hex(a)} ${hex(length)}`;
    const r = await this.request(line);
    if (!/^0x[0-9a-f]*$/i.test(r) || r.length !== 2 + 2 * length) {
      throw new KexecError('qtest-protocol', `qtest reply to "${line}" is not ${length} hex bytes.`, { line, replyLength: r.length });
    }
    return Uint8Array.from(Buffer.from(r.slice(2), 'hex'));
  }

  /** `b64read ADDR LEN` -> `OK <base64>`: the fast path for whole config-space snapshots. */
  async b64read(addr: Address, length: number): Promise<Uint8Array> {
    checkLength(length);
    const a = checkAccess(addr, length);
    const line = `b64read ${hex(a)} ${hex(length)}`;
    const r = await this.request(line);
    const bytes = Buffer.from(r, 'base64');
    if (bytes.length !== length) {
      throw new KexecError('qtest-protocol', `qtest reply to "${line}" decoded to ${bytes.length} bytes, expected ${length}.`, { line });
    }
    return Uint8Array.from(bytes);
  }

  /** `write ADDR LEN 0xHEX` (QEMU replies ERR if the data word is shorter than 3 characters). */
  async write(addr: Address, data: Uint8Array): Promise<void> {
    checkLength(data.length);
    const a = checkAccess(addr, data.length);
    await this.request(`write ${hex(a)} ${hex(data.length)} 0x${Buffer.from(data).toString('hex')}`);
  }

  async b64write(addr: Address, data: Uint8Array): Promise<void> {
    checkLength(data.length);
    const a = checkAccess(addr, data.length);
    await this.request(`b64write ${hex(a)} ${hex(data.length)} ${Buffer.from(data).toString('base64')}`);
  }

  /** Close the connection; pending requests fail with qtest-disconnect. */
  close(): void {
    this.fail(new KexecError('qtest-disconnect', 'qtest client closed by lusim.'));
  }

  private async readValue(cmd: string, addr: Address): Promise<bigint> {
    const line = `${cmd} ${hex(checkU64('address', addr))}`;
    return parseHexValue(await this.request(line), line);
  }

  private async writeValue(cmd: string, addr: Address, value: Address, max: bigint): Promise<void> {
    const a = checkU64('address', addr);
    const v = checkRange('value', value, max);
    await this.request(`${cmd} ${hex(a)} ${hex(v)}`);
  }

  private async portIn(cmd: string, port: number): Promise<number> {
    const line = `${cmd} ${hex(checkRange('port', port, 0xffffn))}`;
    return Number(parseHexValue(await this.request(line), line));
  }

  private async portOut(cmd: string, port: number, value: number, max: bigint): Promise<void> {
    const p = checkRange('port', port, 0xffffn);
    const v = checkRange('value', value, max);
    await this.request(`${cmd} ${hex(p)} ${hex(v)}`);
  }

  /** Queue one validated line; resolves with the text after `OK ` (or '' for a bare OK). */
  private request(line: string): Promise<string> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      this.pending.push({ line, resolve, reject });
      this.outbox.push(line);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        queueMicrotask(() => this.flush());
      }
      this.armWatchdog();
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.outbox.length === 0 || this.closedError) return;
    const text = `${this.outbox.join('\n')}\n`;
    this.outbox = [];
    this.socket.write(text, 'latin1');
  }

  private armWatchdog(): void {
    if (this.watchdog) {
      this.watchdog.refresh();
      return;
    }
    this.watchdog = setTimeout(() => {
      const oldest = this.pending[0];
      this.fail(new KexecError('timeout', `qtest got no reply to "${oldest?.line}" within ${this.replyTimeoutMs} ms; QEMU may be hung.`, { line: oldest?.line, timeoutMs: this.replyTimeoutMs }));
    }, this.replyTimeoutMs);
  }

  private onData(chunk: string): void {
    this.buffered += chunk;
    let nl: number;
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      this.onLine(line);
    }
  }

  private onLine(line: string): void {
    const irq = /^IRQ (raise|lower) (\d+)$/.exec(line);
    if (irq) {
      for (const l of this.irqListeners) l(irq[1] as 'raise' | 'lower', Number(irq[2]));
      return;
    }
    const p = this.pending.shift();
    if (!p) {
      this.fail(new KexecError('qtest-protocol', `unexpected qtest line with no request pending: "${line}".`, { line }));
      return;
    }
    if (this.pending.length === 0 && this.watchdog) {
      clearTimeout(this.watchdog);
      this.watchdog = null;
    } else this.watchdog?.refresh();
    if (line === 'OK') p.resolve('');
    else if (line.startsWith('OK ')) p.resolve(line.slice(3));
    else if (line.startsWith('FAIL') || line.startsWith('ERR')) {
      p.reject(new KexecError('qtest-error', `QEMU refused qtest command "${p.line}": ${line}`, { line: p.line, reply: line }));
    } else {
      this.fail(new KexecError('qtest-protocol', `qtest reply to "${p.line}" is not OK/FAIL/ERR: "${line}".`, { line: p.line, reply: line }));
      p.reject(this.closedError as KexecError);
    }
  }

  private fail(err: KexecError): void {
    if (this.closedError) return;
    this.closedError = err;
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = null;
    for (const p of this.pending.splice(0)) p.reject(err);
    this.socket.destroy();
  }
}
