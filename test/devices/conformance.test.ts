/**
 * Conformance suite over every capability in the registry (standard and extended: new entries are
 * covered automatically) and over the configuration header. Each property builds a ConfigSpace
 * from random bytes with the capability at a valid offset (its variants follow from those random
 * bytes: MSI flags, PCIe type/version, header type, ...) and checks the register table and the one
 * write path against the access kinds (PCIe r6.0 7.4).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CapabilityDef } from '../../devices/capability.js';
import { EXTENDED_CAPABILITIES, STANDARD_CAPABILITIES } from '../../devices/caps/index.js';
import { readLE } from '../../devices/bytes.js';
import { compileLayout, type ByteMasks } from '../../devices/compile.js';
import { ConfigSpace } from '../../devices/config-space.js';
import { headerRegisters } from '../../devices/header.js';
import { placeRegisters, type RegisterDef } from '../../devices/registers.js';
import { capReader } from '../../devices/walker.js';
import { PCI_BASE_ADDRESS_0 } from '../../devices/pci-regs.js';

const ALL = [...STANDARD_CAPABILITIES, ...EXTENDED_CAPABILITIES];
const RUNS = 100;

interface Built {
  readonly space: ConfigSpace;
  readonly original: Uint8Array;
  /** Absolute registers under test. */
  readonly regs: readonly RegisterDef[];
  readonly start: number;
  readonly end: number;
}

/** Place `def` in `bytes` (standard at 0x40, extended at 0x100, next pointer 0) and compile it alone. */
function buildCap(def: CapabilityDef, raw: Uint8Array, pcieType: number | undefined, headerType: number): Built & { rel: readonly RegisterDef[]; size: number } | undefined {
  const bytes = raw.slice();
  const offset = def.extended ? 0x100 : 0x40;
  if (def.extended) {
    bytes[offset] = def.id & 0xff;
    bytes[offset + 1] = def.id >> 8;
    bytes[offset + 2] &= 0x0f; // keep the random version nibble, next pointer 0
    bytes[offset + 3] = 0;
  } else {
    bytes[offset] = def.id;
    bytes[offset + 1] = 0;
  }
  const reader = capReader(bytes, offset, pcieType, headerType);
  const size = def.size(reader);
  if (offset + size > bytes.length) return undefined;
  const rel = def.registers(reader);
  const regs = placeRegisters(offset, rel);
  const space = new ConfigSpace(bytes, compileLayout(bytes.length, regs));
  return { space, original: bytes.slice(), regs, rel, size, start: offset, end: offset + size };
}

/**
 * Field names identify a field within its register, and a register name repeated at several
 * offsets (table entries: MSI-X, TPH ST, VC resources) always carries the same fields. A bit name
 * shared by different registers is allowed: Linux names the bits of AER UNCOR_STATUS/MASK/SEVER
 * and ACS CAP/CTRL alike (pci_regs.h "Same bits as above").
 */
/** One expect per table, not per register: a Root Complex Link Declaration can hold 700 registers. */
function expectUniqueFieldNames(regs: readonly RegisterDef[]): void {
  const byName = new Map<string, string>();
  const problems: string[] = [];
  for (const reg of regs) {
    const names = reg.fields.map((fd) => fd.name).filter((n) => n !== 'rsvd');
    for (const dup of names.filter((n, i) => names.indexOf(n) !== i)) problems.push(`duplicate field name ${dup} in ${reg.name}`);
    const shape = reg.fields.map((fd) => `${fd.name}:${fd.hi}:${fd.lo}`).join(',');
    const seen = byName.get(reg.name);
    if (seen !== undefined && seen !== shape) problems.push(`register ${reg.name} repeats with different fields`);
    byName.set(reg.name, shape);
  }
  expect(problems).toEqual([]);
}

const FIXED: (keyof ByteMasks)[] = ['ro', 'hwinit', 'rsvdp', 'rsvdz'];
const fixedMask = (m: ByteMasks, i: number) => FIXED.reduce((acc, k) => acc | (m[k] as Uint8Array)[i], 0);

