/** Read any dump lusim accepts, telling the formats apart by content. */
import { DeviceError } from '../errors.js';
import { type Bdf, formatBdf, sameBdf } from './bdf.js';
import { parseSnapshotJson } from './json.js';
import { parseLspci } from './lspci.js';
import { parseRaw } from './raw.js';
import type { DumpDevice, DumpFormat } from './types.js';

export type { DumpDevice, DumpFormat } from './types.js';

/** JSON starts with '{'; lspci text is printable ASCII; anything else is raw binary. */
export function detectFormat(bytes: Uint8Array): DumpFormat {
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  if (bytes[i] === 0x7b) return 'json';
  const sample = bytes.subarray(0, 512);
  const printable = sample.every((b) => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f));
  return printable && sample.length > 0 ? 'lspci' : 'raw';
}

export function asciiText(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return s;
}

export function parseDump(bytes: Uint8Array, opts: { format?: DumpFormat; bdf?: Bdf } = {}): DumpDevice[] {
  const format = opts.format ?? detectFormat(bytes);
  if (bytes.length === 0) throw new DeviceError('dump-parse', 'the dump is empty');
  switch (format) {
    case 'json': return parseSnapshotJson(asciiText(bytes));
    case 'lspci': return parseLspci(asciiText(bytes));
    case 'raw': return [parseRaw(bytes, opts.bdf)];
  }
}

export function selectDevice(devices: readonly DumpDevice[], bdf: Bdf): DumpDevice {
  const found = devices.find((d) => sameBdf(d.bdf, bdf));
  if (!found) {
    throw new DeviceError('device-not-found', `no device ${formatBdf(bdf)} in the dump; it holds ${devices.map((d) => formatBdf(d.bdf)).join(', ')}`, { bdf: formatBdf(bdf) });
  }
  return found;
}
