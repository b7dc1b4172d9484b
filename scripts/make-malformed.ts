/**
 * Generates fixtures/malformed/*.lspci: one hand-made dump per capability-walker finding, each a
 * small edit of one synthetic PCIe endpoint (fixtures/malformed/base.lspci). Run:
 *   npx tsx scripts/make-malformed.ts
 * The expected finding of each file is in fixtures/malformed/expected.json and pinned by
 * test/devices/walker.test.ts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { formatLspci } from '../devices/dump/lspci.js';
import { parseBdf } from '../devices/dump/bdf.js';

const OUT = 'fixtures/malformed';

function base(): Uint8Array {
  const b = new Uint8Array(4096);
  const w16 = (o: number, v: number) => { b[o] = v & 0xff; b[o + 1] = v >> 8; };
  const w32 = (o: number, v: number) => { w16(o, v & 0xffff); w16(o + 2, v >>> 16); };
  w16(0x00, 0x1234); w16(0x02, 0x5678); // synthetic vendor:device
  w16(0x06, 0x0010); // PCI_STATUS_CAP_LIST
  b[0x0b] = 0x02; // class: network controller
  b[0x34] = 0x40;
  b[0x40] = 0x01; b[0x41] = 0x48; w16(0x42, 0x0003); // PM v3 -> 0x48
  b[0x48] = 0x05; b[0x49] = 0x60; w16(0x4a, 0x0080); // MSI, 64-bit -> 0x60
  b[0x60] = 0x10; b[0x61] = 0x00; w16(0x62, 0x0002); // PCIe v2, endpoint, end of chain
  w32(0x100, (0x2 << 16) | (0x148 << 20) | 0x0001); // AER v2 -> 0x148
  w32(0x148, 0x00010000 | 0x0003); // DSN v1, end
  return b;
}

type Edit = (b: Uint8Array) => Uint8Array;
const cases: Record<string, { edit: Edit; expect: string; note: string }> = {
  'cap-loop': { edit: (b) => { b[0x61] = 0x40; return b; }, expect: 'cap-loop', note: 'PCIe next pointer points back to PM at 0x40' },
  'chain-broken-standard': { edit: (b) => { b[0x49] = 0xa0; b[0xa0] = 0xff; b[0xa1] = 0xff; return b; }, expect: 'chain-broken', note: 'MSI next points at 0xa0 which reads 0xff' },
  'chain-broken-extended': { edit: (b) => { b.fill(0xff, 0x148, 0x14c); return b; }, expect: 'chain-broken', note: 'AER next points at 0x148 whose header reads 0xffffffff' },
  'pointer-into-header': { edit: (b) => { b[0x34] = 0x20; return b; }, expect: 'pointer-into-header', note: 'capability pointer 0x20 is inside the header' },
  'ext-pointer-into-header': { edit: (b) => { b[0x102] = (b[0x102] & 0x0f) | 0x80; b[0x103] = 0x00; return b; }, expect: 'pointer-into-header', note: 'AER next pointer 0x008 is below 0x100' },
  'pointer-misaligned': { edit: (b) => { b[0x41] = 0x49; return b; }, expect: 'pointer-misaligned', note: 'PM next pointer 0x49 is not dword aligned (Linux aligns to 0x48)' },
  'pointer-out-of-range': { edit: (b) => b.slice(0, 64), expect: 'not-captured', note: 'a 64-byte dump (lspci -x) whose capability pointer 0x40 lies beyond it: not captured, not broken' },
  'overlap': { edit: (b) => { b[0x49] = 0x50; b[0x50] = 0x10; b[0x51] = 0x00; b[0x52] = 0x02; b[0x60] = 0; b[0x62] = 0; return b; }, expect: 'overlap', note: 'MSI (64-bit, 14 bytes from 0x48) overlaps the PCIe capability moved to 0x50' },
  'truncated-capability': { edit: (b) => { b[0x49] = 0xf8; b[0xf8] = 0x10; b[0xf9] = 0x00; b[0xfa] = 0x02; b[0x60] = 0; b[0x62] = 0; return b.slice(0, 256); }, expect: 'truncated-capability', note: 'PCIe capability at 0xf8 in a 256-byte dump runs past the end' },
  'ext-caps-without-pcie': { edit: (b) => { b[0x49] = 0x00; b.fill(0, 0x60, 0x64); return b; }, expect: 'ext-caps-without-pcie', note: 'extended capabilities but no PCIe capability' },
  'duplicate-capability': { edit: (b) => { b[0x61] = 0x80; b[0x80] = 0x01; b[0x81] = 0x00; b[0x82] = 0x03; return b; }, expect: 'duplicate-capability', note: 'a second PM capability at 0x80' },
  'unknown-capability': { edit: (b) => { b[0x61] = 0x80; b[0x80] = 0x77; b[0x81] = 0x00; return b; }, expect: 'unknown-capability', note: 'capability ID 0x77 is not defined' },
  'absent-function': { edit: (b) => b.fill(0xff), expect: 'absent-function', note: 'all-ones: no function at this address' },
};

mkdirSync(OUT, { recursive: true });
const bdf = parseBdf('01:00.0');
writeFileSync(`${OUT}/base.lspci`, formatLspci([{ bdf, description: 'Ethernet controller: synthetic base device', bytes: base() }]));
const expected: Record<string, { finding: string; note: string }> = {};
for (const [name, c] of Object.entries(cases)) {
  writeFileSync(`${OUT}/${name}.lspci`, formatLspci([{ bdf, description: `Ethernet controller: malformed (${c.note})`, bytes: c.edit(base()) }]));
  expected[name] = { finding: c.expect, note: c.note };
}
writeFileSync(`${OUT}/expected.json`, `${JSON.stringify(expected, null, 2)}\n`);
console.log(`wrote ${Object.keys(cases).length + 1} dumps to ${OUT}/`);
