/**
 * A guest kernel that panics, oopses or hits a BUG says so on the console at once: watch for it,
 * so the run fails with those lines instead of waiting for an agent timeout. The markers are the
 * kernel's own: panic() prints "Kernel panic - not syncing: ..." (kernel/panic.c), die() prints
 * "Oops: ..." (arch/x86/kernel/dumpstack.c __die_header), BUG() "kernel BUG at FILE:LINE!" and the
 * slab/list checks "BUG: ..." (lib/bug.c, mm/slub.c).
 */
import type { ConsoleStream } from '../qemu/console.js';

const PANIC_LINE = /Kernel panic - not syncing|\bOops: |kernel BUG at |\] BUG: |^BUG: /;
/** After the first marker, how long to collect the lines that follow (the trace, the reason). */
const COLLECT_MS = 500;
const MAX_LINES = 40;

export interface GuestPanic {
  /** The first marker line and what followed it within COLLECT_MS. */
  readonly lines: readonly string[];
}

/**
 * `panicked` resolves once the console shows a panic, Oops or BUG (and the lines after it);
 * `seen()` is what was collected so far (QEMU may exit first: panic=-1 with -no-reboot).
 */
export function watchForPanic(console: ConsoleStream): { panicked: Promise<GuestPanic>; seen: () => readonly string[]; stop: () => void } {
  let stopLines = (): void => undefined;
  let timer: NodeJS.Timeout | undefined;
  const lines: string[] = [];
  const panicked = new Promise<GuestPanic>((resolve) => {
    stopLines = console.onLine((line) => {
      if (lines.length === 0 && !PANIC_LINE.test(line)) return;
      if (lines.length < MAX_LINES) lines.push(line);
      timer ??= setTimeout(() => {
        stopLines();
        resolve({ lines });
      }, COLLECT_MS);
    });
  });
  return { panicked, seen: () => lines, stop: () => { stopLines(); clearTimeout(timer); } };
}
