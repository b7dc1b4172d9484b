import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fc, test as fcTest } from '@fast-check/vitest';
import { parseLspci } from '../../devices/dump/lspci.js';
import { walkCapabilities } from '../../devices/walker.js';

const dir = 'fixtures/malformed';
const expected = JSON.parse(readFileSync(`${dir}/expected.json`, 'utf8')) as Record<string, { finding: string; note: string }>;
const load = (name: string) => parseLspci(readFileSync(`${dir}/${name}.lspci`, 'utf8'))[0].bytes;

describe('capability walker on hand-made malformed dumps (scripts/make-malformed.ts)', () => {
  it('finds the base device clean: PM, MSI, PCIe, AER, DSN', () => {
    const res = walkCapabilities(load('base'));
    expect(res.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(res.capabilities.map((c) => [c.extended, c.id, c.offset])).toEqual([
      [false, 0x01, 0x40], [false, 0x05, 0x48], [false, 0x10, 0x60], [true, 0x0001, 0x100], [true, 0x0003, 0x148],
    ]);
  });

  for (const [name, exp] of Object.entries(expected)) {
    it(`${name}: reports ${exp.finding} (${exp.note})`, () => {
      const res = walkCapabilities(load(name));
      expect(res.findings.map((f) => f.code)).toContain(exp.finding);
    });
  }

  it('a loop stops at the first repeat (Linux would follow it for 48 hops: __pci_find_next_cap_ttl)', () => {
    const res = walkCapabilities(load('cap-loop'));
    expect(res.capabilities.filter((c) => !c.extended).map((c) => c.offset)).toEqual([0x40, 0x48, 0x60]);
  });

  it('a misaligned pointer is aligned down as Linux does (pos &= ~3)', () => {
    const res = walkCapabilities(load('pointer-misaligned'));
    expect(res.capabilities.find((c) => c.id === 0x05 && !c.extended)?.offset).toBe(0x48);
  });

  it('an overlapping capability is listed but contributes no registers', () => {
    const res = walkCapabilities(load('overlap'));
    const pcie = res.capabilities.find((c) => c.id === 0x10 && !c.extended);
    expect(pcie?.overlaps).toBeDefined();
    expect(pcie?.registers).toEqual([]);
  });
});

describe('walker on QEMU fixtures', () => {
  it('e1000e: AER (0x38 bytes, no TLP prefix support) and DSN at 0x140 do not overlap (hw/net/e1000e.c fixed offsets)', () => {
    const res = walkCapabilities(parseLspci(readFileSync('fixtures/qemu/e1000e.lspci', 'utf8'))[0].bytes);
    expect(res.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(res.capabilities.find((c) => c.key === 'dsn')?.registers.length).toBeGreaterThan(0);
  });
  it('every QEMU fixture walks without an error or warning finding', () => {
    for (const f of readdirSync('fixtures/qemu').filter((x) => x.endsWith('.lspci'))) {
      const res = walkCapabilities(parseLspci(readFileSync(`fixtures/qemu/${f}`, 'utf8'))[0].bytes);
      expect(res.findings.filter((x) => x.severity !== 'info'), f).toEqual([]);
    }
  });
});

describe('walker robustness (property-based)', () => {
  fcTest.prop([fc.uint8Array({ minLength: 0, maxLength: 4096 })], { numRuns: 300 })('never throws on arbitrary bytes', (bytes) => {
    const res = walkCapabilities(bytes);
    expect(res.capabilities.length).toBeLessThanOrEqual(48 + 480);
  });

  fcTest.prop([fc.uint8Array({ minLength: 4096, maxLength: 4096 })], { numRuns: 200 })('every placed capability with registers lies inside config space', (bytes) => {
    bytes[0x06] |= 0x10;
    for (const c of walkCapabilities(bytes).capabilities) {
      for (const reg of c.registers) expect(reg.offset + reg.width).toBeLessThanOrEqual(bytes.length);
    }
  });
});

describe("walkCapabilities(..., { chains: 'standard' }) (the reset probes' walk)", () => {
  const dumps = ['fixtures/malformed', 'fixtures/qemu', 'fixtures/synthetic'].flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.lspci')).flatMap((f) => parseLspci(readFileSync(`${d}/${f}`, 'utf8'))));
  const standardPart = (bytes: Uint8Array, known?: Uint8Array) => {
    const full = walkCapabilities(bytes, known);
    return { capabilities: full.capabilities.filter((c) => !c.extended), findings: full.findings.filter((f) => f.chain !== 'extended'), cfgSize: full.cfgSize };
  };
  it('is the full walk without the extended chain, on every fixture dump', () => {
    expect(dumps.length).toBeGreaterThan(20);
    for (const d of dumps) expect(walkCapabilities(d.bytes, undefined, { chains: 'standard' })).toEqual(standardPart(d.bytes));
  });
  fcTest.prop([fc.uint8Array({ minLength: 4096, maxLength: 4096 }), fc.integer({ min: 64, max: 4096 })], { numRuns: 200 })('and on random bytes, captured or partly captured', (bytes, captured) => {
    // A plausible header start so the walk gets going: vendor, Status.CAP_LIST, a pointer.
    bytes[0] = 0x86; bytes[1] = 0x80; bytes[6] |= 0x10; bytes[0x34] = 0x40 + (bytes[0x34] % 0xc0);
    const known = new Uint8Array(4096).fill(1, 0, captured);
    expect(walkCapabilities(bytes, known, { chains: 'standard' })).toEqual(standardPart(bytes, known));
  });
});

describe('walkCapabilities(..., { registers: false }) (the reset probes build no register tables)', () => {
  const dumps = ['fixtures/malformed', 'fixtures/qemu', 'fixtures/synthetic'].flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.lspci')).flatMap((f) => parseLspci(readFileSync(`${d}/${f}`, 'utf8'))));
  const withoutRegisters = (bytes: Uint8Array, known?: Uint8Array) => {
    const full = walkCapabilities(bytes, known);
    return { ...full, capabilities: full.capabilities.map((c) => ({ ...c, registers: [] })) };
  };
  it('places and flags exactly what the full walk does, on every fixture dump', () => {
    for (const d of dumps) expect(walkCapabilities(d.bytes, undefined, { registers: false })).toEqual(withoutRegisters(d.bytes));
  });
  // Overlaps decide on the earlier capability's registers, which this walk builds only on demand.
  fcTest.prop([fc.uint8Array({ minLength: 4096, maxLength: 4096 }), fc.integer({ min: 64, max: 4096 })], { numRuns: 300 })('and on random bytes, captured or partly captured', (bytes, captured) => {
    bytes[0] = 0x86; bytes[1] = 0x80; bytes[6] |= 0x10; bytes[0x34] = 0x40 + (bytes[0x34] % 0xc0);
    const known = new Uint8Array(4096).fill(1, 0, captured);
    expect(walkCapabilities(bytes, known, { registers: false })).toEqual(withoutRegisters(bytes, known));
  });
});
