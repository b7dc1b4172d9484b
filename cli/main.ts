#!/usr/bin/env node
/** The `lusim` command. Thin: parses arguments and calls into devices/, sim/ and kexec/. */
import { Command } from 'commander';
import { exitOnStdioError } from './stdio-errors.js';
import { COMMANDS } from './commands/index.js';

exitOnStdioError();

const program = new Command();
program
  .name('lusim')
  .description('Live-update simulator for PCIe devices: what Linux saves, carries across kexec and restores, register by register; modelled and measured in QEMU.')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  // Usage errors (unknown option, bad choice, missing argument) exit 2; help and version exit 0.
  .exitOverride((err) => {
    const done = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help';
    // With --json a script reads the error on stdout too, as it reads lusim's own (cli/errors.ts).
    if (!done && process.argv.includes('--json')) process.stdout.write(`${JSON.stringify({ error: 'UsageError', code: err.code, message: err.message.replace(/^error: /, '') }, null, 2)}\n`);
    process.exit(done ? 0 : 2);
  });

for (const register of COMMANDS) register(program);

await program.parseAsync(process.argv);
