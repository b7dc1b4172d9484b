/** Vital Product Data (devices/caps/vpd.ts) and Power Budgeting (devices/caps/pwr.ts): named, sized, their access. */
import { describe, expect, it } from 'vitest';
import { capabilityDef } from '../../../devices/caps/index.js';
import { pwr } from '../../../devices/caps/pwr.js';
import { compileLayout } from '../../../devices/compile.js';
import { ConfigSpace } from '../../../devices/config-space.js';
import { placeRegisters } from '../../../devices/registers.js';
import { CAP_AT, extBytes, reader } from './helpers.js';

describe('catalogue entries for capabilities real devices carry', () => {
  it('VPD (PCI_CAP_ID_VPD 0x03) is 8 bytes, Power Budgeting (PCI_EXT_CAP_ID_PWR 0x04) PCI_EXT_CAP_PWR_SIZEOF', () => {
    expect(capabilityDef(0x03, false)?.key).toBe('vpd');
    const vpd = capabilityDef(0x03, false)!;
    expect(vpd.size(reader(extBytes(0, 0)))).toBe(8);
    expect(vpd.registers(reader(extBytes(0, 0))).map((r) => r.name)).toEqual(['PCI_CAP_LIST_ID', 'PCI_CAP_LIST_NEXT', 'PCI_VPD_ADDR', 'PCI_VPD_DATA']);
    expect(capabilityDef(0x04, true)?.size(reader(extBytes(4, 1)))).toBe(0x10);
  });
  it('Power Budgeting: Data Select is RW, the data entry and System Allocated ignore writes', () => {
    const bytes = extBytes(4, 1, { 0x08: 0x00078121 });
    const space = new ConfigSpace(bytes, compileLayout(4096, placeRegisters(CAP_AT, pwr.registers(reader(bytes)))));
    space.write(CAP_AT + 0x04, 1, 3);
    space.write(CAP_AT + 0x08, 4, 0);
    space.write(CAP_AT + 0x0c, 1, 1);
    expect([space.read(CAP_AT + 0x04, 1), space.read(CAP_AT + 0x08, 4), space.read(CAP_AT + 0x0c, 1)]).toEqual([3, 0x00078121, 0]);
  });
});
