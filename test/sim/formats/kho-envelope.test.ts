/**
 * The FDT writer/reader and the handover envelope, checked against Debian's dtc 1.6 and fdtdump:
 * what we write must decompile to the expected source, and what dtc compiles we must read.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SimError } from '../../../sim/errors.js';
import { fdtString, fdtTotalSize, fdtU32, readFdt, writeFdt } from '../../../sim/formats/fdt.js';
import { decodeHandover, encodeHandover, PAYLOAD_COMPATIBLE } from '../../../sim/formats/kho-envelope.js';
import type { PreservedDevice } from '../../../sim/formats/kho-envelope.js';
import { encodeLusimV1 } from '../../../sim/formats/lusim-v1.js';
import { serializeLinuxBlob } from '../../../sim/formats/linux-blob.js';

const dir = mkdtempSync(join(tmpdir(), 'lusim-fdt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tool(cmd: string, args: string[], input?: Uint8Array): string {
  const file = join(dir, 'in.dtb');
  if (input) writeFileSync(file, input);
  return execFileSync(cmd, args.map((a) => (a === '@in' ? file : a)), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const linuxBlob = serializeLinuxBlob({
  configSpace: Uint32Array.from({ length: 16 }, (_, i) => 0x10d38086 + i),
  caps: [{ capNr: 0x10, extended: false, data: Uint8Array.from({ length: 14 }, (_, i) => i) }],
});
const lusim = encodeLusimV1(
  { vendor: 0x1b36, device: 0x0010, subsystemVendor: 0x1af4, subsystemDevice: 0x1100, classCode: 0x010802, revision: 2 },
  [{ capId: 'header', extended: false, offset: 4, width: 2, value: 0x0406, mask: 0x0547 }],
);
const DEVICES: PreservedDevice[] = [
  { bdf: '0000:03:00.0', format: 'linux-blob', payload: linuxBlob },
  { bdf: '0000:00:1f.7', format: 'lusim-v1', payload: lusim },
];
/** A dts property value as bytes: [aa bb ...] or <0xcell ...> (big-endian u32 cells). */
function dtsBytes(v: string): Uint8Array {
  const items = v.slice(1, -1).trim().split(/\s+/).filter(Boolean);
  if (v.startsWith('[')) return Uint8Array.from(items, (h) => parseInt(h, 16));
  return Uint8Array.from(items.flatMap((c) => [...fdtU32(Number(c))]));
}

