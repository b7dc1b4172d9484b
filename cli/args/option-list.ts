/**
 * Comma-separated option values (`--kernels 6.1,6.12`): an item named twice is a usage error.
 * Repeated, it would run a fidelity ring's pairs twice into the same files, repeat matrix rows,
 * weigh more in fuzz's case space, or write a suite `suite run` refuses.
 */
import { CliError } from '../errors.js';

/** `text` is the value as typed, for the message. */
export function refuseRepeated(option: string, text: string, items: readonly string[]): void {
  const twice = items.find((x, i) => items.indexOf(x) !== i);
  if (twice !== undefined) throw new CliError('bad-option', `${option} ${text} names ${twice} twice: give each once`, { option, value: twice });
}
