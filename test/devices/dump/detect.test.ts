/**
 * Input robustness of the dump readers (issue 13): format detection by content, UTF-8 descriptions
 * kept intact, plain lspci refused, snapshots validated against their schema, printed text escaped.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fc, test as fcTest } from '@fast-check/vitest';
import { detectFormat, parseDump } from '../../../devices/dump/index.js';
import { formatSnapshotJson } from '../../../devices/dump/json.js';
import { formatLspci, parseLspci } from '../../../devices/dump/lspci.js';
import { decodeText } from '../../../devices/dump/text.js';
import { DeviceError } from '../../../devices/errors.js';

const utf8 = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
const fixture = readFileSync('fixtures/qemu/e1000e.lspci', 'utf8');
const [e1000e] = parseLspci(fixture);

function messageOf(f: () => unknown): string {
  try {
    f();
    return 'ok';
  } catch (e) {
    expect(e).toBeInstanceOf(DeviceError);
    return (e as Error).message;
  }
}

describe('format detection by content', () => {
  it('a raw config whose vendor low byte is 0x7b ("{") is raw, not JSON', () => {
    const raw = e1000e.bytes.slice(0, 256);
    raw[0] = 0x7b;
    expect(detectFormat(raw)).toBe('raw');
    expect(parseDump(raw)[0].bytes[0]).toBe(0x7b);
  });
  it('JSON starting with [ is read as JSON and told it is an array, naming the format tried', () => {
    const m = messageOf(() => parseDump(utf8('[{"bdf":"01:00.0"}]')));
    expect(m).toMatch(/^a JSON array input is not a lusim snapshot/);
    expect(m).toMatch(/\(read as json: detected by content\)$/);
    // The caller's option is named only when it gives one (test/cli/inputs.test.ts: per command).
    expect(messageOf(() => parseDump(utf8('[{"bdf":"01:00.0"}]'), { formatOption: '--input-format' }))).toMatch(/\(read as json: detected by content; --input-format lspci or raw reads it otherwise\)$/);
  });
  it('an lspci dump with UTF-8 pci.ids names (für) is lspci, and the description survives a round trip', () => {
    const name = 'Ethernet controller: Intel Corporation 82574L Gigabit-Netzwerkverbindung für Server';
    const text = fixture.replace(/^(\S+) .*$/m, `$1 ${name}`);
    expect(detectFormat(utf8(text))).toBe('lspci');
    const [d] = parseDump(utf8(text));
    expect(d.description).toBe(name);
    expect(parseDump(utf8(formatLspci([d])))[0].description).toBe(name);
    expect(parseDump(utf8(formatSnapshotJson([d])))[0].description).toBe(name);
  });
  it('plain lspci (no hex lines) is refused with the command to run', () => {
    const m = messageOf(() => parseDump(utf8('00:00.0 Host bridge: Intel Corporation 82G33/G31/P35/P31 Express DRAM Controller\n01:00.0 Ethernet controller: Intel Corporation 82574L\n')));
    expect(m).toMatch(/^this is lspci output without -xxx: run lspci -xxxx \(device 00:00\.0 has no/);
  });
});

describe('snapshot schema', () => {
  const doc = (dev: Record<string, unknown>) => utf8(JSON.stringify({ format: 'lusim-snapshot', version: 1, devices: [{ bdf: '01:00.0', config: '8680d310', ...dev }] }));
  it('an object as description, a newline in it, a bad bdf or odd hex: one line naming the field', () => {
    expect(messageOf(() => parseDump(doc({ description: { a: 1 } })))).toMatch(/^snapshot field \/devices\/0\/description must be string/);
    expect(messageOf(() => parseDump(doc({ description: 'x\n02:00.0 injected' })))).toMatch(/^snapshot field \/devices\/0\/description must match pattern/);
    expect(messageOf(() => parseDump(doc({ bdf: 'zz' })))).toMatch(/^snapshot field \/devices\/0\/bdf must match pattern/);
    expect(messageOf(() => parseDump(doc({ config: '868' })))).toMatch(/^snapshot field \/devices\/0\/config must match pattern/);
    expect(messageOf(() => parseDump(doc({ confg: 'typo' })))).toMatch(/must NOT have additional properties/);
  });
  it('a description is printed on one line whatever it holds (no device injected on dump --format lspci)', () => {
    const out = formatLspci([{ ...e1000e, description: 'x\n02:00.0 injected' }]);
    expect(parseLspci(out).map((d) => d.description)).toEqual(['x\\x0a02:00.0 injected']);
  });
});

describe('decodeText', () => {
  fcTest.prop([fc.string({ unit: 'grapheme', maxLength: 200 }).filter((s) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(s))])('decodes any control-free text as Node does', (s) => {
    expect(decodeText(utf8(s))).toBe(s);
  });
  fcTest.prop([fc.uint8Array({ maxLength: 64 })], { numRuns: 500 })('accepts exactly the valid UTF-8 that has no control characters', (b) => {
    let node: string | undefined;
    try {
      node = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(b);
    } catch {
      node = undefined;
    }
    if (node !== undefined && /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(node)) node = undefined;
    expect(decodeText(b)).toBe(node);
  });
});
