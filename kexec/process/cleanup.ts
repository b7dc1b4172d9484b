/**
 * What a real run leaves on the host while it runs (QEMU process groups, private socket
 * directories), in one process-wide set, and what happens to it when lusim is told to stop.
 *
 * SIGINT/SIGTERM: the first one kills every QEMU group at once, so each pending wait of the run
 * fails (qemu-exited), the run ends its phase, builds its partial report and the command prints it
 * and exits 128+signal (interruptedBy() tells it so). A second signal, or a run that has not
 * finished within GRACE_MS, removes everything synchronously and exits at once. With nothing
 * live, lusim's handlers are not installed and a signal ends it as usual.
 * SIGKILL cannot be caught: QEMU dies with lusim through its parent-death signal (pdeathsig.ts)
 * and the directories are removed by the next run (private-dir.ts cleanStaleDirs).
 */
import { rmSync } from 'node:fs';

export interface LiveQemu {
  readonly pid: number;
}

const groups = new Set<LiveQemu>();
const dirs = new Set<string>();
const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 2, SIGTERM: 15 };

/** 128 + the signal's number, as a shell reports a process a signal ended (lusim's exit status after one). */
export const signalExitCode = (signal: NodeJS.Signals): number => 128 + (SIGNAL_NUMBERS[signal] ?? 1);
const GRACE_MS = 10_000;
let interrupted: NodeJS.Signals | undefined;
let installed = false;

export function killGroupSync(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** Everything, synchronously (process 'exit', a second signal, the grace period running out). */
function cleanupAllSync(): void {
  for (const g of groups) killGroupSync(g.pid, 'SIGKILL');
  groups.clear();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  const code = signalExitCode(signal);
  if (interrupted || groups.size === 0) {
    cleanupAllSync();
    process.stderr.write(`lusim: interrupted by ${signal}; temporary files removed\n`);
    process.exit(code);
  }
  interrupted = signal;
  process.stderr.write(`lusim: interrupted by ${signal}: stopping QEMU and saving the partial report (again to quit at once)\n`);
  for (const g of groups) killGroupSync(g.pid, 'SIGKILL');
  setTimeout(() => {
    cleanupAllSync();
    process.stderr.write('lusim: the run did not stop in time after the interrupt; temporary files removed\n');
    process.exit(code);
  }, GRACE_MS).unref();
}

function sync(): void {
  const want = groups.size > 0 || dirs.size > 0;
  if (want === installed) return;
  installed = want;
  const op = want ? 'on' : 'off';
  process[op]('SIGINT', onSignal);
  process[op]('SIGTERM', onSignal);
  process[op]('exit', cleanupAllSync);
}

export function trackQemu(g: LiveQemu): void {
  groups.add(g);
  sync();
}

export function untrackQemu(g: LiveQemu): void {
  groups.delete(g);
  sync();
}

export function trackDir(dir: string): void {
  dirs.add(dir);
  sync();
}

export function untrackDir(dir: string): void {
  dirs.delete(dir);
  sync();
}

/** The signal that interrupted this run, if one did; the command exits 128 + its number. */
export function interruptedBy(): { signal: NodeJS.Signals; exitCode: number } | undefined {
  return interrupted ? { signal: interrupted, exitCode: signalExitCode(interrupted) } : undefined;
}
