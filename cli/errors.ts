/**
 * Turn any thrown value into a clear message and an exit code. Typed LusimErrors print their
 * message (and with --json, their data); anything else is a bug and says so, with the stack only
 * under LUSIM_DEBUG=1.
 */
import { LusimError } from '../devices/errors.js';

/** The CLI's own errors: a file it cannot read, an option it cannot use (exit 2 for bad-option). */
export class CliError extends LusimError<'file-not-found' | 'file-unreadable' | 'bad-option'> {}

export const EXIT_USAGE = 2;
export const EXIT_FAILURE = 1;

/**
 * Error codes that mean a bad choice on the command line (an unknown profile, kernel or device, a
 * value out of range, a topology Linux or QEMU cannot take, from --qemu-device or a --topology
 * file, refused before any boot as a suite file is), whichever layer found it: all exit 2 (README
 * "Exit codes").
 */
const USAGE_CODES: ReadonlySet<string> = new Set(['bad-option', 'bad-profile', 'unknown-kernel', 'unknown-kernel-profile', 'device-not-found', 'not-a-kernel', 'unknown-series', 'bad-drift', 'unknown-device', 'unknown-flag', 'bad-topology']);

export function reportError(err: unknown, json: boolean): number {
  if (err instanceof LusimError) {
    if (json) process.stdout.write(`${JSON.stringify(err.toJSON(), null, 2)}\n`);
    process.stderr.write(`lusim: ${err.message}\n`);
    // An option value or combination lusim cannot take is a usage error (README "Exit codes").
    return USAGE_CODES.has(err.code) ? EXIT_USAGE : EXIT_FAILURE;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  process.stderr.write(`lusim: internal error: ${e.message}\n  This is a bug in lusim; rerun with LUSIM_DEBUG=1 for the stack and report it.\n`);
  if (process.env.LUSIM_DEBUG === '1' && e.stack) process.stderr.write(`${e.stack}\n`);
  if (json) process.stdout.write(`${JSON.stringify({ error: 'InternalError', code: 'internal', message: e.message }, null, 2)}\n`);
  return EXIT_FAILURE;
}

/** Wrap a command action so every failure path ends in reportError. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void> | void) {
  return async (...args: A): Promise<void> => {
    const opts = args.find((a) => typeof a === 'object' && a !== null && 'json' in (a as object)) as { json?: boolean } | undefined;
    try {
      await fn(...args);
    } catch (err) {
      process.exitCode = reportError(err, opts?.json === true);
    }
  };
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
