/**
 * Options that only some runs of a command read. Commander accepts every declared option in every
 * run, so one given where nothing reads it would be dropped without a word: `cycle --matrix
 * --all` printed the table without the list, `fuzz --campaign malformed --jobs 2` ran on one
 * thread, `reset-methods DUMP --qemu e1000e` asked the real kernel and never read DUMP. Such a
 * run is a usage error (exit 2) that names the option and where it applies.
 */
import type { Command, Option } from 'commander';
import { CliError } from '../errors.js';

export interface OptionScope {
  /** Long flags as --help prints them ("--kernels", "--no-preserve"). */
  readonly flags: readonly string[];
  /** Whether this run reads them. */
  readonly applies: boolean;
  /** Where they apply, completing "applies only ...": "with --matrix (one cycle takes --from and --to)". */
  readonly where: string;
}

/**
 * Whether `o` is the flag the user typed. An option and its negation (`--snapshots DIR`,
 * `--no-snapshots`) share one value: the value says which of the two set it.
 */
function typed(cmd: Command, o: Option): boolean {
  const key = o.attributeName();
  if (cmd.getOptionValueSource(key) !== 'cli') return false;
  const value: unknown = cmd.getOptionValue(key);
  return o.negate ? value === false : value !== false;
}

/** The long flags given on the command line, not defaults. */
export function givenFlags(cmd: Command): Set<string> {
  return new Set(cmd.options.filter((o) => o.long !== undefined && typed(cmd, o)).map((o) => o.long!));
}

const listed = (flags: readonly string[]): string => (flags.length === 1 ? flags[0]! : `${flags.slice(0, -1).join(', ')} and ${flags[flags.length - 1]}`);

/** Refuses a run that gives a flag no part of it reads: the first scope that does not apply names them. */
export function refuseUnread(cmd: Command, scopes: readonly OptionScope[]): void {
  const declared = new Set(cmd.options.map((o) => o.long));
  // A flag the command does not declare is a typo in the scope table, never the user's input.
  for (const f of scopes.flatMap((s) => s.flags)) if (!declared.has(f)) throw new Error(`option scope of "${cmd.name()}" names ${f}, which the command does not declare`);
  const given = givenFlags(cmd);
  for (const s of scopes) {
    if (s.applies) continue;
    const unread = s.flags.filter((f) => given.has(f));
    if (!unread.length) continue;
    const one = unread.length === 1;
    throw new CliError('bad-option', `${listed(unread)} appl${one ? 'ies' : 'y'} only ${s.where}: drop ${one ? 'it' : 'them'}`, { options: unread });
  }
}

/**
 * `--snapshots DIR` and `--no-snapshots` share one value, so the one typed last won without a
 * word. Commander emits `option:NAME` for each flag it parses, whichever sets the value: call this
 * when registering the command; the returned check refuses a run that typed both.
 */
export function watchNegationPair(cmd: Command, positive: string, negative: string): () => void {
  const typedFlags = new Set<string>();
  for (const flag of [positive, negative]) cmd.on(`option:${flag.slice(2)}`, () => typedFlags.add(flag));
  return () => {
    if (typedFlags.size === 2) throw new CliError('bad-option', `${positive} and ${negative} contradict each other: give one of them`, { options: [positive, negative] });
  };
}
