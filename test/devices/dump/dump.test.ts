import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fc, test as fcTest } from '@fast-check/vitest';
import { detectFormat, parseDump } from '../../../devices/dump/index.js';
import { formatBdf, parseBdf } from '../../../devices/dump/bdf.js';
import { formatSnapshotJson, parseSnapshotJson } from '../../../devices/dump/json.js';
import { formatLspci, parseLspci } from '../../../devices/dump/lspci.js';
import { formatRaw, parseRaw } from '../../../devices/dump/raw.js';
import { DeviceError } from '../../../devices/errors.js';
import type { DumpDevice } from '../../../devices/dump/types.js';

const arbBdf = fc.record({ domain: fc.constant(0), bus: fc.integer({ min: 0, max: 255 }), device: fc.integer({ min: 0, max: 31 }), fn: fc.integer({ min: 0, max: 7 }) });
const arbDevice: fc.Arbitrary<DumpDevice> = fc.record({
  bdf: arbBdf,
  bytes: fc.constantFrom(64, 256, 4096).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
});
const uniqueDevices = fc.uniqueArray(arbDevice, { minLength: 1, maxLength: 4, selector: (d) => formatBdf(d.bdf) });
const strip = (ds: DumpDevice[]) => ds.map((d) => ({ bdf: formatBdf(d.bdf), bytes: Array.from(d.bytes) }));

describe('dump formats round-trip (property-based)', () => {
  fcTest.prop([uniqueDevices], { numRuns: 50 })('lspci text', (devs) => {
    expect(strip(parseLspci(formatLspci(devs)))).toEqual(strip(devs));
  });
  fcTest.prop([uniqueDevices], { numRuns: 50 })('JSON snapshot', (devs) => {
    expect(strip(parseSnapshotJson(formatSnapshotJson(devs)))).toEqual(strip(devs));
  });
  fcTest.prop([arbDevice], { numRuns: 50 })('raw binary', (dev) => {
    expect(Array.from(parseRaw(formatRaw(dev), dev.bdf).bytes)).toEqual(Array.from(dev.bytes));
  });
  fcTest.prop([uniqueDevices], { numRuns: 30 })('format detection tells them apart', (devs) => {
    const enc = (s: string) => new Uint8Array(Array.from(s, (c) => c.charCodeAt(0)));
    expect(detectFormat(enc(formatLspci(devs)))).toBe('lspci');
    expect(detectFormat(enc(formatSnapshotJson(devs)))).toBe('json');
  });
  fcTest.prop([fc.string({ maxLength: 400 })], { numRuns: 300 })('parsing arbitrary text throws only DeviceError', (s) => {
    try { parseLspci(s); } catch (e) { expect(e).toBeInstanceOf(DeviceError); }
    try { parseSnapshotJson(s); } catch (e) { expect(e).toBeInstanceOf(DeviceError); }
  });
});

describe('lspci text compatibility', () => {
  it('Debian lspci -F reads what formatLspci writes (pciutils lib/dump.c)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lusim-dump-'));
    try {
      const bytes = new Uint8Array(256);
      bytes.set([0x86, 0x80, 0xd3, 0x10]);
      const file = join(dir, 'd.lspci');
      writeFileSync(file, formatLspci([{ bdf: parseBdf('01:00.0'), bytes }]));
      const out = execFileSync('lspci', ['-F', file, '-n'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      expect(out).toContain('01:00.0');
      expect(out).toContain('8086:10d3');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('reads domains, CRLF, and bytes not given as 0xff (dump_alloc_data)', () => {
    const [d] = parseLspci('0000:02:00.0 Foo\r\n00: 86 80\r\n08: 01\r\n');
    expect(formatBdf(d.bdf)).toBe('02:00.0');
    expect(Array.from(d.bytes)).toEqual([0x86, 0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  });
  it('reports the line of a malformed hex line', () => {
    expect(() => parseLspci('01:00.0 X\n00: 86 zz\n')).toThrow(/line 2/);
  });
  it('rejects a raw dump of an impossible size with the sizes it accepts', () => {
    expect(() => parseDump(new Uint8Array(100).fill(1), { format: 'raw' })).toThrow(/64, 256 or 4096/);
  });
  it('refuses a function named twice (two captures joined), in lspci and in a snapshot; another domain is another function', () => {
    const one = formatLspci([{ bdf: parseBdf('01:00.0'), bytes: new Uint8Array(64).fill(0x11) }]);
    const twice = new TextEncoder().encode(one + one);
    expect(() => parseDump(twice)).toThrow('the dump holds 01:00.0 twice (two captures joined?): keep one of them');
    const json = JSON.parse(formatSnapshotJson(parseDump(new TextEncoder().encode(one))));
    json.devices.push(json.devices[0]);
    expect(() => parseDump(new TextEncoder().encode(JSON.stringify(json)))).toThrow(/holds 01:00\.0 twice/);
    const domains = formatLspci([{ bdf: parseBdf('01:00.0'), bytes: new Uint8Array(64) }, { bdf: parseBdf('0001:01:00.0'), bytes: new Uint8Array(64) }]);
    expect(parseDump(new TextEncoder().encode(domains)).map((d) => formatBdf(d.bdf))).toEqual(['01:00.0', '0001:01:00.0']);
  });
});
