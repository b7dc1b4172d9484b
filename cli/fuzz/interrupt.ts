/**
 * Ctrl-C (SIGINT) or SIGTERM (what a CI job's time limit sends first) while a campaign runs: the
 * campaign stops taking cases, the chunks in hand finish, shrinking is skipped, and the run reports
 * and saves (--corpus) what it found so far. Without this, a signal killed the process and every
 * finding of the run was lost. A second signal quits at once, as Node's default would.
 */
import { signalExitCode } from '../../kexec/process/cleanup.js';

export interface Interrupt {
  /** Aborted at the first signal. */
  readonly signal: AbortSignal;
  /** The signal that stopped the run, if one did. */
  readonly received: () => NodeJS.Signals | undefined;
  /** Gives the signals back: before --qemu samples, whose QEMU runs have their own (kexec/process/cleanup.ts). */
  readonly release: () => void;
}

const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

export function catchInterrupt(say: (line: string) => void): Interrupt {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const on = (sig: NodeJS.Signals) => {
    if (received) process.exit(signalExitCode(sig));
    received = sig;
    controller.abort();
    say(`lusim fuzz: ${sig}: stopping after the cases in hand and reporting what they found (${sig === 'SIGINT' ? 'Ctrl-C' : 'the signal'} again quits at once)`);
  };
  const handlers = SIGNALS.map((sig) => [sig, () => on(sig)] as const);
  for (const [sig, h] of handlers) process.on(sig, h);
  return {
    signal: controller.signal,
    received: () => received,
    release: () => { for (const [sig, h] of handlers) process.off(sig, h); },
  };
}
