/** Kernel return codes of the reset functions, as the model uses them. */
export const ENOTTY = -25;
export const EINVAL = -22;

export type ResetRc = 0 | typeof ENOTTY | typeof EINVAL;

export interface ProbeResult {
  readonly rc: ResetRc;
  /** Why, naming the kernel function and the condition. */
  readonly reason: string;
}

export function rcName(rc: ResetRc): string {
  return rc === 0 ? '0' : rc === ENOTTY ? '-ENOTTY' : '-EINVAL';
}