const at = (i: number) => `0x${i.toString(16)}`;

/** Per-byte checks collect their problems so a failure lists every offending byte at once. */
function expectNoProblems(problems: string[]): void {
  expect(problems.slice(0, 8)).toEqual([]);
}

function expectDisjointMasks(m: ByteMasks, start: number, end: number): void {
  const kinds: (keyof ByteMasks)[] = ['writable', 'w1c', 'w1s', ...FIXED];
  const problems: string[] = [];
  for (let i = start; i < end; i++) {
    for (let a = 0; a < kinds.length; a++) {
      for (let b = a + 1; b < kinds.length; b++) {
        if ((m[kinds[a]] as Uint8Array)[i] & (m[kinds[b]] as Uint8Array)[i]) problems.push(`${kinds[a]} and ${kinds[b]} overlap at ${at(i)}`);
      }
    }
    if (m.volatile[i] & (m.writable[i] | m.w1s[i])) problems.push(`volatile bits are writable at ${at(i)}`);
    if (m.selfClearing[i] & ~(m.writable[i] | m.w1s[i])) problems.push(`self-clearing bits are not writable at ${at(i)}`);
  }
  expectNoProblems(problems);
}

function writeEveryRegister(b: Built, value: number): void {
  for (const reg of b.regs) b.space.write(reg.offset, reg.width, reg.width === 4 ? value >>> 0 : value & ((1 << (8 * reg.width)) - 1));
}

/** All-ones then all-zeros: fixed bits never move, RW bits follow, W1C clears, W1S sets. */
function checkOnesThenZeros(b: Built): void {
  const m = b.space.layout.masks;
  const problems: string[] = [];
  writeEveryRegister(b, 0xffffffff);
  for (let i = b.start; i < b.end; i++) {
    const now = b.space.bytes[i];
    if ((now ^ b.original[i]) & fixedMask(m, i)) problems.push(`fixed bits changed at ${at(i)} after all-ones`);
    if ((now & m.writable[i]) !== (m.writable[i] & ~m.selfClearing[i])) problems.push(`RW bits at ${at(i)} did not take the ones`);
    if (now & m.w1c[i]) problems.push(`RW1C bits at ${at(i)} not cleared by ones`);
    if ((now & m.w1s[i]) !== (m.w1s[i] & ~m.selfClearing[i])) problems.push(`RW1S bits at ${at(i)} not set by ones`);
  }
  const afterOnes = b.space.snapshot();
  writeEveryRegister(b, 0);
  for (let i = b.start; i < b.end; i++) {
    const now = b.space.bytes[i];
    if ((now ^ b.original[i]) & fixedMask(m, i)) problems.push(`fixed bits changed at ${at(i)} after all-zeros`);
    if (now & m.writable[i]) problems.push(`RW bits at ${at(i)} did not take the zeros`);
    if ((now ^ afterOnes[i]) & (m.w1c[i] | m.w1s[i])) problems.push(`writing 0 changed RW1C/RW1S bits at ${at(i)}`);
  }
  expectNoProblems(problems);
}

/** One write of `value` to `reg`: W1C clears exactly the 1s, W1S sets exactly the 1s, RW takes the value. */
function checkOneWrite(b: Built, reg: RegisterDef, value: number): void {
  const m = b.space.layout.masks;
  const before = b.space.snapshot();
  b.space.write(reg.offset, reg.width, value);
  const problems: string[] = [];
  for (let k = 0; k < reg.width; k++) {
    const i = reg.offset + k;
    const v = (value >>> (8 * k)) & 0xff;
    const expected = ((before[i] & ~(m.writable[i] | m.w1c[i] | m.w1s[i]))
      | (v & m.writable[i])
      | (before[i] & m.w1c[i] & ~v)
      | ((before[i] | v) & m.w1s[i])) & ~m.selfClearing[i] & 0xff;
    if (b.space.bytes[i] !== expected) problems.push(`byte ${at(i)} of ${reg.name} is ${at(b.space.bytes[i])}, expected ${at(expected)} after writing ${at(value)}`);
  }
  expectNoProblems(problems);
}

