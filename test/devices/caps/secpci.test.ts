/** Secondary PCI Express (devices/caps/secpci.ts, PCIe r6.0 7.7.3): sized by the link's Maximum Link Width. */
import { describe, expect, it } from 'vitest';
import { secpci } from '../../../devices/caps/secpci.js';
import { capabilityDef } from '../../../devices/caps/index.js';
import { compileLayout } from '../../../devices/compile.js';
import { ConfigSpace } from '../../../devices/config-space.js';
import { placeRegisters } from '../../../devices/registers.js';
import { CAP_AT, extBytes, reader } from './helpers.js';

const withWidth = (lanes: number) => ({ ...reader(extBytes(0x19, 1)), pcieLnkcap: lanes << 4 });

describe('Secondary PCI Express', () => {
  it('is in the catalogue under PCI_EXT_CAP_ID_SECPCI', () => {
    expect(capabilityDef(0x19, true)?.key).toBe('secpci');
  });
  it('0x0c + one u16 per Lane, rounded up to a dword: x1 16, x4 20, x16 44 bytes', () => {
    expect([1, 4, 16].map((n) => secpci.size(withWidth(n)))).toEqual([16, 20, 44]);
    expect(secpci.registers(withWidth(4)).filter((r) => r.name.startsWith('PCI_SECPCI_LE_CTRL[')).map((r) => r.offset)).toEqual([0x0c, 0x0e, 0x10, 0x12]);
  });
  it('Lane Error Status is RW1C; Link Control 3 PE and LERIE are RW; presets ignore writes', () => {
    const bytes = extBytes(0x19, 1, { 0x08: 0x0000000f, 0x0c: 0x00002700 });
    const space = new ConfigSpace(bytes, compileLayout(4096, placeRegisters(CAP_AT, secpci.registers({ ...reader(bytes), pcieLnkcap: 1 << 4 }))));
    space.write(CAP_AT + 0x08, 4, 0x3);
    expect(space.read(CAP_AT + 0x08, 4)).toBe(0xc);
    space.write(CAP_AT + 0x04, 4, 0xffffffff);
    expect(space.read(CAP_AT + 0x04, 4)).toBe(0x0000fe03);
    space.write(CAP_AT + 0x0c, 2, 0);
    expect(space.read(CAP_AT + 0x0c, 2)).toBe(0x2700);
  });
});
