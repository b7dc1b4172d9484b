/**
 * Every access a modelled kernel step makes, attributed to the kernel function that made it, so a
 * report can say which function wrote each register and in what order.
 */
import type { BarAccess, ConfigAccess, FunctionAccess, Width } from '../../devices/access.js';

export interface WriteLogEntry {
  /** Innermost kernel function active when the write happened (e.g. pci_restore_config_space). */
  readonly step: string;
  /** Which function was written: the device itself or its upstream bridge ("parent"). */
  readonly target: string;
  readonly space: 'config' | 'bar';
  /** BAR index for space === 'bar'. */
  readonly bar?: number;
  readonly offset: number;
  readonly width: Width;
  readonly value: number;
}

export type WriteLog = WriteLogEntry[];

/** The stack of kernel functions currently executing, shared by a device and its parent. */
export class StepTracer {
  readonly log: WriteLog = [];
  private readonly stack: string[] = [];

  get current(): string {
    return this.stack[this.stack.length - 1] ?? '(none)';
  }

  /** Run `body` as kernel function `step`; nested calls attribute writes to the innermost step. */
  async run<T>(step: string, body: () => Promise<T>): Promise<T> {
    this.stack.push(step);
    try {
      return await body();
    } finally {
      this.stack.pop();
    }
  }
}

/** Wrap a FunctionAccess so every write lands in the tracer's log. Reads pass straight through. */
export function tracedAccess(inner: FunctionAccess, tracer: StepTracer, target: string): FunctionAccess {
  const c = inner.config;
  const record = (space: 'config' | 'bar', offset: number, width: Width, value: number, bar?: number): void => {
    tracer.log.push({ step: tracer.current, target, space, ...(bar === undefined ? {} : { bar }), offset, width, value: value >>> 0 });
  };
  const config: ConfigAccess = {
    get size() { return c.size; },
    readb: (o) => c.readb(o),
    readw: (o) => c.readw(o),
    readl: (o) => c.readl(o),
    writeb: async (o, v) => { record('config', o, 1, v & 0xff); await c.writeb(o, v); },
    writew: async (o, v) => { record('config', o, 2, v & 0xffff); await c.writew(o, v); },
    writel: async (o, v) => { record('config', o, 4, v); await c.writel(o, v); },
  };
  const b = inner.bars;
  if (!b) return { config };
  const bars: BarAccess = {
    readl: (bar, o) => b.readl(bar, o),
    writel: async (bar, o, v) => { record('bar', o, 4, v, bar); await b.writel(bar, o, v); },
  };
  return { config, bars };
}
