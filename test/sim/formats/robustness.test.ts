/**
 * Every loader in sim/formats either returns or throws a SimError, whatever the bytes: random
 * input, single-bit flips, truncation at every offset and trailing data of valid encodings.
 * Valid encodings round-trip.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimError } from '../../../sim/errors.js';
import { fdtString, readFdt, writeFdt } from '../../../sim/formats/fdt.js';
import type { FdtNode } from '../../../sim/formats/fdt.js';
import { decodeHandover, encodeHandover } from '../../../sim/formats/kho-envelope.js';
import type { PreservedDevice } from '../../../sim/formats/kho-envelope.js';
import { parseLinuxBlob, serializeLinuxBlob } from '../../../sim/formats/linux-blob.js';
import type { BlobLayout } from '../../../sim/formats/linux-blob.js';
import { decodeLusimV1, encodeLusimV1 } from '../../../sim/formats/lusim-v1.js';
import type { LusimIdentity, RegisterRecord } from '../../../sim/formats/lusim-v1.js';
import type { PciSavedState } from '../../../sim/saved-state.js';

type Outcome = { ok: true } | { ok: false; code: string };

/** Runs a loader; anything thrown that is not a SimError fails the property. */
function run(load: (b: Uint8Array) => unknown, bytes: Uint8Array): Outcome {
  try {
    load(bytes);
    return { ok: true };
  } catch (e) {
    if (!(e instanceof SimError)) throw new Error(`loader threw a non-SimError: ${String(e)}`, { cause: e });
    return { ok: false, code: e.code };
  }
}

const loaders: Record<string, (b: Uint8Array) => unknown> = {
  'linux-blob': (b) => parseLinuxBlob(b),
  'linux-blob rfc-packed': (b) => parseLinuxBlob(b, 'rfc-packed'),
  'lusim-v1': (b) => decodeLusimV1(b),
  fdt: (b) => readFdt(b),
  envelope: (b) => decodeHandover(b),
};

// ---- generators of valid values ----

const savedState: fc.Arbitrary<PciSavedState> = fc.record({
  configSpace: fc.array(fc.nat({ max: 0xffffffff }), { minLength: 16, maxLength: 16 }).map((a) => Uint32Array.from(a)),
  caps: fc.array(
    fc.boolean().chain((extended) =>
      fc.record({
        capNr: fc.integer({ min: 0, max: extended ? 0xffff : 0xff }),
        extended: fc.constant(extended),
        data: fc.uint8Array({ minLength: 1, maxLength: 40 }),
      }),
    ),
    { maxLength: 8 },
  ),
});

const identity: fc.Arbitrary<LusimIdentity> = fc
  .record({
    vendor: fc.nat({ max: 0xffff }),
    device: fc.nat({ max: 0xffff }),
    subsystemVendor: fc.nat({ max: 0xffff }),
    subsystemDevice: fc.nat({ max: 0xffff }),
    classCode: fc.nat({ max: 0xffffff }),
    revision: fc.nat({ max: 0xff }),
    dsn: fc.option(fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }), { nil: undefined }),
  })
  .map(({ dsn, ...rest }) => (dsn === undefined ? rest : { ...rest, dsn }));

/** One record per (space, dword): records never own the same bits. */
const records: fc.Arbitrary<RegisterRecord[]> = fc.uniqueArray(
  fc
    .record({
      kind: fc.constantFrom('header', 'std', 'ext'),
      capId: fc.nat({ max: 0xff }),
      dword: fc.nat({ max: 15 }),
      width: fc.constantFrom(1, 2, 4) as fc.Arbitrary<1 | 2 | 4>,
      lane: fc.nat({ max: 3 }),
      mask: fc.nat({ max: 0xffffffff }),
      bits: fc.nat({ max: 0xffffffff }),
    })
    .map((r) => {
      const full = r.width === 4 ? 0xffffffff : (1 << (8 * r.width)) - 1;
      const mask = (r.mask & full) >>> 0 || 1;
      return {
        capId: r.kind === 'header' ? ('header' as const) : r.capId,
        extended: r.kind === 'ext',
        offset: r.dword * 4 + ((r.lane * r.width) % 4),
        width: r.width,
        value: (r.bits & mask) >>> 0,
        mask,
      };
    }),
  { selector: (r) => `${String(r.capId)}/${r.extended}/${r.offset >> 2}`, maxLength: 12 },
);

const name = fc.stringMatching(/^[a-z][a-z0-9,._+-]{0,12}$/);
function fdtNode(depth: number): fc.Arbitrary<FdtNode> {
  return fc.record({
    name,
    properties: fc.uniqueArray(fc.record({ name, value: fc.uint8Array({ maxLength: 24 }) }), { selector: (p) => p.name, maxLength: 4 }),
    children: depth === 0 ? fc.constant([]) : fc.uniqueArray(fdtNode(depth - 1), { selector: (n) => n.name, maxLength: 3 }),
  });
}
const fdtTree: fc.Arbitrary<FdtNode> = fdtNode(3).map((n) => ({ ...n, name: '' }));

