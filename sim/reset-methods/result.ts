/** Kernel return codes of the reset functions, as the model uses them. */
export const ENOTTY = -25;
export const EINVAL = -22;

/**
 * Not a kernel return code: lusim's answer when the probe reads bytes the dump never captured
 * (a partial dump) or a fact a dump cannot show. It stops the method walk as an error would,
 * because everything after it depends on the outcome.
 */
export const CANNOT_TELL = 1;

export type ResetRc = 0 | typeof ENOTTY | typeof EINVAL | typeof CANNOT_TELL;

export interface ProbeResult {
  readonly rc: ResetRc;
  /** Why, naming the kernel function and the condition. */
  readonly reason: string;
}

export function rcName(rc: ResetRc): string {
  return rc === 0 ? '0' : rc === ENOTTY ? '-ENOTTY' : rc === EINVAL ? '-EINVAL' : 'cannot tell from this dump';
}
