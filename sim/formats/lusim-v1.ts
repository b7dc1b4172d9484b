/**
 * lusim-v1: a versioned, self-describing PCI config-state payload (the ABI the October 2025 LUO
 * reviewers asked for; compare the Linux blob, which has no version, identity or checksum:
 * linux-pci.md section 12 item 1). Independent of the device model: records are plain data.
 * docs/formats.md has the same layout and the compatibility rules with their rationale.
 *
 * All integers little-endian (as PCI config space). Offsets in bytes.
 *
 *   Header (0x30 bytes in 1.0; `headerLength` says how long it really is)
 *   0x00  u8[4]  magic "LUSM"
 *   0x04  u16    major version (1)        a reader refuses any other major
 *   0x06  u16    minor version (0)        a newer minor only appends fields: readable with a warning
 *   0x08  u32    totalLength              whole payload, checksum included
 *   0x0c  u16    headerLength             offset of the first record (>= 0x30)
 *   0x0e  u16    recordSize               bytes per record (>= 16, multiple of 4)
 *   0x10  u32    recordCount
 *   0x14  u16    vendor ID                device identity: config 0x00, 0x02, 0x2c, 0x2e, 0x08
 *   0x16  u16    device ID
 *   0x18  u16    subsystem vendor ID
 *   0x1a  u16    subsystem ID
 *   0x1c  u32    class code << 8 | revision ID   (config dword 0x08 as read)
 *   0x20  u32    flags                    bit 0: DSN present; other bits: reserved (warning)
 *   0x24  u32    reserved (0)             ignored by 1.0 readers
 *   0x28  u64    Device Serial Number     (PCI_EXT_CAP_ID_DSN +0x04); 0 when absent
 *
 *   Record (16 bytes in 1.0; `recordSize` says how long it really is), recordCount times
 *   +0x0  u8     kind: 0 = header (offset is the config offset, < 0x40), 1 = standard
 *                capability, 2 = extended capability; other kinds: skipped with a warning
 *   +0x1  u8     width: 1, 2 or 4, and offset % width == 0 (config accesses are naturally aligned)
 *   +0x2  u16    capability ID (PCI_CAP_ID_* <= 0xff, PCI_EXT_CAP_ID_*; 0 for kind 0)
 *   +0x4  u16    offset within the capability (from its header), or config offset for kind 0
 *   +0x6  u16    reserved (0)             ignored by 1.0 readers
 *   +0x8  u32    value                    only bits inside `mask` may be set
 *   +0xc  u32    mask                     the bits this record owns (non-zero; no two records of
 *                                         the same capability own the same bit)
 *
 *   Trailer
 *   end-4 u32    CRC-32 (IEEE 802.3, as zlib crc32) of every byte before it
 */
import { SimError } from '../errors.js';

export const LUSIM_V1_MAGIC = 'LUSM';
export const LUSIM_V1_MAJOR = 1;
export const LUSIM_V1_MINOR = 0;
const HEADER_V1_0 = 0x30;
const RECORD_V1_0 = 16;
const CRC_BYTES = 4;
const FLAG_DSN = 1;
const KIND_HEADER = 0;
const KIND_STD = 1;
const KIND_EXT = 2;
/** Standard capabilities live in 0x40..0xff, extended ones in 0x100..0xfff. */
const STD_CAP_SPAN = 0x100 - 0x40;
const EXT_CAP_SPAN = 0x1000 - 0x100;
const HEADER_SPAN = 0x40;

export interface LusimIdentity {
  readonly vendor: number;
  readonly device: number;
  readonly subsystemVendor: number;
  readonly subsystemDevice: number;
  /** 24-bit class code (base class, sub-class, prog-if). */
  readonly classCode: number;
  readonly revision: number;
  /** Device Serial Number, when the function has PCI_EXT_CAP_ID_DSN. */
  readonly dsn?: bigint;
}

export interface RegisterRecord {
  readonly capId: number | 'header';
  readonly extended: boolean;
  readonly offset: number;
  readonly width: 1 | 2 | 4;
  readonly value: number;
  readonly mask: number;
}

