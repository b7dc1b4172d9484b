/**
 * Every loader in sim/formats either returns or throws a SimError, whatever the bytes: random
 * input, single-bit flips, truncation at every offset and trailing data of valid encodings.
 * Valid encodings round-trip.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimError } from '../../../sim/errors.js';
import { fdtString, readFdt, writeFdt } from '../../../sim/formats/fdt.js';
import { decodeHandover, encodeHandover } from '../../../sim/formats/kho-envelope.js';
import { parseLinuxBlob, serializeLinuxBlob } from '../../../sim/formats/linux-blob.js';
import type { BlobLayout } from '../../../sim/formats/linux-blob.js';
import { decodeLusimV1, encodeLusimV1 } from '../../../sim/formats/lusim-v1.js';
// The generators of valid encodings live with the fuzzer, whose malformed campaign breaks the same encodings.
import {
  LOADERS as loaders, VALID_ENCODINGS as validEncodings, fdtTreeArb as fdtTree, identityArb as identity,
  preservedDevicesArb as devices, recordsArb as records, savedStateArb as savedState,
} from '../../../sim/fuzz/encodings.js';

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

describe.each(Object.keys(loaders) as (keyof typeof loaders)[])('%s loader only ever throws SimError', (key) => {
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
