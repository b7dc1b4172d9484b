/**
 * What the walker says a partial dump lacks (devices/walker.ts: partial-capture, missing-bytes,
 * not-captured), for the note of anything the model computes from such a dump: the model reads
 * the bytes a dump never captured as 0, so a capability there is neither saved, restored nor seen
 * by a driver.
 */
import type { PciFunction } from '../devices/device.js';

/** The walker's messages about what the function's dump lacks, joined (null: the dump is whole). */
export function partialCapture(fn: PciFunction): string | null {
  const partial = fn.walk.findings.filter((f) => f.code === 'partial-capture' || f.code === 'missing-bytes' || f.code === 'not-captured');
  return partial.length === 0 ? null : partial.map((f) => f.message).join('; ');
}

/**
 * A cycle's note for a function whose dump is partial (null: whole). `scope` says where the
 * missing capabilities are neither saved nor restored: one cycle, or every cell of a matrix.
 */
export function partialCycleNote(fn: PciFunction, scope: string): string | null {
  const partial = partialCapture(fn);
  return partial === null ? null : `${partial}. Capabilities the dump does not hold are not modelled (neither saved nor restored ${scope}), and fields with uncaptured bytes are unknown`;
}
