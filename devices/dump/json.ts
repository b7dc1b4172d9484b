/**
 * lusim's JSON snapshot: several functions' config bytes with their addresses.
 *   { "format": "lusim-snapshot", "version": 1,
 *     "devices": [ { "bdf": "01:00.0", "description": "...", "config": "8680d310..." } ] }
 * `config` is lowercase hex of the captured bytes (64, 256 or 4096 bytes, or any length up to 4096).
 */
import { DeviceError } from '../errors.js';
import { formatBdf, parseBdf } from './bdf.js';
import type { DumpDevice } from './types.js';

export const SNAPSHOT_FORMAT = 'lusim-snapshot';
export const SNAPSHOT_VERSION = 1;

export interface SnapshotJson {
  readonly format: typeof SNAPSHOT_FORMAT;
  readonly version: number;
  readonly devices: readonly { bdf: string; description?: string; config: string }[];
}

export function parseSnapshotJson(text: string): DumpDevice[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new DeviceError('dump-parse', `snapshot is not valid JSON: ${(e as Error).message}`);
  }
  const d = doc as Partial<SnapshotJson>;
  if (typeof d !== 'object' || d === null || d.format !== SNAPSHOT_FORMAT) {
    throw new DeviceError('dump-parse', `JSON input is not a lusim snapshot (expected "format": "${SNAPSHOT_FORMAT}"); produce one with \`lusim dump FILE --format json\``);
  }
  if (d.version !== SNAPSHOT_VERSION) {
    throw new DeviceError('dump-parse', `snapshot version ${String(d.version)} is not supported (this lusim reads version ${SNAPSHOT_VERSION})`, { version: d.version });
  }
  if (!Array.isArray(d.devices) || d.devices.length === 0) throw new DeviceError('dump-parse', 'snapshot has no "devices" array');
  return d.devices.map((dev, i) => {
    if (typeof dev?.bdf !== 'string' || typeof dev.config !== 'string') {
      throw new DeviceError('dump-parse', `snapshot device ${i} needs string "bdf" and "config" fields`, { index: i });
    }
    const hex = dev.config;
    if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex) || hex.length === 0 || hex.length > 8192) {
      throw new DeviceError('dump-parse', `snapshot device ${dev.bdf}: "config" must be 1..4096 bytes of hex`, { index: i, bdf: dev.bdf });
    }
    const bytes = new Uint8Array(hex.length / 2);
    for (let j = 0; j < bytes.length; j++) bytes[j] = parseInt(hex.slice(2 * j, 2 * j + 2), 16);
    return dev.description === undefined ? { bdf: parseBdf(dev.bdf), bytes } : { bdf: parseBdf(dev.bdf), description: dev.description, bytes };
  });
}

export function formatSnapshotJson(devices: readonly DumpDevice[]): string {
  const doc: SnapshotJson = {
    format: SNAPSHOT_FORMAT,
    version: SNAPSHOT_VERSION,
    devices: devices.map((d) => ({
      bdf: formatBdf(d.bdf),
      ...(d.description !== undefined ? { description: d.description } : {}),
      config: Array.from(d.bytes, (b) => b.toString(16).padStart(2, '0')).join(''),
    })),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
