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

  /**
   * One write, as a single entry object (keys in the order reports print them). Called for every
   * modelled write, hundreds per fuzzed cycle, so it builds no intermediate objects.
   */
  record(device: string, space: WriteSpace, offset: number, width: Width, value: number, readback: number | undefined, bar?: number): void {
    // The innermost kernel function running is the one the write belongs to.
    const frame = this.stack[this.stack.length - 1];
    const fn = frame?.step ?? '(none)';
    const why = frame?.why;
    const entry: { -readonly [K in keyof WriteLogEntry]: WriteLogEntry[K] } = bar === undefined ? { fn, device, space, offset, width, value } : { fn, device, space, bar, offset, width, value };
    if (readback !== undefined) entry.readback = readback;
    if (why !== undefined) entry.why = why;
    this.writes.push(entry);
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
  const readback = o.readback === true;
  const read = (off: number, width: Width): Promise<number> => (width === 1 ? c.readb(off) : width === 2 ? c.readw(off) : c.readl(off));
  const config = async (offset: number, width: Width, value: number): Promise<void> => {
    const v = mask(width, value);
    await (width === 1 ? c.writeb(offset, v) : width === 2 ? c.writew(offset, v) : c.writel(offset, v));
    log.record(device, 'config', offset, width, v, readback ? await read(offset, width) : undefined);
  };
  const traced: ConfigAccess = {
    get size() { return c.size; },
    readb: (off) => c.readb(off),
    readw: (off) => c.readw(off),
    readl: (off) => c.readl(off),
    ...(c.peek ? { peek: c.peek } : {}),
    writeb: (off, v) => config(off, 1, v),
    writew: (off, v) => config(off, 2, v),
    writel: (off, v) => config(off, 4, v),
  };
  const b = inner.bars;
  if (!b) return { config: traced };
  const bars: BarAccess = {
    readl: (bar, off) => b.readl(bar, off),
    writel: async (bar, off, v) => {
      await b.writel(bar, off, v >>> 0);
      log.record(device, 'bar', off, 4, v >>> 0, readback ? await b.readl(bar, off) : undefined, bar);
    },
  };
  return { config: traced, bars };
}

/** A traced view of `inner` for `device`, logging into `log` (a fresh log by default). */
export const traced = (inner: FunctionAccess, device = 'dev', log: WriteLog = new WriteLog(), o: TraceOptions = {}): TracedFunction => ({
  access: tracedAccess(inner, log, device, o),
  log,
});
