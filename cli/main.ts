#!/usr/bin/env node
/** The `lusim` command. Thin: parses arguments and calls into devices/, sim/ and kexec/. */
import { Command } from 'commander';
import { COMMANDS } from './commands/index.js';

const program = new Command();
program
  .name('lusim')
  .description('Live-update simulator for PCIe devices: what Linux saves, carries across kexec and restores, register by register; modelled and measured in QEMU.')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)');

for (const register of COMMANDS) register(program);

await program.parseAsync(process.argv);
