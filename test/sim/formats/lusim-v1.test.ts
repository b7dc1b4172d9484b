/** lusim-v1: layout, checksum and every compatibility rule of docs/formats.md. */
import { crc32 as zlibCrc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SimError } from '../../../sim/errors.js';
import { crc32, decodeLusimV1, encodeLusimV1, missingRegisters } from '../../../sim/formats/lusim-v1.js';
import type { LusimIdentity, RegisterRecord } from '../../../sim/formats/lusim-v1.js';

// QEMU e1000e (8086:10d3, subsystem 8086:0000, class 020000 rev 0): identity fields only.
const ID: LusimIdentity = { vendor: 0x8086, device: 0x10d3, subsystemVendor: 0x8086, subsystemDevice: 0, classCode: 0x020000, revision: 0 };
const RECORDS: RegisterRecord[] = [
  { capId: 'header', extended: false, offset: 0x04, width: 2, value: 0x0406, mask: 0x0547 }, // PCI_COMMAND
  { capId: 0x10, extended: false, offset: 0x08, width: 2, value: 0x2810, mask: 0xffff }, // PCI_EXP_DEVCTL
  { capId: 0x10, extended: false, offset: 0x10, width: 2, value: 0x0042, mask: 0x0fff }, // PCI_EXP_LNKCTL
  { capId: 0x01, extended: true, offset: 0x08, width: 4, value: 0x00400000, mask: 0xffffffff }, // PCI_ERR_UNCOR_MASK
  { capId: 0x18, extended: true, offset: 0x04, width: 4, value: 0x10031003, mask: 0x1fff1fff }, // LTR max latencies
];

function codeOf(f: () => unknown): string {
  try {
    f();
    return 'ok';
  } catch (e) {
    return e instanceof SimError ? e.code : `untyped: ${String(e)}`;
  }
}

/** Re-seal a hand-edited payload so the checksum does not mask the rule under test. */
function reseal(bytes: Uint8Array): Uint8Array {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  v.setUint32(bytes.length - 4, crc32(bytes.subarray(0, bytes.length - 4)), true);
  return bytes;
}

/** A payload as a hypothetical 1.1 writer would emit it: 8 more header bytes, 4 more per record. */
function minor1Payload(): Uint8Array {
  const base = encodeLusimV1(ID, RECORDS);
  const extraHeader = 8;
  const recSize = 20;
  const out = new Uint8Array(0x30 + extraHeader + RECORDS.length * recSize + 4);
  out.set(base.subarray(0, 0x30));
  out.fill(0xaa, 0x30, 0x30 + extraHeader);
  RECORDS.forEach((_, i) => {
    out.set(base.subarray(0x30 + i * 16, 0x30 + (i + 1) * 16), 0x30 + extraHeader + i * recSize);
    out.fill(0xbb, 0x30 + extraHeader + i * recSize + 16, 0x30 + extraHeader + (i + 1) * recSize);
  });
  const v = new DataView(out.buffer);
  v.setUint16(0x06, 1, true);
  v.setUint32(0x08, out.length, true);
  v.setUint16(0x0c, 0x30 + extraHeader, true);
  v.setUint16(0x0e, recSize, true);
  return reseal(out);
}

