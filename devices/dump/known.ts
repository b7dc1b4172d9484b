/**
 * Which bytes of a function's config space a dump actually captured. The dump's bytes stay the
 * only state: this is a per-byte mask beside them (DumpDevice.known), never a cache of derived
 * facts. A byte outside the mask is unknown: not 0x00, not 0xff.
 */
import type { DumpDevice } from './types.js';

/** 1 per captured byte, 0 per byte never captured, over `size` bytes of config space. */
export function capturedMask(dump: DumpDevice, size = 4096): Uint8Array {
  const mask = new Uint8Array(size);
  const n = Math.min(size, dump.bytes.length);
  if (dump.known) mask.set(dump.known.subarray(0, n));
  else mask.fill(1, 0, n);
  return mask;
}

/** True when every byte of [offset, offset + width) was captured. */
export function isKnown(mask: Uint8Array, offset: number, width: number): boolean {
  for (let i = offset; i < offset + width; i++) if (mask[i] !== 1) return false;
  return true;
}

/** The uncaptured ranges [start, end) inside [0, upTo). */
export function unknownRanges(mask: Uint8Array, upTo: number): [number, number][] {
  const out: [number, number][] = [];
  let start = -1;
  for (let i = 0; i <= upTo; i++) {
    const unknown = i < upTo && mask[i] !== 1;
    if (unknown && start < 0) start = i;
    if (!unknown && start >= 0) { out.push([start, i]); start = -1; }
  }
  return out;
}

/** How many bytes from offset 0 are captured without a gap. */
export function capturedPrefix(mask: Uint8Array): number {
  let n = 0;
  while (n < mask.length && mask[n] === 1) n++;
  return n;
}

const hex3 = (n: number) => `0x${n.toString(16).padStart(3, '0')}`;

/** "0x020-0x03f, 0x070-0x0ff" for ranges [start, end) as unknownRanges gives them. */
export function formatRanges(ranges: readonly (readonly [number, number])[]): string {
  return ranges.map(([start, end]) => `${hex3(start)}-${hex3(end - 1)}`).join(', ');
}

/** What to tell a user whose dump lacks bytes an answer needs. */
export const CAPTURE_WHOLE = 'capture its whole config space (lspci -xxxx as root, or lusim capture)';
