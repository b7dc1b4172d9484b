/** Errors of the Linux behaviour model (sim/linux). */
import { LusimError } from '../../devices/errors.js';

export type LinuxModelErrorCode =
  /** A kernel profile id that sim/linux/profiles.ts does not define. */
  | 'unknown-kernel-profile'
  /** A step needs a parent (upstream bridge) context that the caller did not provide. */
  | 'missing-parent'
  /** A --drift experiment that cannot be parsed or applied. */
  | 'bad-drift';

export class LinuxModelError extends LusimError<LinuxModelErrorCode> {}

/** errno values the modelled kernel functions return, negated as the kernel does (include/uapi/asm-generic/errno-base.h). */
export const ENOMEM = 12;