const randomWrites = (n: number) => fc.array(fc.tuple(fc.nat(), fc.nat({ max: 0xffffffff })), { minLength: 1, maxLength: n });

function checkRsvdZStaysZero(b: Built, writes: readonly [number, number][]): void {
  const m = b.space.layout.masks;
  for (let i = b.start; i < b.end; i++) b.space.bytes[i] &= ~m.rsvdz[i];
  for (const [pick, value] of writes) {
    const reg = b.regs[pick % b.regs.length];
    b.space.write(reg.offset, reg.width, value % 2 ** (8 * reg.width));
  }
  const problems: string[] = [];
  for (let i = b.start; i < b.end; i++) if (b.space.bytes[i] & m.rsvdz[i]) problems.push(`RsvdZ bits set at ${at(i)}`);
  expectNoProblems(problems);
}

/** Random bytes for the 1 KiB a capability can reasonably span; the rest of the 4 KiB space is 0. */
const configSpace = fc.uint8Array({ minLength: 1024, maxLength: 1024 }).map((window) => {
  const bytes = new Uint8Array(4096);
  bytes.set(window, 0);
  return bytes;
});

const capCase = fc.record({
  bytes: configSpace,
  pcieType: fc.option(fc.constantFrom(0, 1, 4, 5, 6, 7, 8, 9, 10), { nil: undefined }),
  headerType: fc.constantFrom(0, 1),
});

describe.each(ALL.map((d) => [`${d.extended ? 'ext' : 'std'} ${d.key}`, d] as const))('capability %s', (_label, def) => {
  it('registers stay inside the capability, do not overlap, and field names are unambiguous', () => {
    fc.assert(fc.property(capCase, ({ bytes, pcieType, headerType }) => {
      const b = buildCap(def, bytes, pcieType, headerType);
      fc.pre(b !== undefined);
      expect(b!.rel.length).toBeGreaterThan(0);
      expect(b!.rel.filter((reg) => reg.offset < 0 || reg.offset + reg.width > b!.size).map((reg) => `${reg.name} outside the ${b!.size}-byte capability`)).toEqual([]);
      expectUniqueFieldNames(b!.rel);
    }), { numRuns: RUNS });
  });

  it('access masks are disjoint where they must be', () => {
    fc.assert(fc.property(capCase, ({ bytes, pcieType, headerType }) => {
      const b = buildCap(def, bytes, pcieType, headerType);
      fc.pre(b !== undefined);
      expectDisjointMasks(b!.space.layout.masks, b!.start, b!.end);
    }), { numRuns: RUNS });
  });

  it('all-ones then all-zeros writes leave RO/HwInit/RsvdP/RsvdZ bits alone', () => {
    fc.assert(fc.property(capCase, ({ bytes, pcieType, headerType }) => {
      const b = buildCap(def, bytes, pcieType, headerType);
      fc.pre(b !== undefined);
      checkOnesThenZeros(b!);
    }), { numRuns: RUNS });
  });

  it('a write clears exactly the RW1C ones, sets exactly the RW1S ones, stores RW bits', () => {
    fc.assert(fc.property(capCase, fc.nat(), fc.nat({ max: 0xffffffff }), ({ bytes, pcieType, headerType }, pick, value) => {
      const b = buildCap(def, bytes, pcieType, headerType);
      fc.pre(b !== undefined);
      const reg = b!.regs[pick % b!.regs.length];
      checkOneWrite(b!, reg, value % 2 ** (8 * reg.width));
    }), { numRuns: RUNS });
  });

  it('RsvdZ bits that start 0 read 0 after any write sequence', () => {
    fc.assert(fc.property(capCase, randomWrites(20), ({ bytes, pcieType, headerType }, writes) => {
      const b = buildCap(def, bytes, pcieType, headerType);
      fc.pre(b !== undefined);
      checkRsvdZStaysZero(b!, writes);
    }), { numRuns: RUNS });
  });
});

