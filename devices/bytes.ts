/** Little-endian access to byte arrays (config space, masks, save buffers, blobs). */

/** The unsigned little-endian value of `width` bytes at `offset`; bytes past the end read 0. */
export function readLE(bytes: Uint8Array, offset: number, width: number): number {
  let v = 0;
  for (let i = width - 1; i >= 0; i--) v = v * 256 + (bytes[offset + i] ?? 0);
  return v;
}

/** Store the low `width` bytes of `value` at `offset`, little-endian. */
export function writeLE(bytes: Uint8Array, offset: number, width: number, value: number): void {
  for (let i = 0; i < width; i++) bytes[offset + i] = (value >>> (8 * i)) & 0xff;
}
