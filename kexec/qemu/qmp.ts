/**
 * QMP client (QEMU Machine Protocol, docs/interop/qmp-spec): newline-delimited JSON over a unix
 * socket. Modelled on QEMU's python qemu.qmp (qmp_client.py): the server greets first, the client
 * negotiates with `qmp_capabilities`, each command carries an id that the reply echoes, events are
 * interleaved with replies, and failures are typed: protocol (not QMP), execute error (QEMU's
 * error class + desc, qemu.qmp ExecuteError), disconnect (qemu.qmp ExecInterruptedError) and timeout.
 */
import { connect, type Socket } from 'node:net';
import { KexecError } from '../errors.js';

export interface QmpGreeting {
  QMP: { version: { qemu: { major: number; minor: number; micro: number }; package: string }; capabilities: string[] };
}

export interface QmpEvent {
  event: string;
  data: Record<string, unknown>;
  timestamp: { seconds: number; microseconds: number };
  /** Position in this client's event stream; pass it as `since` to waitForEvent. */
  seq: number;
}

export interface WaitForEventOptions {
  predicate?: (e: QmpEvent) => boolean;
  timeoutMs?: number;
  /**
   * Also match events already received with seq >= since. Take `qmp.eventCursor()` before the
   * command that triggers the event, so an event that arrives before the wait starts is not lost.
   */
  since?: number;
}

interface PendingCommand {
  readonly command: string;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: Error) => void;
  readonly timer: NodeJS.Timeout;
}

interface EventWaiter {
  readonly match: (e: QmpEvent) => boolean;
  readonly resolve: (e: QmpEvent) => void;
  readonly reject: (e: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/** Events kept for `since` look-backs; older ones are dropped. */
const EVENT_HISTORY = 1000;
const DEFAULT_TIMEOUT_MS = 10_000;

export class QmpClient {
  private readonly pending = new Map<string, PendingCommand>();
  /** Ids whose command timed out: a late reply for them is dropped, not a protocol error. */
  private readonly abandoned = new Set<string>();
  private readonly waiters = new Set<EventWaiter>();
  private readonly history: QmpEvent[] = [];
  private readonly listeners = new Set<(e: QmpEvent) => void>();
  private nextId = 1;
  private nextSeq = 0;
  private buffered = '';
  private closedError: KexecError | null = null;
  private greetingWaiter: { resolve: (g: QmpGreeting) => void; reject: (e: Error) => void } | null = null;
  greeting: QmpGreeting | null = null;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (err) => this.fail(new KexecError('qmp-disconnect', `QMP socket error: ${err.message}. Did QEMU exit? Check its stderr.`, { cause: err.message })));
    socket.on('close', () => this.fail(new KexecError('qmp-disconnect', 'QMP socket closed (QEMU exited or closed the connection).')));
  }

