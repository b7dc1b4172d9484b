/**
 * Runs `lusim ARGS` in-process (bin/lusim.js: a signal reaches the command, not a wrapper) and
 * sends it `sig` `delayMs` after its stderr first matches `when`, or after `fallbackMs` if it never
 * does (a slow start-up); returns how it ended. For the tests of what a signal leaves behind.
 */
import { spawn } from 'node:child_process';

export interface SignalledRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runSignalled(args: readonly string[], sig: NodeJS.Signals, at: { when: RegExp; delayMs?: number; fallbackMs: number }): Promise<SignalledRun> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['bin/lusim.js', ...args], { env: { ...process.env, LUSIM_FROM_SOURCE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    const send = (delayMs: number) => {
      sent = true;
      setTimeout(() => p.kill(sig), delayMs);
    };
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    p.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      if (!sent && at.when.test(stderr)) send(at.delayMs ?? 0);
    });
    const late = setTimeout(() => { if (!sent) send(0); }, at.fallbackMs);
    p.on('exit', (status) => { clearTimeout(late); resolve({ status, stdout, stderr }); });
  });
}
