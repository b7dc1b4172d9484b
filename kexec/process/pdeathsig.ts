/**
 * QEMU must die with lusim, also when lusim is SIGKILLed (the OOM killer, a CI hard kill) and no
 * handler runs. Linux's PR_SET_PDEATHSIG does that: the child gets a signal when its parent exits,
 * and the setting survives execve (prctl(2)); QEMU's own libqtest sets it in the child it forks
 * (tests/qtest/libqtest.c). Node cannot run code between fork and exec, so util-linux's `setpriv
 * --pdeathsig KILL` sets it and then execs QEMU: same pid, same process group, parent still lusim.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const SETPRIV_PATHS = ['/usr/bin/setpriv', '/bin/setpriv'];

let found: string | null | undefined;

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function setpriv(): string | null {
  found ??= SETPRIV_PATHS.find(executable) ?? null;
  return found;
}

/** Whether `binary` resolves to an executable (as execvp would search PATH). */
export function onPath(binary: string): boolean {
  if (binary.includes('/')) return executable(binary);
  return (process.env.PATH ?? '').split(delimiter).some((d) => d !== '' && executable(join(d, binary)));
}

/**
 * The command that runs `binary args` with SIGKILL as its parent-death signal, and whether it is
 * guarded (false without setpriv: then only lusim's handlers clean up, which SIGKILL skips).
 */
export function withParentDeathSignal(binary: string, args: readonly string[]): { command: string; args: string[]; guarded: boolean } {
  const sp = setpriv();
  // A missing QEMU must still fail as spawn's ENOENT (qemu-missing), not as setpriv's exit 127.
  if (!sp || !onPath(binary)) return { command: binary, args: [...args], guarded: false };
  return { command: sp, args: ['--pdeathsig', 'KILL', '--', binary, ...args], guarded: true };
}
