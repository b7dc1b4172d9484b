/** Every `lusim` subcommand: one file each, one line here. */
import type { Command } from 'commander';

export const COMMANDS: readonly ((program: Command) => void)[] = [];