const devices: fc.Arbitrary<PreservedDevice[]> = fc.uniqueArray(
  fc.record({
    bdf: fc.tuple(fc.nat({ max: 0xffff }), fc.nat({ max: 0xff }), fc.nat({ max: 0x1f }), fc.nat({ max: 7 })).map(
      ([d, b, s, f]) => `${d.toString(16).padStart(4, '0')}:${b.toString(16).padStart(2, '0')}:${s.toString(16).padStart(2, '0')}.${f}`,
    ),
    format: fc.constantFrom('linux-blob', 'lusim-v1') as fc.Arbitrary<PreservedDevice['format']>,
    payload: fc.uint8Array({ maxLength: 64 }),
  }),
  { selector: (d) => d.bdf, maxLength: 4 },
);

const validEncodings: Record<string, fc.Arbitrary<Uint8Array>> = {
  'linux-blob': savedState.map((s) => serializeLinuxBlob(s)),
  'linux-blob rfc-packed': savedState.map((s) => serializeLinuxBlob(s, 'rfc-packed')),
  'lusim-v1': fc.tuple(identity, records).map(([id, r]) => encodeLusimV1(id, r)),
  fdt: fdtTree.map((t) => writeFdt(t)),
  envelope: devices.map((d) => encodeHandover(d)),
};

describe('round trips of valid encodings', () => {
  it('linux-blob, both layouts', () => {
    for (const layout of ['kernel', 'rfc-packed'] as BlobLayout[]) {
      fc.assert(fc.property(savedState, (s) => {
        expect(parseLinuxBlob(serializeLinuxBlob(s, layout), layout)).toEqual(s);
      }));
    }
  });
  it('lusim-v1', () => {
    fc.assert(
      fc.property(identity, records, (id, r) => {
        expect(decodeLusimV1(encodeLusimV1(id, r))).toEqual({ version: { major: 1, minor: 0 }, identity: id, records: r, warnings: [] });
      }),
    );
  });
  it('fdt', () => {
    fc.assert(fc.property(fdtTree, (t) => {
        expect(readFdt(writeFdt(t)).root).toEqual(t);
      }));
  });
  it('envelope', () => {
    fc.assert(fc.property(devices, (d) => {
        expect(decodeHandover(encodeHandover(d))).toEqual(d);
      }));
  });
});

describe.each(Object.keys(loaders))('%s loader only ever throws SimError', (key) => {
  const load = loaders[key];
  const valid = validEncodings[key];

  it('on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (b) => void run(load, b)), { numRuns: 2000 });
  });

  it('on random bytes behind a valid prefix (magic, header)', () => {
    fc.assert(
      fc.property(valid, fc.nat(), fc.uint8Array({ maxLength: 256 }), (good, cut, tail) => {
        const keep = cut % (good.length + 1);
        run(load, Uint8Array.of(...good.subarray(0, keep), ...tail));
      }),
      { numRuns: 1000 },
    );
  });

  it('on single-bit flips', () => {
    fc.assert(
      fc.property(valid, fc.nat(), (good, bit) => {
        const b = good.slice();
        const at = bit % (b.length * 8);
        b[at >> 3] ^= 1 << (at & 7);
        const out = run(load, b);
        // CRC-32 detects every single-bit error: lusim-v1 must refuse them all.
        if (key === 'lusim-v1') expect(out.ok).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('on truncation at every offset and on trailing data', () => {
    fc.assert(
      fc.property(valid, fc.integer({ min: 1, max: 16 }), (good, extra) => {
        for (let n = 0; n < good.length; n++) expect(run(load, good.subarray(0, n)).ok).toBe(false);
        expect(run(load, Uint8Array.of(...good, ...new Uint8Array(extra))).ok).toBe(false);
        expect(run(load, good)).toEqual({ ok: true });
      }),
      { numRuns: 100 },
    );
  });
});

describe('FDT reader: each structural rule has its typed error', () => {
  const good = writeFdt({ name: '', properties: [{ name: 'compatible', value: fdtString('x') }], children: [] });
  const edit = (word: number, value: number) => {
    const b = good.slice();
    new DataView(b.buffer).setUint32(word * 4, value);
    return b;
  };
  const code = (b: Uint8Array) => run(readFdt, b);
  it('bad magic, truncated, oversized, misaligned, version, corrupt', () => {
    expect(code(edit(0, 0xfeedd00d))).toEqual({ ok: false, code: 'fdt-bad-magic' });
    expect(code(good.subarray(0, 20))).toEqual({ ok: false, code: 'fdt-truncated' });
    expect(code(Uint8Array.of(...good, 0, 0, 0, 0))).toEqual({ ok: false, code: 'fdt-oversized' });
    expect(code(edit(2, 0x3a))).toEqual({ ok: false, code: 'fdt-misaligned' }); // off_dt_struct
    expect(code(edit(4, 0x2c))).toEqual({ ok: false, code: 'fdt-misaligned' }); // off_mem_rsvmap
    expect(code(edit(5, 16))).toEqual({ ok: false, code: 'fdt-unsupported-version' });
    expect(code(edit(14, 0x7))).toEqual({ ok: false, code: 'fdt-corrupt' }); // first token: unknown
  });
});
