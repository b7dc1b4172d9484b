/**
 * What a partial dump means for anything the model computes from it. The walker reports the bytes
 * a dump never captured (devices/walker.ts: partial-capture, missing-bytes, not-captured); the
 * model reads them as 0, so a capability there is neither saved, restored nor seen by a driver.
 */
import type { PciFunction } from '../devices/device.js';

/** The note a cycle or a prediction carries for a function whose dump is partial (null: whole). */
export function partialCaptureNote(fn: PciFunction, what: string): string | null {
  const partial = fn.walk.findings.filter((f) => f.code === 'partial-capture' || f.code === 'missing-bytes' || f.code === 'not-captured');
  if (partial.length === 0) return null;
  return `${partial.map((f) => f.message).join('; ')}. Capabilities the dump does not hold are not modelled (${what}), and fields with uncaptured bytes are unknown`;
}
