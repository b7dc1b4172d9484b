/**
 * The model's write log: every write a modelled kernel step makes, attributed to the kernel
 * function that made it, in order, for every function the steps touch (a device and its upstream
 * bridge share one log, so the order across both is kept). Steps that decide not to write leave
 * a note, so a report can say why a register did not change.
 *
 * Writes are recorded by the access itself (tracedAccess), never by the step, so a step cannot
 * write without being logged; `run` names the kernel function the writes belong to.
 */
import type { BarAccess, ConfigAccess, FunctionAccess, Width } from '../../devices/access.js';
import type { WriteLogEntry, WriteSpace } from './entry.js';

export interface StepNote {
  readonly step: string;
  readonly why: string;
}

interface Frame {
  readonly step: string;
  readonly why: string | undefined;
}

export class WriteLog {
  readonly writes: WriteLogEntry[] = [];
  readonly notes: StepNote[] = [];
  private readonly stack: Frame[] = [];

  /** The innermost kernel function running. */
  get current(): string {
    return this.stack[this.stack.length - 1]?.step ?? '(none)';
  }

  /** Run `body` as kernel function `step`; nested calls attribute writes to the innermost step. */
  async run<T>(step: string, body: () => Promise<T>, why?: string): Promise<T> {
    this.stack.push({ step, why });
    try {
      return await body();
    } finally {
      this.stack.pop();
    }
  }

  note(step: string, why: string): void {
    this.notes.push({ step, why });
  }

  /** The writes recorded since `mark` (a previous writes.length). */
  since(mark: number): WriteLogEntry[] {
    return this.writes.slice(mark);
  }

  record(w: Omit<WriteLogEntry, 'fn' | 'why'>): void {
    const why = this.stack[this.stack.length - 1]?.why;
    this.writes.push({ fn: this.current, ...w, ...(why === undefined ? {} : { why }) });
  }
}

/** A function as a kernel step sees it: an access whose writes land in `log`. */
export interface TracedFunction {
  readonly access: FunctionAccess;
  readonly log: WriteLog;
}

export interface TraceOptions {
  /**
   * Read each register back after writing it and record what it holds (a QEMU 7.2 e1000e drops
   * Device Control writes: qemu.md 2.1). Off for backends where a read costs a round trip.
   */
  readonly readback?: boolean;
}

const mask = (width: Width, v: number): number => (width === 4 ? v >>> 0 : v & (width === 2 ? 0xffff : 0xff));

/** Wrap a FunctionAccess so every write to `device` lands in `log`. Reads pass straight through. */
export function tracedAccess(inner: FunctionAccess, log: WriteLog, device: string, o: TraceOptions = {}): FunctionAccess {
  const c = inner.config;
  const back = async (read: () => Promise<number>) => (o.readback ? { readback: await read() } : {});
  const config = async (offset: number, width: Width, value: number, write: (v: number) => Promise<void>, read: () => Promise<number>): Promise<void> => {
    const v = mask(width, value);
    await write(v);
    log.record({ device, space: 'config', offset, width, value: v, ...(await back(read)) });
  };
  const traced: ConfigAccess = {
    get size() { return c.size; },
    readb: (off) => c.readb(off),
    readw: (off) => c.readw(off),
    readl: (off) => c.readl(off),
    ...(c.peek ? { peek: c.peek } : {}),
    writeb: (off, v) => config(off, 1, v, (x) => c.writeb(off, x), () => c.readb(off)),
    writew: (off, v) => config(off, 2, v, (x) => c.writew(off, x), () => c.readw(off)),
    writel: (off, v) => config(off, 4, v, (x) => c.writel(off, x), () => c.readl(off)),
  };
  const b = inner.bars;
  if (!b) return { config: traced };
  const space: WriteSpace = 'bar';
  const bars: BarAccess = {
    readl: (bar, off) => b.readl(bar, off),
    writel: async (bar, off, v) => {
      await b.writel(bar, off, v >>> 0);
      log.record({ device, space, bar, offset: off, width: 4, value: v >>> 0, ...(await back(() => b.readl(bar, off))) });
    },
  };
  return { config: traced, bars };
}

/** A traced view of `inner` for `device`, logging into `log` (a fresh log by default). */
export const traced = (inner: FunctionAccess, device = 'dev', log: WriteLog = new WriteLog(), o: TraceOptions = {}): TracedFunction => ({
  access: tracedAccess(inner, log, device, o),
  log,
});
