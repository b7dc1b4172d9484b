/**
 * Ctrl-C (SIGINT) or SIGTERM (what a CI job's time limit sends first) while a campaign runs: the
 * campaign stops taking cases, the chunks in hand finish, shrinking is skipped, and the run reports
 * and saves (--corpus) what it found so far. Without this, a signal killed the process and every
 * finding of the run was lost. A second signal quits at once, as Node's default would.
 */
export interface Interrupt {
  /** Aborted at the first signal. */
  readonly signal: AbortSignal;
  /** The signal that stopped the run, if one did. */
  readonly received: () => NodeJS.Signals | undefined;
  /** Gives the signals back to Node's default handling (before work that must not be half-done quietly). */
  readonly release: () => void;
}

const SIGNALS = { SIGINT: 2, SIGTERM: 15 } as const;

/** 128 + the signal's number, as a shell reports a process a signal ended. */
export const signalExitStatus = (sig: string): number => 128 + (SIGNALS[sig as keyof typeof SIGNALS] ?? 0);

export function catchInterrupt(say: (line: string) => void): Interrupt {
  const controller = new AbortController();
  let received: keyof typeof SIGNALS | undefined;
  const on = (sig: keyof typeof SIGNALS) => {
    if (received) process.exit(signalExitStatus(sig));
    received = sig;
    controller.abort();
    say(`lusim fuzz: ${sig}: stopping after the cases in hand and reporting what they found (${sig === 'SIGINT' ? 'Ctrl-C' : 'the signal'} again quits at once)`);
  };
  const handlers = (Object.keys(SIGNALS) as (keyof typeof SIGNALS)[]).map((sig) => [sig, () => on(sig)] as const);
  for (const [sig, h] of handlers) process.on(sig, h);
  return {
    signal: controller.signal,
    received: () => received,
    release: () => { for (const [sig, h] of handlers) process.off(sig, h); },
  };
}
