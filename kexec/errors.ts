/**
 * Errors of the real-run layer (QEMU process, QMP, qtest). Each code carries the facts needed to
 * act on it; messages say what to do next.
 */
import { LusimError } from '../devices/errors.js';

export type KexecErrorCode =
  /** qemu-system-x86_64 is not installed or not on PATH. */
  | 'qemu-missing'
  /** QEMU exited (crash, bad argument, external kill) while lusim still needed it. */
  | 'qemu-exited'
  /** QEMU did not become ready (sockets, greeting, qtest handshake) within the timeout. */
  | 'qemu-start'
  /** The QMP peer sent something that is not QMP (bad JSON, no greeting, unknown reply id). */
  | 'qmp-protocol'
  /** A QMP command ran and failed: details hold QEMU's error class and description. */
  | 'qmp-error'
  /** The QMP socket closed with commands or event waits outstanding. */
  | 'qmp-disconnect'
  /** A command, event wait or handshake did not finish within its timeout. */
  | 'timeout'
  /** The qtest peer replied with something that is not a reply to the pending command. */
  | 'qtest-protocol'
  /** A qtest command was refused before sending: malformed numbers make QEMU abort (g_assert). */
  | 'qtest-bad-command'
  /** QEMU answered a qtest command with FAIL/ERR. */
  | 'qtest-error'
  /** The qtest socket closed with commands outstanding. */
  | 'qtest-disconnect'
  /** A PCI function could not be reached (absent device, no ECAM, BAR not assignable). */
  | 'pci-access'
  /** Bad launcher options (unknown parent port, duplicate id, invalid device option). */
  | 'bad-launch-options'
  /** $TMPDIR cannot hold lusim's private directories (full, read-only, missing). */
  | 'tmpdir-unusable'
  /** Saving or loading a boot-A snapshot failed (kexec/qemu/snapshot.ts; nvme is unmigratable in 7.2). */
  | 'snapshot'
  /** The gdbstub (used to stop at the kernel's entry, kexec/qemu/firmware-state.ts) did not do what was asked. */
  | 'gdbstub';

export class KexecError extends LusimError<KexecErrorCode> {}