export type LusimWarningCode = 'unknown-capability' | 'unknown-record-kind' | 'newer-minor-version' | 'unknown-flags';

export interface LusimWarning {
  readonly code: LusimWarningCode;
  readonly message: string;
  readonly details: Record<string, unknown>;
}

export interface DecodedLusimV1 {
  readonly version: { readonly major: number; readonly minor: number };
  readonly identity: LusimIdentity;
  readonly records: readonly RegisterRecord[];
  readonly warnings: readonly LusimWarning[];
}

export interface DecodeOptions {
  /** The receiving device: any difference refuses the payload (identity-mismatch). */
  readonly expectIdentity?: LusimIdentity;
  /** Whether the receiver has this capability; records of others are skipped with a warning. */
  readonly knownCapability?: (capId: number, extended: boolean) => boolean;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32/ISO-HDLC, the zlib/PNG/Ethernet CRC (reflected 0x04c11db7, init and xorout ~0). */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const hex = (n: number, w = 2) => `0x${n.toString(16).padStart(w, '0')}`;
const widthMax = (w: number) => (w === 4 ? 0xffffffff : (1 << (w * 8)) - 1);

function recordName(r: { capId: number | 'header'; extended: boolean; offset: number }): string {
  if (r.capId === 'header') return `header +${hex(r.offset)}`;
  return `${r.extended ? 'ext' : 'std'} cap ${hex(r.capId)} +${hex(r.offset)}`;
}

interface Problem {
  readonly code: 'blob-corrupt' | 'blob-misaligned';
  readonly message: string;
}

/** The per-record rules shared by the encoder (invalid-input) and the decoder (typed errors). */
function recordProblem(r: RegisterRecord): Problem | undefined {
  const isInt = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= 0;
  if (r.width !== 1 && r.width !== 2 && r.width !== 4) return { code: 'blob-corrupt', message: `width ${String(r.width)} is not 1, 2 or 4` };
  if (!isInt(r.offset)) return { code: 'blob-corrupt', message: `offset ${String(r.offset)} is not a byte offset` };
  if (r.capId === 'header') {
    if (r.extended) return { code: 'blob-corrupt', message: 'a header record cannot be extended' };
    if (r.offset + r.width > HEADER_SPAN) return { code: 'blob-corrupt', message: `header offset ${hex(r.offset)} + ${r.width} runs past 0x40` };
  } else {
    if (!isInt(r.capId) || r.capId > (r.extended ? 0xffff : 0xff)) {
      return { code: 'blob-corrupt', message: `capability ID ${String(r.capId)} is out of range` };
    }
    const span = r.extended ? EXT_CAP_SPAN : STD_CAP_SPAN;
    if (r.offset + r.width > span) return { code: 'blob-corrupt', message: `${recordName(r)} + ${r.width} runs past the ${span}-byte space such a capability can occupy` };
  }
  if (r.offset % r.width !== 0) return { code: 'blob-misaligned', message: `${recordName(r)} is not aligned to its width ${r.width}` };
  const max = widthMax(r.width);
  if (!isInt(r.mask) || r.mask > max || r.mask === 0) return { code: 'blob-corrupt', message: `${recordName(r)} mask ${String(r.mask)} is empty or wider than ${r.width} bytes` };
  if (!isInt(r.value) || r.value > max) return { code: 'blob-corrupt', message: `${recordName(r)} value ${String(r.value)} is wider than ${r.width} bytes` };
  if ((r.value & ~r.mask) >>> 0 !== 0) return { code: 'blob-corrupt', message: `${recordName(r)} value ${hex(r.value, 8)} sets bits outside its mask ${hex(r.mask, 8)}` };
  return undefined;
}

const spaceKey = (r: { capId: number | 'header'; extended: boolean }) => (r.capId === 'header' ? 'h' : `${r.extended ? 'e' : 's'}${r.capId}`);

/** Per byte of each capability, the bits records own: the base of overlap and coverage checks. */
class Coverage {
  private readonly bits = new Map<string, number>();

