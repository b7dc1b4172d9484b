/**
 * `lspci -x/-xxx/-xxxx` text: the format pciutils reads back with `lspci -F FILE`.
 * Parsing follows pciutils lib/dump.c dump_init: a device starts at a line "BB:DD.F " (or with a
 * 4- or 5-digit domain), an empty line ends it, hex lines are "OFF: xx xx ..." with OFF in hex, at
 * most 4096 bytes; bytes never given read as 0xff (as in lspci) and are marked not captured in
 * DumpDevice.known (a row lost in a paste); other lines are ignored. Unlike lspci, lusim
 * reports the line number of a malformed line and rejects hex lines outside a device.
 */
import { DeviceError } from '../errors.js';
import { formatBdf, parseBdf } from './bdf.js';
import { oneLine } from './text.js';
import type { DumpDevice } from './types.js';

const DEVICE_LINE = /^((?:[0-9a-fA-F]{4,5}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]) (.*)$/;
const HEX_LINE = /^([0-9a-fA-F]{2,8}):(.*)$/;
const MAX_CONFIG = 4096;

export function parseLspci(text: string): DumpDevice[] {
  const devices: DumpDevice[] = [];
  let current: { bdf: ReturnType<typeof parseBdf>; description: string; data: Uint8Array; given: Uint8Array; len: number } | undefined;
  const finish = () => {
    if (current) {
      const known = current.given.slice(0, current.len);
      const gaps = known.some((k) => k === 0);
      devices.push({ bdf: current.bdf, description: current.description, bytes: current.data.slice(0, current.len), ...(gaps ? { known } : {}) });
    }
    current = undefined;
  };
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].replace(/\r$/, '');
    const lineNo = n + 1;
    const dev = DEVICE_LINE.exec(line);
    if (dev) {
      finish();
      current = { bdf: parseBdf(dev[1]), description: dev[2], data: new Uint8Array(MAX_CONFIG).fill(0xff), given: new Uint8Array(MAX_CONFIG), len: 0 };
      continue;
    }
    if (line.trim() === '') {
      finish();
      continue;
    }
    const hex = HEX_LINE.exec(line);
    if (!hex) continue;
    if (!current) {
      throw new DeviceError('dump-parse', `line ${lineNo}: config bytes "${line.slice(0, 40)}" before any device line; an lspci dump starts each device with "BB:DD.F description"`, { line: lineNo });
    }
    let off = parseInt(hex[1], 16);
    const rest = hex[2].trim();
    if (rest === '') continue;
    for (const tok of rest.split(/\s+/)) {
      if (!/^[0-9a-fA-F]{2}$/.test(tok)) {
        throw new DeviceError('dump-parse', `line ${lineNo}: "${tok}" is not a hex byte (expected "${hex[1]}: xx xx ..." as lspci -xxxx prints)`, { line: lineNo, token: tok });
      }
      if (off >= MAX_CONFIG) {
        throw new DeviceError('dump-size', `line ${lineNo}: offset 0x${off.toString(16)} is beyond 4096 bytes of config space`, { line: lineNo, offset: off });
      }
      current.given[off] = 1;
      current.data[off++] = parseInt(tok, 16);
      if (off > current.len) current.len = off;
    }
  }
  finish();
  const bare = devices.find((d) => d.bytes.length === 0);
  if (bare) {
    // Plain `lspci` (or a dump whose hex lines were cut off): device lines with no config bytes.
    throw new DeviceError('dump-parse', `this is lspci output without -xxx: run lspci -xxxx (device ${formatBdf(bare.bdf)} has no "00: xx xx ..." hex lines)`, { bdf: formatBdf(bare.bdf) });
  }
  if (devices.length === 0) {
    throw new DeviceError('dump-parse', 'no devices found: expected lspci -xxxx output ("01:00.0 Ethernet controller: ..." followed by "00: 86 80 ..." lines)');
  }
  return devices;
}

/** Format like `lspci -xxxx` (offsets below 0x100 in two digits, as lspci's show_hex_dump prints). */
export function formatLspci(devices: readonly DumpDevice[]): string {
  const out: string[] = [];
  for (const d of devices) {
    // One line per device whatever the description holds (a newline in a snapshot's would start another device).
    out.push(`${formatBdf(d.bdf)} ${oneLine(d.description ?? describeClass(d.bytes))}`);
    for (let off = 0; off < d.bytes.length; off += 16) {
      // A row the dump never captured stays out, so reading the text back marks it missing again.
      if (d.known && d.known.subarray(off, off + 16).every((k) => k === 0)) continue;
      const row = Array.from(d.bytes.subarray(off, off + 16), (b) => b.toString(16).padStart(2, '0'));
      out.push(`${off.toString(16).padStart(2, '0')}: ${row.join(' ')}`);
    }
    out.push('');
  }
  return out.join('\n');
}

function describeClass(bytes: Uint8Array): string {
  const cls = bytes.length > 0x0b ? (bytes[0x0b] << 8) | bytes[0x0a] : 0xffff;
  const vendor = bytes.length > 1 ? bytes[0] | (bytes[1] << 8) : 0xffff;
  const device = bytes.length > 3 ? bytes[2] | (bytes[3] << 8) : 0xffff;
  const h = (n: number) => n.toString(16).padStart(4, '0');
  return `Class ${h(cls)}: Device ${h(vendor)}:${h(device)}`;
}
