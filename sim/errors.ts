/**
 * Errors of the sim layer (Linux behaviour, serialization formats, handover envelope).
 * Every loader in sim/formats rejects bad input with a SimError and never throws anything else;
 * `details` carries the byte offset and the expected/actual values a user needs to act.
 */
import { LusimError } from '../devices/errors.js';

export type SimErrorCode =
  /** Input ends before the structure it announces (entry overruns the buffer, no terminator). */
  | 'blob-truncated'
  /** Input is longer than the structure it announces, or a size field is absurd. */
  | 'blob-oversized'
  /** A field that must be aligned is not (lusim-v1 record offset not a multiple of its width). */
  | 'blob-misaligned'
  /** A field holds a value the format forbids (bad bool, non-zero pad, bits outside a mask). */
  | 'blob-corrupt'
  /** pci_load_saved_state returned -EINVAL (missing save buffer or size mismatch). */
  | 'load-einval'
  | 'checksum-mismatch'
  /** The payload describes a different device than the one it is being loaded into. */
  | 'identity-mismatch'
  | 'bad-magic'
  /** A major format version this code cannot read (newer or zero). */
  | 'unsupported-version'
  | 'fdt-bad-magic'
  | 'fdt-truncated'
  | 'fdt-oversized'
  | 'fdt-misaligned'
  | 'fdt-corrupt'
  | 'fdt-unsupported-version'
  /** The device tree is well formed but is not a lusim handover envelope. */
  | 'envelope-invalid'
  /** A node's `compatible` names a payload format no handler here reads (LUO's -ENOENT case). */
  | 'unknown-compatible'
  /** An encoder was handed data the format cannot represent. */
  | 'invalid-input';

export class SimError extends LusimError<SimErrorCode> {}