  /** Adds a record's mask; returns false if some bit was already owned. */
  add(r: RegisterRecord): boolean {
    let clash = false;
    for (let i = 0; i < r.width; i++) {
      const k = `${spaceKey(r)}@${r.offset + i}`;
      const m = (r.mask >>> (8 * i)) & 0xff;
      const had = this.bits.get(k) ?? 0;
      if (had & m) clash = true;
      this.bits.set(k, had | m);
    }
    return !clash;
  }

  /** Bits of `mask` (a `width`-byte register at `offset`) that no record owns. */
  uncovered(r: { capId: number | 'header'; extended: boolean; offset: number; width: number; mask: number }): number {
    let owned = 0;
    for (let i = 0; i < r.width; i++) owned |= (this.bits.get(`${spaceKey(r)}@${r.offset + i}`) ?? 0) << (8 * i);
    return (r.mask & ~owned) >>> 0;
  }
}

function checkIdentity(id: LusimIdentity, fail: (msg: string) => never): void {
  const fields: [keyof LusimIdentity, number][] = [
    ['vendor', 0xffff],
    ['device', 0xffff],
    ['subsystemVendor', 0xffff],
    ['subsystemDevice', 0xffff],
    ['classCode', 0xffffff],
    ['revision', 0xff],
  ];
  for (const [k, max] of fields) {
    const v = id[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) fail(`identity.${k} ${String(v)} is not in 0..${hex(max)}`);
  }
  if (id.dsn !== undefined && (typeof id.dsn !== 'bigint' || id.dsn < 0n || id.dsn > 0xffffffffffffffffn)) fail(`identity.dsn ${String(id.dsn)} is not a u64`);
}

export function encodeLusimV1(identity: LusimIdentity, records: readonly RegisterRecord[]): Uint8Array {
  const fail = (message: string, details: Record<string, unknown> = {}): never => {
    throw new SimError('invalid-input', `cannot encode lusim-v1: ${message}`, details);
  };
  checkIdentity(identity, fail);
  const coverage = new Coverage();
  records.forEach((r, index) => {
    const p = recordProblem(r);
    if (p) fail(`record ${index}: ${p.message}`, { index });
    if (!coverage.add(r)) fail(`record ${index} (${recordName(r)}) owns bits another record already owns`, { index });
  });
  const total = HEADER_V1_0 + records.length * RECORD_V1_0 + CRC_BYTES;
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = LUSIM_V1_MAGIC.charCodeAt(i);
  v.setUint16(0x04, LUSIM_V1_MAJOR, true);
  v.setUint16(0x06, LUSIM_V1_MINOR, true);
  v.setUint32(0x08, total, true);
  v.setUint16(0x0c, HEADER_V1_0, true);
  v.setUint16(0x0e, RECORD_V1_0, true);
  v.setUint32(0x10, records.length, true);
  v.setUint16(0x14, identity.vendor, true);
  v.setUint16(0x16, identity.device, true);
  v.setUint16(0x18, identity.subsystemVendor, true);
  v.setUint16(0x1a, identity.subsystemDevice, true);
  v.setUint32(0x1c, ((identity.classCode << 8) | identity.revision) >>> 0, true);
  v.setUint32(0x20, identity.dsn === undefined ? 0 : FLAG_DSN, true);
  v.setBigUint64(0x28, identity.dsn ?? 0n, true);
  records.forEach((r, i) => {
    const at = HEADER_V1_0 + i * RECORD_V1_0;
    v.setUint8(at, r.capId === 'header' ? KIND_HEADER : r.extended ? KIND_EXT : KIND_STD);
    v.setUint8(at + 1, r.width);
    v.setUint16(at + 2, r.capId === 'header' ? 0 : r.capId, true);
    v.setUint16(at + 4, r.offset, true);
    v.setUint32(at + 8, r.value, true);
    v.setUint32(at + 12, r.mask, true);
  });
  v.setUint32(total - CRC_BYTES, crc32(out.subarray(0, total - CRC_BYTES)), true);
  return out;
}

/**
 * Decodes and checks a lusim-v1 payload. Refusals (typed SimError, nothing partially applied):
 * bad magic; major != 1; length field != bytes given (truncated / trailing data); CRC mismatch;
 * inconsistent header; a malformed record; identity differing from `expectIdentity`.
 * Tolerated with a warning: newer minor version, unknown flag bits, unknown record kinds, and
 * records of capabilities `knownCapability` rejects (skipped).
 */
export function decodeLusimV1(bytes: Uint8Array, opts: DecodeOptions = {}): DecodedLusimV1 {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = checkEnvelope(bytes, v);
  const geometry = checkGeometry(v, version.total);
  const warnings: LusimWarning[] = [];
  if (version.minor > LUSIM_V1_MINOR) {
    warnings.push({ code: 'newer-minor-version', message: `payload is version 1.${version.minor}; fields added after 1.${LUSIM_V1_MINOR} are ignored`, details: { minor: version.minor } });
  }
  const identity = readIdentity(v, warnings);
  if (opts.expectIdentity) compareIdentity(identity, opts.expectIdentity);
  const records = readRecords(v, geometry, opts.knownCapability, warnings);
  return { version: { major: version.major, minor: version.minor }, identity, records, warnings };
}

/** Magic, major version, totalLength against the bytes given, and the CRC: what says the bytes are one whole payload. */
function checkEnvelope(bytes: Uint8Array, v: DataView): { major: number; minor: number; total: number } {
  const magicLen = Math.min(4, bytes.length);
  for (let i = 0; i < magicLen; i++) {
    if (bytes[i] !== LUSIM_V1_MAGIC.charCodeAt(i)) {
      throw new SimError('bad-magic', `not a lusim-v1 payload: byte ${i} is ${hex(bytes[i])}, expected the magic "${LUSIM_V1_MAGIC}". Is this a Linux blob (--format linux-blob)?`, { offset: i });
    }
  }
  const minimum = HEADER_V1_0 + CRC_BYTES;
  if (bytes.length < 8) throw truncated(bytes.length, minimum);
  const major = v.getUint16(0x04, true);
  const minor = v.getUint16(0x06, true);
  if (major !== LUSIM_V1_MAJOR) {
    const why = major > LUSIM_V1_MAJOR ? 'was written by a newer lusim; decode it with that version' : 'is a pre-release format no longer read';
    throw new SimError('unsupported-version', `lusim payload version ${major}.${minor} ${why} (this reader handles major ${LUSIM_V1_MAJOR})`, { major, minor });
  }
  if (bytes.length < minimum) throw truncated(bytes.length, minimum);
  const total = v.getUint32(0x08, true);
  if (total < minimum) throw corrupt(`totalLength ${total} is below the ${minimum}-byte minimum`, { offset: 0x08, totalLength: total });
  if (bytes.length < total) throw truncated(bytes.length, total);
  if (bytes.length > total) {
    throw new SimError('blob-oversized', `lusim-v1 payload is ${total} bytes but ${bytes.length} were given: ${bytes.length - total} bytes of trailing data. Pass exactly the payload.`, { totalLength: total, length: bytes.length });
  }
  const stored = v.getUint32(total - CRC_BYTES, true);
  const actual = crc32(bytes.subarray(0, total - CRC_BYTES));
  if (stored !== actual) {
    throw new SimError('checksum-mismatch', `lusim-v1 checksum mismatch (stored ${hex(stored, 8)}, computed ${hex(actual, 8)}): the payload was corrupted in transit; do not load it.`, { stored, computed: actual });
  }
  return { major, minor, total };
}

interface Geometry {
  readonly headerLength: number;
  readonly recordSize: number;
  readonly count: number;
}

/** headerLength, recordSize and recordCount: at least 1.0's sizes, dword multiples, and adding up to totalLength. */
function checkGeometry(v: DataView, total: number): Geometry {
  const headerLength = v.getUint16(0x0c, true);
  const recordSize = v.getUint16(0x0e, true);
  const count = v.getUint32(0x10, true);
  if (headerLength < HEADER_V1_0) throw corrupt(`headerLength ${headerLength} is below ${HEADER_V1_0}`, { offset: 0x0c, headerLength });
  if (recordSize < RECORD_V1_0) throw corrupt(`recordSize ${recordSize} is below ${RECORD_V1_0}`, { offset: 0x0e, recordSize });
  if (headerLength % 4 !== 0 || recordSize % 4 !== 0) {
    throw new SimError('blob-misaligned', `headerLength ${headerLength} and recordSize ${recordSize} must be multiples of 4`, { headerLength, recordSize });
  }
  if (headerLength + count * recordSize + CRC_BYTES !== total) {
    throw corrupt(`headerLength ${headerLength} + ${count} records x ${recordSize} + checksum != totalLength ${total}`, { headerLength, recordSize, count, totalLength: total });
  }
  return { headerLength, recordSize, count };
}

/** The device identity and its DSN, after the flags that say whether a DSN is stored. */
function readIdentity(v: DataView, warnings: LusimWarning[]): LusimIdentity {
  const flags = v.getUint32(0x20, true);
  if (flags & ~FLAG_DSN) {
    warnings.push({ code: 'unknown-flags', message: `flag bits ${hex(flags & ~FLAG_DSN, 8)} are unknown to this reader and ignored`, details: { flags } });
  }
  const dsnRaw = v.getBigUint64(0x28, true);
  if (!(flags & FLAG_DSN) && dsnRaw !== 0n) throw corrupt('a DSN is stored but the DSN-present flag is clear', { offset: 0x28 });
  const classRev = v.getUint32(0x1c, true);
  return {
    vendor: v.getUint16(0x14, true),
    device: v.getUint16(0x16, true),
    subsystemVendor: v.getUint16(0x18, true),
    subsystemDevice: v.getUint16(0x1a, true),
    classCode: classRev >>> 8,
    revision: classRev & 0xff,
    ...(flags & FLAG_DSN ? { dsn: dsnRaw } : {}),
  };
}

/**
 * Every record, checked: unknown kinds skipped with a warning, a malformed or overlapping record
 * refused, and records of capabilities `knownCapability` rejects skipped with one warning per
 * capability.
 */
function readRecords(v: DataView, g: Geometry, knownCapability: DecodeOptions['knownCapability'], warnings: LusimWarning[]): RegisterRecord[] {
  const records: RegisterRecord[] = [];
  const coverage = new Coverage();
  const unknownCaps = new Map<string, { capId: number; extended: boolean; records: number }>();
  for (let i = 0; i < g.count; i++) {
    const at = g.headerLength + i * g.recordSize;
    const kind = v.getUint8(at);
    if (kind !== KIND_HEADER && kind !== KIND_STD && kind !== KIND_EXT) {
      warnings.push({ code: 'unknown-record-kind', message: `record ${i} has kind ${kind}, unknown to this reader: skipped`, details: { index: i, kind } });
      continue;
    }
    const rec = readRecord(v, at, kind, i);
    if (!coverage.add(rec)) throw corrupt(`record ${i} (${recordName(rec)}) owns bits an earlier record already owns`, { index: i, offset: at });
    if (rec.capId !== 'header' && knownCapability && !knownCapability(rec.capId, rec.extended)) {
      const key = spaceKey(rec);
      const u = unknownCaps.get(key) ?? { capId: rec.capId, extended: rec.extended, records: 0 };
      u.records++;
      unknownCaps.set(key, u);
      continue;
    }
    records.push(rec);
  }
  for (const u of unknownCaps.values()) {
    warnings.push({
      code: 'unknown-capability',
      message: `${u.extended ? 'extended' : 'standard'} capability ${hex(u.capId)} is not on the receiving device: its ${u.records} record(s) were skipped`,
      details: u,
    });
  }
  return records;
}

/** Record `i` at byte `at`, of a known kind, refused when malformed (recordProblem). */
function readRecord(v: DataView, at: number, kind: number, i: number): RegisterRecord {
  const capField = v.getUint16(at + 2, true);
  if (kind === KIND_HEADER && capField !== 0) throw corrupt(`record ${i}: a header record has capability ID ${hex(capField)}`, { index: i, offset: at });
  const rec: RegisterRecord = {
    capId: kind === KIND_HEADER ? 'header' : capField,
    extended: kind === KIND_EXT,
    offset: v.getUint16(at + 4, true),
    width: v.getUint8(at + 1) as 1 | 2 | 4,
    value: v.getUint32(at + 8, true),
    mask: v.getUint32(at + 12, true),
  };
  const p = recordProblem(rec);
  if (p) throw new SimError(p.code, `lusim-v1 record ${i} at byte ${at}: ${p.message}`, { index: i, offset: at });
  return rec;
}

function truncated(length: number, needed: number): SimError {
  return new SimError('blob-truncated', `lusim-v1 payload is ${length} bytes but needs ${needed}: it was cut short. Copy the whole payload.`, { length, needed });
}

function corrupt(message: string, details: Record<string, unknown>): SimError {
  return new SimError('blob-corrupt', `lusim-v1 payload is malformed: ${message}`, details);
}

function compareIdentity(got: LusimIdentity, want: LusimIdentity): void {
  const keys: (keyof LusimIdentity)[] = ['vendor', 'device', 'subsystemVendor', 'subsystemDevice', 'classCode', 'revision', 'dsn'];
  const diffs = keys
    .filter((k) => got[k] !== want[k])
    .map((k) => ({ field: k, payload: String(got[k] ?? 'absent'), device: String(want[k] ?? 'absent') }));
  if (diffs.length === 0) return;
  throw new SimError(
    'identity-mismatch',
    `lusim-v1 payload belongs to a different device (${diffs.map((d) => `${d.field}: payload ${d.payload}, device ${d.device}`).join('; ')}); refusing to load it. Check the BDF the payload was preserved under.`,
    { diffs },
  );
}

export interface RegisterSlot {
  readonly capId: number | 'header';
  readonly extended: boolean;
  readonly offset: number;
  readonly width: 1 | 2 | 4;
  /** The bits the receiver wants restored. */
  readonly mask: number;
}

export interface MissingRegister extends RegisterSlot {
  /** The wanted bits no record owns: the receiver leaves them as found. */
  readonly uncovered: number;
}

/**
 * Compatibility rule "register missing from the payload: left as found (reported)": which bits
 * of the receiver's wanted registers no record carries. Bit-exact, so a record of another width
 * covering the same bits counts.
 */
export function missingRegisters(records: readonly RegisterRecord[], wanted: readonly RegisterSlot[]): MissingRegister[] {
  const coverage = new Coverage();
  for (const r of records) coverage.add(r);
  return wanted.flatMap((w) => {
    const uncovered = coverage.uncovered(w);
    return uncovered ? [{ ...w, uncovered }] : [];
  });
}

/** A register the receiver fills from the records: `value` holds the bits records own, `uncovered` the rest. */
export interface AppliedRegister {
  readonly value: number;
  /** Bits of the register no record owns (the caller fills them "as found"). */
  readonly uncovered: number;
}

/**
 * The value the records give a `width`-byte register at `offset` of one capability (or the header):
 * every record of that space that overlaps it contributes the bytes it overlaps, and of each byte
 * only the bits its mask owns. So two 2-byte header records at 0x04 and 0x06 fill the dword at 0x04,
 * and a record with a partial mask leaves the rest of its register to `found` (the rule "register
 * missing from the payload: left as found", bit-exact as missingRegisters counts it).
 */
export function applyRecords(records: readonly RegisterRecord[], slot: Omit<RegisterSlot, 'mask'>, found: number): AppliedRegister {
  const key = spaceKey(slot);
  let value = 0;
  let owned = 0;
  for (const r of records) {
    if (spaceKey(r) !== key || r.offset >= slot.offset + slot.width || r.offset + r.width <= slot.offset) continue;
    for (let b = 0; b < r.width; b++) {
      const at = r.offset + b - slot.offset;
      if (at < 0 || at >= slot.width) continue;
      const m = (r.mask >>> (8 * b)) & 0xff;
      value |= ((r.value >>> (8 * b)) & m) << (8 * at);
      owned |= m << (8 * at);
    }
  }
  const all = widthMax(slot.width);
  const uncovered = (all & ~owned) >>> 0;
  return { value: ((value & owned) | (found & uncovered)) >>> 0, uncovered };
}
