/** The typed errors of a real run (QEMU, the guest, its kernels), with what they carry in details. */
import { LusimError } from '../../devices/errors.js';

export type RealRunErrorCode =
  /** QEMU exited while the run still needed it (crash, external kill, panic with -no-reboot). */
  | 'qemu-exited'
  /** The first kernel's agent never answered: details.console holds the last console lines. */
  | 'boot-failed'
  /** kexec load/exec failed or the next kernel's agent never answered. */
  | 'kexec-failed'
  /** A device lusim started is missing from QEMU's query-pci or the capture. */
  | 'device-missing'
  /** The guest kernel printed Kernel panic / Oops / BUG: details.console holds those lines. */
  | 'guest-panic'
  /** Options that cannot go together (e.g. --saver kernel with --format lusim-v1). */
  | 'bad-option';

export class RealRunError extends LusimError<RealRunErrorCode> {}