describe('handover envelope, decoded by dtc and fdtdump', () => {
  const dtb = encodeHandover(DEVICES);

  it('dtc -I dtb -O dts prints the expected tree, without warnings', () => {
    writeFileSync(join(dir, 'env.dtb'), dtb);
    const res = spawnSync('dtc', ['-I', 'dtb', '-O', 'dts', join(dir, 'env.dtb')], { encoding: 'utf8' });
    expect(res.status).toBe(0);
    expect(res.stderr).toBe('');
    // dtc prints a payload as <cells> when its length is a multiple of 4, else as [bytes].
    const payloads: Uint8Array[] = [];
    const skeleton = res.stdout.replace(/payload = (\[[^\]]*\]|<[^>]*>);/g, (_, v: string) => {
      payloads.push(dtsBytes(v));
      return 'payload = ...;';
    });
    expect(skeleton).toBe(
      [
        '/dts-v1/;',
        '',
        '/ {',
        '\tcompatible = "lusim-handover-v1";',
        '',
        '\tpci-0000-03-00.0 {',
        `\t\tcompatible = "${PAYLOAD_COMPATIBLE['linux-blob']}";`,
        '\t\tbdf = "0000:03:00.0";',
        '\t\tpayload = ...;',
        '\t};',
        '',
        '\tpci-0000-00-1f.7 {',
        `\t\tcompatible = "${PAYLOAD_COMPATIBLE['lusim-v1']}";`,
        '\t\tbdf = "0000:00:1f.7";',
        '\t\tpayload = ...;',
        '\t};',
        '};',
        '',
      ].join('\n'),
    );
    expect(payloads).toEqual([linuxBlob, lusim]);
  });

  it('fdtdump reports a version-17 header whose sizes match the bytes', () => {
    const out = tool('fdtdump', ['@in'], dtb);
    expect(out).toContain('// magic:\t\t0xd00dfeed');
    expect(out).toContain(`// totalsize:\t\t0x${dtb.length.toString(16)} (${dtb.length})`);
    expect(out).toContain('// version:\t\t17');
    expect(out).toContain('// last_comp_version:\t16');
    expect(out).toMatch(/pci-0000-03-00\.0 \{\s+compatible = "lusim,pci-state-linux-blob-v1";/);
  });

  it('round-trips through decodeHandover, and through dtc -O dtb re-encoding', () => {
    expect(decodeHandover(dtb)).toEqual(DEVICES);
    const recompiled = execFileSync('dtc', ['-I', 'dtb', '-O', 'dtb', join(dir, 'in.dtb')]);
    expect(decodeHandover(new Uint8Array(recompiled))).toEqual(DEVICES);
  });

  it('refuses unknown payload compatibles (LUO -ENOENT), other envelope versions, wrong BDFs', () => {
    const withRoot = (compatible: string, children = [] as ReturnType<typeof readFdt>['root']['children']) =>
      writeFdt({ name: '', properties: [{ name: 'compatible', value: fdtString(compatible) }], children });
    const codeOf = (b: Uint8Array) => {
      try {
        decodeHandover(b);
        return 'ok';
      } catch (e) {
        return e instanceof SimError ? e.code : 'untyped';
      }
    };
    expect(codeOf(withRoot('lusim-handover-v2'))).toBe('unsupported-version');
    expect(codeOf(withRoot('kho-v1'))).toBe('envelope-invalid');
    const node = (compatible: string, bdf: string, name = 'pci-0000-03-00.0') => ({
      name,
      properties: [
        { name: 'compatible', value: fdtString(compatible) },
        { name: 'bdf', value: fdtString(bdf) },
        { name: 'payload', value: new Uint8Array(4) },
      ],
      children: [],
    });
    expect(codeOf(withRoot('lusim-handover-v1', [node('lusim,pci-state-linux-blob-v2', '0000:03:00.0')]))).toBe('unknown-compatible');
    expect(codeOf(withRoot('lusim-handover-v1', [node('lusim,pci-state-lusim-v1', '0000:04:00.0')]))).toBe('envelope-invalid');
    expect(codeOf(withRoot('lusim-handover-v1', [node('lusim,pci-state-lusim-v1', '0000:03:00.0')]))).toBe('ok');
    const extra = node('lusim,pci-state-lusim-v1', '0000:03:00.0');
    const later = withRoot('lusim-handover-v1', [{ ...extra, properties: [...extra.properties, { name: 'added-in-v1.1', value: fdtU32(1) }] }]);
    expect(decodeHandover(later)).toEqual([{ bdf: '0000:03:00.0', format: 'lusim-v1', payload: new Uint8Array(4) }]);
    expect(() => encodeHandover([{ ...DEVICES[0], bdf: '3:00.0' }])).toThrow(SimError);
    expect(() => encodeHandover([DEVICES[0], DEVICES[0]])).toThrow(SimError);
  });
});

describe('FDT reader on dtc-compiled trees', () => {
  it('reads reservations, nesting, cells and NOP-free output exactly', () => {
    const src = join(dir, 'x.dts');
    writeFileSync(
      src,
      '/dts-v1/;\n/memreserve/ 0x1000 0x2000;\n/ {\n\tcompatible = "a", "b";\n\tcells = <1>;\n\tchild {\n\t\tempty;\n\t\tgrand { v = <0xdeadbeef 2>; };\n\t};\n};\n',
    );
    const dtb = new Uint8Array(execFileSync('dtc', ['-I', 'dts', '-O', 'dtb', src]));
    const fdt = readFdt(dtb);
    expect(fdtTotalSize(dtb)).toBe(dtb.length);
    expect(fdt.reservations).toEqual([{ address: 0x1000n, size: 0x2000n }]);
    expect(fdt.root.properties.map((p) => p.name)).toEqual(['compatible', 'cells']);
    expect([...fdt.root.properties[0].value]).toEqual([...fdtString('a'), ...fdtString('b')]);
    expect([...fdt.root.properties[1].value]).toEqual([...fdtU32(1)]);
    const child = fdt.root.children[0];
    expect(child.name).toBe('child');
    expect(child.properties).toEqual([{ name: 'empty', value: new Uint8Array(0) }]);
    expect([...child.children[0].properties[0].value]).toEqual([0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 2]);
  });

  it('what writeFdt emits, dtc re-emits byte for byte', () => {
    const dtb = writeFdt(
      { name: '', properties: [{ name: 'compatible', value: fdtString('x') }], children: [{ name: 'n', properties: [{ name: 'compatible', value: fdtU32(7) }], children: [] }] },
      [{ address: 0x80000000n, size: 0x100000n }],
    );
    writeFileSync(join(dir, 'w.dtb'), dtb);
    expect(new Uint8Array(execFileSync('dtc', ['-I', 'dtb', '-O', 'dtb', join(dir, 'w.dtb')]))).toEqual(dtb);
    expect(readFileSync(join(dir, 'w.dtb')).length).toBe(dtb.length);
  });
});
