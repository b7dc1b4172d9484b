import { LusimError } from '../../devices/errors.js';

export type GuestModuleErrorCode =
  /** Debian has no linux-headers packages for the kernel (or they failed to download/unpack). */
  | 'headers-missing'
  /** The sid build root (mmdebstrap) for 7.x kernels could not be made. */
  | 'build-root'
  /** make/gcc failed: details.output holds the compiler's last lines. */
  | 'build-failed'
  /** lusim_pci.c or Kbuild is not beside the code (a damaged install). */
  | 'source-missing'
  /** A host tool the build needs is missing (make, gcc-12, unshare). */
  | 'host-missing'
  /** insmod refused the module in the guest: details.dmesg holds the kernel's last lines. */
  | 'load-failed'
  /** The guest kernel has no debugfs, or the module's files are not there. */
  | 'debugfs-missing'
  /** The module answered something the host cannot parse. */
  | 'bad-answer'
  /** A command the module understood failed (details.ret: its return code). */
  | 'command-failed';

export class GuestModuleError extends LusimError<GuestModuleErrorCode> {}

/**
 * The runs that need no module, for messages that say what to do when it cannot build or load:
 * a suite's or fuzz's real cycles have no such choice, so the advice names the commands that do.
 */
export const WITHOUT_MODULE = 'cycle --qemu --saver host and fidelity --modes plain run without it';