/** A header of `headerType` over random bytes, with BAR sizes valid for each BAR's random type bits. */
function buildHeader(raw: Uint8Array, headerType: number, exps: readonly (number | undefined)[]): Built {
  const bytes = raw.slice();
  bytes[0x0e] = (bytes[0x0e] & 0x80) | headerType;
  const count = [6, 2, 1][headerType];
  const barSizes = exps.map((e, i) => {
    if (e === undefined || e === 0) return e;
    if (i === 6) return 2 ** (11 + (e % 21));
    const bar = bytes[PCI_BASE_ADDRESS_0 + 4 * i];
    if (bar & 1) return 2 ** (2 + (e % 30));
    const is64 = (bar & 6) === 4 && i + 1 < count;
    return 2 ** (4 + (e % (is64 ? 44 : 28)));
  });
  const regs = headerRegisters(headerType, { barSizes, bytes });
  const space = new ConfigSpace(bytes, compileLayout(256, regs));
  return { space, original: bytes.slice(), regs, start: 0, end: 64 };
}

const headerCase = fc.record({
  bytes: fc.uint8Array({ minLength: 256, maxLength: 256 }),
  headerType: fc.constantFrom(0, 1, 2),
  exps: fc.array(fc.option(fc.nat({ max: 60 }), { nil: undefined }), { minLength: 7, maxLength: 7 }),
});

describe('configuration header (types 0, 1, 2)', () => {
  it('field names are unique and masks disjoint', () => {
    fc.assert(fc.property(headerCase, ({ bytes, headerType, exps }) => {
      const b = buildHeader(bytes, headerType, exps);
      // The header is stricter: every field name is unique, so overrides and --fields are unambiguous.
      const names = b.regs.flatMap((reg) => reg.fields.map((fd) => fd.name));
      expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
      expectDisjointMasks(b.space.layout.masks, 0, 64);
    }), { numRuns: 100 });
  });

  it('all-ones then all-zeros writes leave fixed bits alone', () => {
    fc.assert(fc.property(headerCase, ({ bytes, headerType, exps }) => checkOnesThenZeros(buildHeader(bytes, headerType, exps))), { numRuns: 100 });
  });

  it('a write clears exactly the RW1C ones and stores RW bits', () => {
    fc.assert(fc.property(headerCase, fc.nat(), fc.nat({ max: 0xffffffff }), ({ bytes, headerType, exps }, pick, value) => {
      const b = buildHeader(bytes, headerType, exps);
      const reg = b.regs[pick % b.regs.length];
      checkOneWrite(b, reg, value % 2 ** (8 * reg.width));
    }), { numRuns: 100 });
  });

  it('BAR0 sized by writing all-ones reads back ones in every writable address bit', () => {
    fc.assert(fc.property(headerCase, ({ bytes, headerType, exps }) => {
      const b = buildHeader(bytes, headerType, exps);
      const bar0 = b.regs.find((reg) => reg.name === 'PCI_BASE_ADDRESS_0')!;
      b.space.write(bar0.offset, 4, 0xffffffff);
      const writable = readLE(b.space.layout.masks.writable, bar0.offset, 4);
      expect((b.space.read(bar0.offset, 4) & writable) >>> 0).toBe(writable);
    }), { numRuns: 100 });
  });
});

describe('registry', () => {
  it('has one definition per (extended, id) and unique keys', () => {
    const ids = ALL.map((d) => `${d.extended}:${d.id}`);
    expect(ids.filter((k, i) => ids.indexOf(k) !== i)).toEqual([]);
    const keys = ALL.map((d) => d.key);
    expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
  });

  it('holds the standard capabilities this suite was written for', () => {
    expect(STANDARD_CAPABILITIES.map((d) => d.key)).toEqual(expect.arrayContaining(['pm', 'msi', 'msix', 'pcie', 'pcix', 'vndr', 'ssvid', 'af', 'ea']));
  });
});
