/**
 * Watch a running guest for the two ways it dies under a real run: a kernel panic on its console
 * (guest-panic.ts) and QEMU exiting. `guard(p)` races any wait against both, so a wait on the
 * agent fails with what really happened, naming the kernel that was running.
 */
import { watchForPanic } from './guest-panic.js';
import type { QemuInstance } from '../qemu/launcher.js';
import { RealRunError } from '../run/real-run-error.js';

export const CONSOLE_LINES = 30;
const STDERR_LINES = 10;
/** How long a failed wait looks for QEMU's exit before blaming the wait itself. */
const EXIT_SETTLE_MS = 500;

export interface GuestWatch {
  /** Race `p` against a panic and QEMU's exit. */
  guard<T>(p: Promise<T>): Promise<T>;
  /** Which kernel a crash would be (during a kexec: A's shutdown or B's boot, both named). */
  running: string;
  stop(): void;
}

export function watchGuest(qemu: QemuInstance, release: string): GuestWatch {
  const panic = watchForPanic(qemu.console);
  let running = release;
  const panicked = (lines: readonly string[]): RealRunError => new RealRunError('guest-panic', `the guest kernel ${running} crashed:\n${lines.join('\n')}`, { console: lines });
  const panicError = panic.panicked.then((pn): never => {
    throw panicked(pn.lines);
  });
  panicError.catch(() => undefined);
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
  return {
    guard: <T>(p: Promise<T>): Promise<T> => Promise.race([
      p.catch(async (e: unknown) => ((await exitedSoon()) ? exited : Promise.reject(e))),
      exited,
      panicError,
    ]),
    get running() { return running; },
    set running(kernel: string) { running = kernel; },
    stop: () => panic.stop(),
  };
}
