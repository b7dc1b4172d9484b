/**
 * lusim's JSON snapshot: several functions' config bytes with their addresses.
 *   { "format": "lusim-snapshot", "version": 1,
 *     "devices": [ { "bdf": "01:00.0", "description": "...", "config": "8680d310..." } ] }
 * `config` is lowercase hex of the captured bytes (64, 256 or 4096 bytes, or any length up to 4096).
 * Optional, per device: `"missing": [[start, end], ...]` byte ranges inside `config` that were
 * never captured (their hex is ff); `"capture"` with what `lusim capture` read from sysfs beside
 * the bytes (CaptureFacts: kernelRelease, root, configSize, resetMethod, driver, currentLinkSpeed).
 * SNAPSHOT_SCHEMA (JSON Schema, checked with ajv) states every field's type (docs/reliability.md).
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { DeviceError } from '../errors.js';
import { formatBdf, parseBdf } from './bdf.js';
import { unknownRanges } from './known.js';
import type { CaptureFacts, DumpDevice } from './types.js';

export const SNAPSHOT_FORMAT = 'lusim-snapshot';
export const SNAPSHOT_VERSION = 1;

export interface SnapshotJson {
  readonly format: typeof SNAPSHOT_FORMAT;
  readonly version: number;
  readonly devices: readonly { bdf: string; description?: string; config: string; missing?: [number, number][]; capture?: CaptureFacts }[];
}

/** The snapshot's JSON Schema: one statement of every field's type, used to validate each input. */
export const SNAPSHOT_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'lusim snapshot',
  type: 'object',
  required: ['format', 'version', 'devices'],
  properties: {
    format: { const: SNAPSHOT_FORMAT },
    version: { const: SNAPSHOT_VERSION },
    devices: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['bdf', 'config'],
        additionalProperties: false,
        properties: {
          bdf: { type: 'string', pattern: '^(?:[0-9a-fA-F]{4,5}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\\.[0-7]$' },
          // One line of printable text: a newline would inject a device into `dump --format lspci`.
          description: { type: 'string', maxLength: 1024, pattern: '^[^\\u0000-\\u001f\\u007f]*$' },
          config: { type: 'string', minLength: 2, maxLength: 8192, pattern: '^(?:[0-9a-fA-F]{2})+$' },
          // Ranges and capture facts have their own checks below (knownFromMissing, checkCapture).
          missing: { type: 'array', items: { type: 'array', minItems: 2, maxItems: 2, items: { type: 'integer' } } },
          capture: { type: 'object' },
        },
      },
    },
  },
} as const;

let validator: ValidateFunction | undefined;

/** Compiled on first use: most commands never read a snapshot, and compiling costs start-up time. */
function validate(doc: unknown): string | undefined {
  validator ??= new Ajv({ allErrors: false, strict: true }).compile(SNAPSHOT_SCHEMA);
  if (validator(doc)) return undefined;
  const e = validator.errors?.[0];
  return e ? `${e.instancePath || '(top level)'} ${e.message ?? 'is invalid'}` : 'does not match the schema';
}

export function parseSnapshotJson(text: string): DumpDevice[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new DeviceError('dump-parse', `snapshot is not valid JSON: ${(e as Error).message}`);
  }
  const d = doc as Partial<SnapshotJson>;
  if (typeof d !== 'object' || d === null || Array.isArray(d) || d.format !== SNAPSHOT_FORMAT) {
    const what = Array.isArray(d) ? 'a JSON array' : d === null || typeof d !== 'object' ? `a JSON ${d === null ? 'null' : typeof d}` : 'JSON';
    throw new DeviceError('dump-parse', `${what} input is not a lusim snapshot (expected an object with "format": "${SNAPSHOT_FORMAT}"); produce one with \`lusim dump FILE --format json\``);
  }
  if (d.version !== SNAPSHOT_VERSION) {
    throw new DeviceError('dump-parse', `snapshot version ${String(d.version)} is not supported (this lusim reads version ${SNAPSHOT_VERSION})`, { version: d.version });
  }
  const problem = validate(doc);
  if (problem) throw new DeviceError('dump-parse', `snapshot field ${problem}`, { schema: 'SNAPSHOT_SCHEMA' });
  return (d.devices ?? []).map((dev) => {
    const bytes = new Uint8Array(dev.config.length / 2);
    for (let j = 0; j < bytes.length; j++) bytes[j] = parseInt(dev.config.slice(2 * j, 2 * j + 2), 16);
    const known = dev.missing === undefined ? undefined : knownFromMissing(dev.missing, bytes.length, dev.bdf);
    const capture = dev.capture === undefined ? undefined : checkCapture(dev.capture, dev.bdf);
    return { bdf: parseBdf(dev.bdf), ...(dev.description !== undefined ? { description: dev.description } : {}), bytes, ...(known ? { known } : {}), ...(capture ? { capture } : {}) };
  });
}

function knownFromMissing(missing: unknown, length: number, bdf: string): Uint8Array {
  const known = new Uint8Array(length).fill(1);
  const ranges = Array.isArray(missing) ? missing : [undefined];
  for (const r of ranges) {
    if (!Array.isArray(r) || r.length !== 2 || !r.every((n) => Number.isInteger(n)) || r[0] < 0 || r[0] >= r[1] || r[1] > length) {
      throw new DeviceError('dump-parse', `snapshot device ${bdf}: "missing" must be [[start, end], ...] byte ranges inside "config"`, { bdf });
    }
    known.fill(0, r[0], r[1]);
  }
  return known;
}

function checkCapture(c: unknown, bdf: string): CaptureFacts {
  const o = c as Partial<CaptureFacts>;
  const ok = typeof o === 'object' && o !== null && typeof o.root === 'boolean'
    && (o.kernelRelease === undefined || typeof o.kernelRelease === 'string')
    && (o.kernelVersion === undefined || typeof o.kernelVersion === 'string')
    && (o.configSize === undefined || Number.isInteger(o.configSize))
    && (o.resetMethod === undefined || (Array.isArray(o.resetMethod) && o.resetMethod.every((m) => typeof m === 'string')))
    && (o.driver === undefined || o.driver === null || typeof o.driver === 'string')
    && (o.currentLinkSpeed === undefined || typeof o.currentLinkSpeed === 'string');
  if (!ok) throw new DeviceError('dump-parse', `snapshot device ${bdf}: "capture" must be { root: boolean, kernelRelease?, kernelVersion?, configSize?, resetMethod?: string[], driver?: string | null, currentLinkSpeed? } as lusim capture writes it`, { bdf });
  return o as CaptureFacts;
}

export function formatSnapshotJson(devices: readonly DumpDevice[]): string {
  const doc: SnapshotJson = {
    format: SNAPSHOT_FORMAT,
    version: SNAPSHOT_VERSION,
    devices: devices.map((d) => ({
      bdf: formatBdf(d.bdf),
      ...(d.description !== undefined ? { description: d.description } : {}),
      config: Array.from(d.bytes, (b) => b.toString(16).padStart(2, '0')).join(''),
      ...(d.known ? { missing: unknownRanges(d.known, d.bytes.length) } : {}),
      ...(d.capture ? { capture: d.capture } : {}),
    })),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
