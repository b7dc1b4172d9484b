/** Read any dump lusim accepts, telling the formats apart by content. */
import { DeviceError } from '../errors.js';
import { type Bdf, formatBdf, sameBdf } from './bdf.js';
import { parseSnapshotJson } from './json.js';
import { parseLspci } from './lspci.js';
import { parseRaw } from './raw.js';
import { decodeText } from './text.js';
import type { DumpDevice, DumpFormat } from './types.js';

export type { DumpDevice, DumpFormat } from './types.js';

/**
 * Formats by content: control-free UTF-8 text is JSON when it opens with '{' or '[' and lspci text
 * otherwise; anything else is a raw config. A config space is never such text: its header type
 * byte (0x0e) is 0x00-0x02 or 0x80-0x82 (PCI 3.0 6.2.1), a control character or a lone UTF-8
 * continuation byte. So a raw config whose vendor low byte is 0x7b ('{') is still raw.
 */
export function detectFormat(bytes: Uint8Array): DumpFormat {
  const text = decodeText(bytes);
  if (text === undefined) return 'raw';
  return /^\s*[{[]/.test(text) ? 'json' : 'lspci';
}

export interface ParseDumpOptions {
  readonly format?: DumpFormat;
  readonly bdf?: Bdf;
  /**
   * How the caller's user names the input format (a command's option, e.g. "--input-format"),
   * for the error when detection picked a reader that refused the input; without it the error
   * names no option (a command that has none must not suggest one).
   */
  readonly formatOption?: string;
}

export function parseDump(bytes: Uint8Array, opts: ParseDumpOptions = {}): DumpDevice[] {
  if (bytes.length === 0) throw new DeviceError('dump-parse', 'the dump is empty (0 bytes): capture one with `lspci -s BDF -xxxx` (as root, for all 4 KiB) or copy /sys/bus/pci/devices/<BDF>/config');
  const format = opts.format ?? detectFormat(bytes);
  let devices: DumpDevice[];
  try {
    devices = parseAs(format, bytes, opts.bdf);
  } catch (e) {
    if (!(e instanceof DeviceError)) throw e;
    // Say which reader refused the input and why it was chosen, so a misdetection is visible.
    const others = (['lspci', 'raw', 'json'] as const).filter((f) => f !== format).join(' or ');
    const how = opts.format ? `as ${opts.formatOption ?? 'the caller'} asked` : `detected by content${opts.formatOption ? `; ${opts.formatOption} ${others} reads it otherwise` : ''}`;
    throw new DeviceError(e.code, `${e.message} (read as ${format}: ${how})`, { ...e.details, format });
  }
  checkUniqueAddresses(devices);
  return devices;
}

/**
 * One function per address: lspci and a snapshot never name one twice, so two are two captures
 * joined (`cat a.lspci b.lspci`), and which of them a command took would be a guess.
 */
function checkUniqueAddresses(devices: readonly DumpDevice[]): void {
  devices.forEach((d, i) => {
    if (devices.findIndex((o) => sameBdf(o.bdf, d.bdf)) < i) {
      throw new DeviceError('dump-parse', `the dump holds ${formatBdf(d.bdf)} twice (two captures joined?): keep one of them`, { bdf: formatBdf(d.bdf) });
    }
  });
}

function parseAs(format: DumpFormat, bytes: Uint8Array, bdf: Bdf | undefined): DumpDevice[] {
  if (format === 'raw') return [parseRaw(bytes, bdf)];
  const text = decodeText(bytes);
  if (text === undefined) throw new DeviceError('dump-parse', `the input is not ${format === 'json' ? 'JSON' : 'lspci'} text: it holds bytes that are not UTF-8 text (control characters or invalid sequences)`);
  return format === 'json' ? parseSnapshotJson(text) : parseLspci(text);
}

export function selectDevice(devices: readonly DumpDevice[], bdf: Bdf): DumpDevice {
  const found = devices.find((d) => sameBdf(d.bdf, bdf));
  if (!found) {
    throw new DeviceError('device-not-found', `no device ${formatBdf(bdf)} in the dump; it holds ${devices.map((d) => formatBdf(d.bdf)).join(', ')}`, { bdf: formatBdf(bdf) });
  }
  return found;
}
