/**
 * Loading a lusim-v1 payload into kernel B's buffers (sim/cycle/carry.ts loadCarried): each record
 * applies by offset, width and mask; bits no record owns are left as found (docs/formats.md).
 * Regression (issue 13): a header record narrower than 4 bytes overwrote its whole dword from bit 0
 * and ignored its mask, so PCI_COMMAND's Memory and Bus Master were lost while state_saved was true.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { capabilityById } from '../../../devices/capability-lookup.js';
import { readLE } from '../../../devices/bytes.js';
import { deviceIdentity, loadCarried } from '../../../sim/cycle/carry.js';
import { modelUnderTest } from '../../../sim/cycle/model-access.js';
import { hasRtctl } from '../../../sim/cycle/provenance.js';
import { applyRecords, encodeLusimV1, type RegisterRecord } from '../../../sim/formats/lusim-v1.js';
import { allocateSaveBuffers } from '../../../sim/linux/alloc.js';
import { newPciDev } from '../../../sim/linux/dev.js';
import { pciSetupDevice } from '../../../sim/linux/find-cap.js';
import { bufferSlots } from '../../../sim/linux/layouts.js';
import { kernelProfile } from '../../../sim/linux/profiles.js';
import { fixture } from './helpers.js';

const B = kernelProfile('6.12');
const e1000e = fixture('e1000e', 'auto');

async function load(records: RegisterRecord[]) {
  const fn = e1000e();
  const access = modelUnderTest(fn).access;
  const dev = newPciDev(access);
  await pciSetupDevice(dev);
  await allocateSaveBuffers(B, dev);
  const out = await loadCarried({ format: 'lusim-v1', bytes: encodeLusimV1(deviceIdentity(fn), records) }, fn, B, dev.saved, access.config);
  return { fn, saved: dev.saved, out };
}

const header = (offset: number, width: 1 | 2 | 4, value: number, mask = width === 4 ? 0xffffffff : (1 << (8 * width)) - 1): RegisterRecord => ({ capId: 'header', extended: false, offset, width, value: (value & mask) >>> 0, mask });

describe('lusim-v1 load: records by offset, width and mask', () => {
  it('regression: PCI_COMMAND (0x04, 2 bytes) then PCI_STATUS (0x06, 2 bytes) fill dword 0x04; Memory and Bus Master survive', async () => {
    const { saved, out } = await load([header(0x04, 2, 0x0006), header(0x06, 2, 0x0010)]);
    expect(out.ret).toBe(0);
    expect(saved.stateSaved).toBe(true);
    expect(saved.savedConfigSpace[1]).toBe(0x00100006);
  });
  it('a partial mask takes only its bits; the rest of the register is left as found and reported', async () => {
    const { fn, saved, out } = await load([header(0x04, 2, 0x0006, 0x0006)]);
    const found = fn.space.read(0x04, 4);
    expect(saved.savedConfigSpace[1]).toBe(((found & ~0x6) | 0x6) >>> 0);
    expect(out.notes.some((n) => n.includes('bits 0xfffffff9 of header dword 0x04 have no record: left as found'))).toBe(true);
  });
  it('applyRecords merges overlapping bytes of records of another width, and only those of the same capability', () => {
    const recs: RegisterRecord[] = [
      { capId: 0x10, extended: false, offset: 0x08, width: 1, value: 0x10, mask: 0xf0 },
      { capId: 0x10, extended: false, offset: 0x09, width: 1, value: 0x28, mask: 0xff },
      { capId: 0x10, extended: true, offset: 0x08, width: 2, value: 0xffff, mask: 0xffff },
    ];
    expect(applyRecords(recs, { capId: 0x10, extended: false, offset: 0x08, width: 2 }, 0x000f)).toEqual({ value: 0x281f, uncovered: 0x000f });
    expect(applyRecords(recs, { capId: 0x10, extended: false, offset: 0x08, width: 4 }, 0xabcd0000)).toEqual({ value: 0xabcd2810, uncovered: 0xffff000f });
  });
});

/** A register split into records: whole, two halves or single bytes (some left out), each with a random non-empty mask. */
function splitRecords(base: Omit<RegisterRecord, 'width' | 'value' | 'mask'>, width: 2 | 4) {
  const pieces = fc.constantFrom(...([1, 2, 4] as const).filter((w) => w <= width));
  return pieces.chain((w) => fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: w === 4 ? 0xffffffff : (1 << (8 * w)) - 1 }), fc.integer({ min: 0, max: 0xffffffff })), { minLength: width / w, maxLength: width / w }).map((parts) =>
    parts.flatMap(([keep, mask, value], i) => (keep ? [{ ...base, offset: base.offset + i * w, width: w, mask: mask >>> 0, value: (value & mask) >>> 0 }] : [])),
  ));
}

/** What the records say of a register, byte by byte, with `found` for the bits none owns. */
function expected(records: RegisterRecord[], capId: RegisterRecord['capId'], extended: boolean, offset: number, width: number, found: number): number {
  let v = found;
  for (const r of records.filter((x) => x.capId === capId && x.extended === extended)) {
    for (let b = 0; b < r.width; b++) {
      const at = r.offset + b - offset;
      if (at < 0 || at >= width) continue;
      const m = ((r.mask >>> (8 * b)) & 0xff) << (8 * at);
      v = (v & ~m) | ((((r.value >>> (8 * b)) & 0xff) << (8 * at)) & m);
    }
  }
  return v >>> 0;
}

describe('lusim-v1 load: property', () => {
  const exp = capabilityById(e1000e(), 0x10, false)!;
  const expSlots = bufferSlots(B.layouts, 0x10, false, hasRtctl(e1000e()))!.filter((s) => s.offset >= 0);
  const headerRecs = fc.tuple(...Array.from({ length: 16 }, (_, i) => splitRecords({ capId: 'header', extended: false, offset: i * 4 }, 4))).map((a) => a.flat());
  const expRecs = fc.tuple(...expSlots.map((s) => splitRecords({ capId: 0x10, extended: false, offset: s.offset }, 2))).map((a) => a.flat());

  it('any valid lusim-v1 payload restores exactly what its records say (header dwords and EXP slots), the rest as found', async () => {
    await fc.assert(fc.asyncProperty(headerRecs, expRecs, async (h, e) => {
      const records = [...h, ...e];
      const { fn, saved, out } = await load(records);
      expect(out.ret).toBe(0);
      for (let i = 0; i < 16; i++) expect(saved.savedConfigSpace[i]).toBe(expected(records, 'header', false, i * 4, 4, fn.space.read(i * 4, 4)));
      const buf = saved.savedCapSpace.find((b) => b.capNr === 0x10 && !b.extended)!;
      for (const s of expSlots) expect(readLE(buf.data, s.dataOffset, s.width)).toBe(expected(records, 0x10, false, s.offset, s.width, fn.space.read(exp.offset + s.offset, s.width)));
    }), { numRuns: 150 });
  });
});
