/**
 * Run the lusim command in this process (no tsx start-up per call), capturing stdout, stderr and
 * the exit code, for suites that run hundreds of commands (the real-hardware corpus). The text
 * comes back without terminal colour codes.
 */
import { stripVTControlCharacters } from 'node:util';
import { Command } from 'commander';
import { COMMANDS } from '../../cli/commands/index.js';

export interface InProcessResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

class UsageExit extends Error {
  constructor(readonly exitCode: number) { super(`usage exit ${exitCode}`); }
}

export async function runLusim(args: readonly string[]): Promise<InProcessResult> {
  const program = new Command().name('lusim').exitOverride((err) => { throw new UsageExit(err.exitCode === 0 ? 0 : 2); });
  for (const register of COMMANDS) register(program);
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => { stdout += String(chunk); return true; }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => { stderr += String(chunk); return true; }) as typeof process.stderr.write;
  const before = process.exitCode;
  process.exitCode = 0;
  let code = 0;
  try {
    await program.parseAsync(['node', 'lusim', ...args]);
    code = Number(process.exitCode ?? 0);
  } catch (e) {
    if (!(e instanceof UsageExit)) throw e;
    code = e.exitCode;
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    process.exitCode = before;
  }
  // picocolors colours output whenever CI is set (its isColorSupported), as CI runs the suite:
  // the tests read the text, not its colours.
  return { code, stdout: stripVTControlCharacters(stdout), stderr: stripVTControlCharacters(stderr) };
}