describe('lusim-v1 layout', () => {
  it('header fields sit where docs/formats.md says', () => {
    const b = encodeLusimV1({ ...ID, dsn: 0x0123456789abcdefn }, RECORDS);
    const v = new DataView(b.buffer);
    expect(new TextDecoder().decode(b.subarray(0, 4))).toBe('LUSM');
    expect([v.getUint16(4, true), v.getUint16(6, true)]).toEqual([1, 0]);
    expect(v.getUint32(8, true)).toBe(b.length);
    expect(b.length).toBe(0x30 + 16 * RECORDS.length + 4);
    expect([v.getUint16(0x0c, true), v.getUint16(0x0e, true), v.getUint32(0x10, true)]).toEqual([0x30, 16, RECORDS.length]);
    expect(v.getUint16(0x14, true)).toBe(0x8086);
    expect(v.getUint32(0x1c, true)).toBe(0x02000000);
    expect(v.getUint32(0x20, true)).toBe(1);
    expect(v.getBigUint64(0x28, true)).toBe(0x0123456789abcdefn);
    // second record: standard cap 0x10, width 2, offset 8
    expect([...b.subarray(0x40, 0x48)]).toEqual([1, 2, 0x10, 0, 8, 0, 0, 0]);
  });

  it('checksum is the zlib CRC-32 of everything before it', () => {
    const b = encodeLusimV1(ID, RECORDS);
    expect(new DataView(b.buffer).getUint32(b.length - 4, true)).toBe(zlibCrc32(b.subarray(0, b.length - 4)));
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('round-trips identity (with and without DSN) and records in order', () => {
    for (const id of [ID, { ...ID, dsn: 0xffffffffffffffffn }]) {
      const d = decodeLusimV1(encodeLusimV1(id, RECORDS));
      expect(d).toEqual({ version: { major: 1, minor: 0 }, identity: id, records: RECORDS, warnings: [] });
    }
  });

  it('the encoder refuses records the format cannot hold', () => {
    const bad: Partial<RegisterRecord>[] = [
      { width: 3 as 1 },
      { offset: 0x09 }, // misaligned u16
      { value: 0x10000 },
      { value: 0x0001, mask: 0x0100 },
      { mask: 0 },
      { capId: 0x100 }, // standard ID wider than a byte
      { offset: 0xbe, width: 4 }, // past the standard-capability area
    ];
    for (const patch of bad) expect(codeOf(() => encodeLusimV1(ID, [{ ...RECORDS[1], ...patch }]))).toBe('invalid-input');
    expect(codeOf(() => encodeLusimV1(ID, [RECORDS[1], { ...RECORDS[1], offset: 0x08, width: 1, value: 0, mask: 0x01 }]))).toBe('invalid-input');
    expect(codeOf(() => encodeLusimV1({ ...ID, revision: 0x100 }, []))).toBe('invalid-input');
  });
});

describe('lusim-v1 compatibility rules', () => {
  const good = encodeLusimV1(ID, RECORDS);

  it('unknown capability: its records are skipped with one warning', () => {
    const d = decodeLusimV1(good, { knownCapability: (id, ext) => !(ext && id === 0x18) });
    expect(d.records).toEqual(RECORDS.filter((r) => r.capId !== 0x18));
    expect(d.warnings).toEqual([expect.objectContaining({ code: 'unknown-capability', details: { capId: 0x18, extended: true, records: 1 } })]);
  });

  it('register missing from the payload: reported, left as found', () => {
    const wanted = [
      { capId: 0x10, extended: false, offset: 0x08, width: 2, mask: 0xffff } as const,
      { capId: 0x10, extended: false, offset: 0x28, width: 2, mask: 0x040f } as const, // DEVCTL2: not carried
      { capId: 'header', extended: false, offset: 0x04, width: 2, mask: 0x0557 } as const, // 0x0010 not owned
    ];
    expect(missingRegisters(decodeLusimV1(good).records, wanted)).toEqual([
      { ...wanted[1], uncovered: 0x040f },
      { ...wanted[2], uncovered: 0x0010 },
    ]);
  });

  it('identity mismatch: refused, naming the fields', () => {
    expect(decodeLusimV1(good, { expectIdentity: ID }).records.length).toBe(RECORDS.length);
    for (const other of [{ ...ID, device: 0x10d4 }, { ...ID, revision: 1 }, { ...ID, dsn: 1n }]) {
      let err: unknown;
      try {
        decodeLusimV1(good, { expectIdentity: other });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SimError);
      expect((err as SimError).code).toBe('identity-mismatch');
      expect((err as SimError).message).toMatch(/different device/);
    }
  });

  it('checksum mismatch: refused', () => {
    const b = good.slice();
    b[0x38] ^= 0x01; // one bit of a record value
    expect(codeOf(() => decodeLusimV1(b))).toBe('checksum-mismatch');
  });

  it('newer major version: refused; version 0: refused', () => {
    for (const major of [2, 0]) {
      const b = good.slice();
      new DataView(b.buffer).setUint16(4, major, true);
      expect(codeOf(() => decodeLusimV1(reseal(b)))).toBe('unsupported-version');
    }
  });

  it('newer minor version: read, with its extra header and record bytes ignored and a warning', () => {
    const d = decodeLusimV1(minor1Payload());
    expect(d.version).toEqual({ major: 1, minor: 1 });
    expect(d.records).toEqual(RECORDS);
    expect(d.warnings.map((w) => w.code)).toEqual(['newer-minor-version']);
  });

  it('unknown record kinds and flag bits: skipped with warnings', () => {
    const b = good.slice();
    b[0x30] = 7;
    b[0x21] = 0x80;
    const d = decodeLusimV1(reseal(b));
    expect(d.records).toEqual(RECORDS.slice(1));
    expect(d.warnings.map((w) => w.code).sort()).toEqual(['unknown-flags', 'unknown-record-kind']);
  });

  it('truncation and trailing data: typed errors', () => {
    expect(codeOf(() => decodeLusimV1(good.subarray(0, good.length - 1)))).toBe('blob-truncated');
    expect(codeOf(() => decodeLusimV1(good.subarray(0, 10)))).toBe('blob-truncated');
    expect(codeOf(() => decodeLusimV1(Uint8Array.of(...good, 0)))).toBe('blob-oversized');
  });

  it('bad magic, misaligned and corrupt records (checksum re-sealed): typed errors', () => {
    expect(codeOf(() => decodeLusimV1(new Uint8Array(146)))).toBe('bad-magic');
    const edit = (at: number, val: number) => {
      const b = good.slice();
      b[at] = val;
      return reseal(b);
    };
    expect(codeOf(() => decodeLusimV1(edit(0x44, 0x09)))).toBe('blob-misaligned'); // u16 at +9
    expect(codeOf(() => decodeLusimV1(edit(0x41, 3)))).toBe('blob-corrupt'); // width 3
    expect(codeOf(() => decodeLusimV1(edit(0x50 + 0x04, 0x08)))).toBe('blob-corrupt'); // LNKCTL record now overlaps DEVCTL
    expect(codeOf(() => decodeLusimV1(edit(0x0c, 0x2c)))).toBe('blob-corrupt'); // header length below 1.0
  });
});