  /** Connect to a `-qmp unix:PATH,server=on` socket, read the greeting and negotiate capabilities. */
  static async connect(path: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<QmpClient> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect(path);
      s.once('connect', () => {
        s.removeListener('error', reject);
        resolve(s);
      });
      s.once('error', reject);
    });
    const client = new QmpClient(socket);
    try {
      await client.handshake(timeoutMs);
    } catch (err) {
      client.close();
      throw err;
    }
    return client;
  }

  private async handshake(timeoutMs: number): Promise<void> {
    const greeting = await new Promise<QmpGreeting>((resolve, reject) => {
      const timer = setTimeout(() => reject(new KexecError('timeout', `no QMP greeting within ${timeoutMs} ms.`, { timeoutMs })), timeoutMs);
      this.greetingWaiter = {
        resolve: (g) => (clearTimeout(timer), resolve(g)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      };
    });
    this.greeting = greeting;
    await this.execute('qmp_capabilities', undefined, timeoutMs);
  }

  /** Run a QMP command; resolves with its `return` value, rejects with qmp-error on `error`. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<T> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = `lusim-${this.nextId++}`;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.abandoned.add(id);
        reject(new KexecError('timeout', `QMP command ${command} got no reply within ${timeoutMs} ms.`, { command, timeoutMs }));
      }, timeoutMs);
      this.pending.set(id, { command, resolve: resolve as (v: unknown) => void, reject, timer });
      const msg = args === undefined ? { execute: command, id } : { execute: command, arguments: args, id };
      this.socket.write(`${JSON.stringify(msg)}\n`);
    });
  }

  /** HMP through `human-monitor-command` (e.g. `xp`, `pcie_aer_inject_error`); returns its text output. */
  hmp(commandLine: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string> {
    return this.execute<string>('human-monitor-command', { 'command-line': commandLine }, timeoutMs);
  }

  /** The seq the next event will get: take it before triggering an event you will wait for. */
  eventCursor(): number {
    return this.nextSeq;
  }

  /** Every event, as it arrives. Returns an unsubscribe. */
  onEvent(listener: (e: QmpEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolve with the first event named `name` that satisfies `predicate` (see `since`). */
  waitForEvent(name: string, opts: WaitForEventOptions = {}): Promise<QmpEvent> {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const since = opts.since ?? this.nextSeq;
    const match = (e: QmpEvent): boolean => e.event === name && e.seq >= since && (opts.predicate?.(e) ?? true);
    const seen = this.history.find(match);
    if (seen) return Promise.resolve(seen);
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      const waiter: EventWaiter = {
        match,
        resolve: (e) => (clearTimeout(waiter.timer), this.waiters.delete(waiter), resolve(e)),
        reject: (e) => (clearTimeout(waiter.timer), this.waiters.delete(waiter), reject(e)),
        timer: setTimeout(() => waiter.reject(new KexecError('timeout', `QMP event ${name} did not arrive within ${timeoutMs} ms.`, { event: name, timeoutMs })), timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  close(): void {
    this.fail(new KexecError('qmp-disconnect', 'QMP client closed by lusim.'));
  }

  private onData(chunk: string): void {
    this.buffered += chunk;
    let nl: number;
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      // The monitor writes "\r\n" (monitor_puts); JSON.parse ignores the trailing \r.
      const line = this.buffered.slice(0, nl).trim();
      this.buffered = this.buffered.slice(nl + 1);
      if (line) this.onMessage(line);
      if (this.closedError) return;
    }
  }

  private onMessage(line: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      this.fail(new KexecError('qmp-protocol', `QMP peer sent invalid JSON: ${line.slice(0, 200)}`, { line: line.slice(0, 200) }));
      return;
    }
    if (this.greetingWaiter) {
      const w = this.greetingWaiter;
      this.greetingWaiter = null;
      if (typeof msg.QMP === 'object' && msg.QMP !== null) w.resolve(msg as unknown as QmpGreeting);
      else {
        const err = new KexecError('qmp-protocol', `expected a QMP greeting, got: ${line.slice(0, 200)}. Is this socket a QMP monitor?`, { line: line.slice(0, 200) });
        w.reject(err);
        this.fail(err);
      }
      return;
    }
    if (typeof msg.event === 'string') {
      this.onEventMessage(msg);
      return;
    }
    const id = msg.id;
    const p = typeof id === 'string' ? this.pending.get(id) : undefined;
    if (!p) {
      if (typeof id === 'string' && this.abandoned.delete(id)) return;
      this.fail(new KexecError('qmp-protocol', `QMP reply with unknown id: ${line.slice(0, 200)}`, { line: line.slice(0, 200) }));
      return;
    }
    this.pending.delete(id as string);
    clearTimeout(p.timer);
    if ('return' in msg) p.resolve(msg.return);
    else if (typeof msg.error === 'object' && msg.error !== null) {
      const e = msg.error as { class?: string; desc?: string };
      p.reject(new KexecError('qmp-error', `QMP ${p.command} failed: ${e.class ?? '?'}: ${e.desc ?? '(no description)'}`, { command: p.command, errorClass: e.class, desc: e.desc }));
    } else {
      p.reject(new KexecError('qmp-protocol', `QMP reply to ${p.command} has neither return nor error: ${line.slice(0, 200)}`, { command: p.command }));
    }
  }

  private onEventMessage(msg: Record<string, unknown>): void {
    const e: QmpEvent = {
      event: msg.event as string,
      data: (msg.data as Record<string, unknown>) ?? {},
      timestamp: msg.timestamp as QmpEvent['timestamp'],
      seq: this.nextSeq++,
    };
    this.history.push(e);
    if (this.history.length > EVENT_HISTORY) this.history.shift();
    for (const l of this.listeners) l(e);
    for (const w of [...this.waiters]) if (w.match(e)) w.resolve(e);
  }

  private fail(err: KexecError): void {
    if (this.closedError) return;
    this.closedError = err;
    this.greetingWaiter?.reject(err);
    this.greetingWaiter = null;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    for (const w of [...this.waiters]) w.reject(err);
    this.socket.destroy();
  }
}
