/**
 * Generators of valid handover encodings (the Linux blob in both layouts, lusim-v1, the FDT and
 * the KHO-style envelope) and the loaders that read them back: the inputs the malformed campaign
 * breaks, and what test/sim/formats/robustness.test.ts round-trips and breaks.
 */
import fc from 'fast-check';
import { readFdt, writeFdt, type FdtNode } from '../formats/fdt.js';
import { decodeHandover, encodeHandover, type PreservedDevice } from '../formats/kho-envelope.js';
import { parseLinuxBlob, serializeLinuxBlob } from '../formats/linux-blob.js';
import { decodeLusimV1, encodeLusimV1, type LusimIdentity, type RegisterRecord } from '../formats/lusim-v1.js';
import type { PciSavedState } from '../saved-state.js';

export const savedStateArb: fc.Arbitrary<PciSavedState> = fc.record({
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

export const identityArb: fc.Arbitrary<LusimIdentity> = fc
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
export const recordsArb: fc.Arbitrary<RegisterRecord[]> = fc.uniqueArray(
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
export const fdtTreeArb: fc.Arbitrary<FdtNode> = fdtNode(3).map((n) => ({ ...n, name: '' }));

export const preservedDevicesArb: fc.Arbitrary<PreservedDevice[]> = fc.uniqueArray(
  fc.record({
    bdf: fc.tuple(fc.nat({ max: 0xffff }), fc.nat({ max: 0xff }), fc.nat({ max: 0x1f }), fc.nat({ max: 7 })).map(
      ([d, b, s, f]) => `${d.toString(16).padStart(4, '0')}:${b.toString(16).padStart(2, '0')}:${s.toString(16).padStart(2, '0')}.${f}`,
    ),
    format: fc.constantFrom('linux-blob', 'lusim-v1') as fc.Arbitrary<PreservedDevice['format']>,
    payload: fc.uint8Array({ maxLength: 64 }),
  }),
  { selector: (d) => d.bdf, maxLength: 4 },
);

export type LoaderName = 'linux-blob' | 'linux-blob rfc-packed' | 'lusim-v1' | 'fdt' | 'envelope';

/** Every loader of sim/formats; each must return or throw a SimError, whatever the bytes. */
export const LOADERS: Readonly<Record<LoaderName, (b: Uint8Array) => unknown>> = {
  'linux-blob': (b) => parseLinuxBlob(b),
  'linux-blob rfc-packed': (b) => parseLinuxBlob(b, 'rfc-packed'),
  'lusim-v1': (b) => decodeLusimV1(b),
  fdt: (b) => readFdt(b),
  envelope: (b) => decodeHandover(b),
};

/** Valid encodings for each loader. */
export const VALID_ENCODINGS: Readonly<Record<LoaderName, fc.Arbitrary<Uint8Array>>> = {
  'linux-blob': savedStateArb.map((s) => serializeLinuxBlob(s)),
  'linux-blob rfc-packed': savedStateArb.map((s) => serializeLinuxBlob(s, 'rfc-packed')),
  'lusim-v1': fc.tuple(identityArb, recordsArb).map(([id, r]) => encodeLusimV1(id, r)),
  fdt: fdtTreeArb.map((t) => writeFdt(t)),
  envelope: preservedDevicesArb.map((d) => encodeHandover(d)),
};
