/**
 * Raw binary config space, as read from /sys/bus/pci/devices/<BDF>/config: 64 bytes (unprivileged
 * read of a header), 256 (conventional) or 4096 (PCIe extended). A raw file has no address; the
 * caller gives one (default 00:00.0).
 */
import { DeviceError } from '../errors.js';
import { parseBdf, type Bdf } from './bdf.js';
import type { DumpDevice } from './types.js';

export const RAW_SIZES = [64, 256, 4096] as const;

export function parseRaw(bytes: Uint8Array, bdf: Bdf = parseBdf('00:00.0')): DumpDevice {
  if (!(RAW_SIZES as readonly number[]).includes(bytes.length)) {
    throw new DeviceError('dump-size', `raw config dump is ${bytes.length} bytes; expected 64, 256 or 4096 (as read from /sys/bus/pci/devices/<BDF>/config)`, { size: bytes.length });
  }
  return { bdf, bytes: bytes.slice() };
}

/** Raw output pads a partial dump up to the next config-space size with 0xff, as absent bytes read. */
export function formatRaw(device: DumpDevice): Uint8Array {
  const size = RAW_SIZES.find((s) => s >= device.bytes.length) ?? 4096;
  const out = new Uint8Array(size).fill(0xff);
  out.set(device.bytes.subarray(0, size));
  return out;
}
