import { describe, expect, it } from 'vitest';
import { aer, PCI_ERR_COR_MASK_DEFAULT, PCI_ERR_UNC_SEVERITY_DEFAULT } from '../../../devices/caps/aer.js';
import { readLE } from '../../../devices/bytes.js';
import { compileLayout } from '../../../devices/compile.js';
import { placeRegisters } from '../../../devices/registers.js';
import { walkCapabilities } from '../../../devices/walker.js';
import { CAP_AT, extBytes, names, reader, spaceFor } from './helpers.js';

const ROOT_PORT = 4;
const RCEC = 10;
const ENDPOINT = 0;
const ROOT_REGS = ['PCI_ERR_ROOT_COMMAND', 'PCI_ERR_ROOT_STATUS', 'PCI_ERR_ROOT_ERR_SRC'];

describe('AER variants (pcie_cap_has_rtctl: Root Port and RCEC only)', () => {
  it('an endpoint has no root registers; 0x2c..0x37 are reserved', () => {
    const regs = names(aer, reader(extBytes(1, 2), ENDPOINT));
    for (const n of ROOT_REGS) expect(regs).not.toContain(n);
    const space = spaceFor(aer, extBytes(1, 2), ENDPOINT);
    space.write(CAP_AT + 0x2c, 4, 0xffffffff);
    expect(space.read(CAP_AT + 0x2c, 4)).toBe(0);
  });

  for (const [label, type] of [['Root Port', ROOT_PORT], ['RCEC', RCEC]] as const) {
    it(`a ${label} has ROOT_COMMAND (RW), ROOT_STATUS (RW1CS) and ERR_SRC (ROS)`, () => {
      expect(names(aer, reader(extBytes(1, 2), type))).toEqual(expect.arrayContaining(ROOT_REGS));
      const space = spaceFor(aer, extBytes(1, 2), type);
      space.write(CAP_AT + 0x2c, 4, 0xffffffff);
      expect(space.read(CAP_AT + 0x2c, 4)).toBe(0x7);
      const regs = placeRegisters(CAP_AT, aer.registers(reader(extBytes(1, 2), type)));
      const m = compileLayout(4096, regs).masks;
      expect(readLE(m.w1c, CAP_AT + 0x30, 4)).toBe(0x7f);
      expect(readLE(m.sticky, CAP_AT + 0x30, 4)).toBe(0x7f);
      expect(readLE(m.volatile, CAP_AT + 0x34, 4)).toBe(0xffffffff);
    });
  }

  // PCIe r6.0 7.8.4.12: the TLP Prefix Log exists only with End-End TLP Prefix support
  // (DEVCAP2 bit 21). QEMU 7.2 e1000e places DSN at 0x140 (hw/net/e1000e.c), right after a 0x38 AER.
  const EE_PREFIX = 0x00200000;
  it('size is 0x48 with the TLP Prefix Log (version 2 + DEVCAP2 EE prefix) and 0x38 without it', () => {
    expect(aer.size(reader(extBytes(1, 2), ENDPOINT, EE_PREFIX))).toBe(0x48);
    expect(aer.size(reader(extBytes(1, 2), ROOT_PORT, EE_PREFIX))).toBe(0x48);
    expect(aer.size(reader(extBytes(1, 2), ENDPOINT, 0))).toBe(0x38);
    expect(aer.size(reader(extBytes(1, 2), ENDPOINT))).toBe(0x38);
    expect(aer.size(reader(extBytes(1, 1), ROOT_PORT, EE_PREFIX))).toBe(0x38);
    expect(names(aer, reader(extBytes(1, 1), ROOT_PORT))).not.toContain('PCI_ERR_PREFIX_LOG[0]');
    expect(names(aer, reader(extBytes(1, 2), ENDPOINT, EE_PREFIX))).toContain('PCI_ERR_PREFIX_LOG[3]');
  });

  it('status registers are RW1CS: writing 1 clears only the bits written', () => {
    const space = spaceFor(aer, extBytes(1, 2, { 0x04: 0x00100020, 0x10: 0x41 }), ENDPOINT);
    space.write(CAP_AT + 0x04, 4, 0x00000020);
    expect(space.read(CAP_AT + 0x04, 4)).toBe(0x00100000);
    space.write(CAP_AT + 0x10, 4, 0x40);
    expect(space.read(CAP_AT + 0x10, 4)).toBe(0x01);
  });

  it('mask/severity are RWS with the spec defaults; First Error Pointer is ROS and volatile', () => {
    const regs = placeRegisters(CAP_AT, aer.registers(reader(extBytes(1, 2), ENDPOINT)));
    const m = compileLayout(4096, regs).masks;
    expect(readLE(m.resetValue, CAP_AT + 0x0c, 4)).toBe(PCI_ERR_UNC_SEVERITY_DEFAULT);
    expect(PCI_ERR_UNC_SEVERITY_DEFAULT).toBe(0x00462030);
    expect(readLE(m.resetValue, CAP_AT + 0x14, 4)).toBe(PCI_ERR_COR_MASK_DEFAULT);
    expect(readLE(m.sticky, CAP_AT + 0x08, 4)).toBe(0xfffff030);
    expect(readLE(m.writable, CAP_AT + 0x08, 4)).toBe(0xfffff030);
    expect(readLE(m.writable, CAP_AT + 0x18, 4)).toBe(0x540); // ECRC GENE|CHKE, MHRE
    expect(readLE(m.volatile, CAP_AT + 0x18, 4) & 0x1f).toBe(0x1f);
    expect(readLE(m.writable, CAP_AT + 0x1c, 4)).toBe(0);
  });

  it('the walker picks the variant from the function PCIe Device/Port Type', () => {
    const dump = (type: number) => {
      const b = extBytes(1, 2);
      b[0] = 0x86; b[1] = 0x80; b[6] = 0x10; b[0x34] = 0x40;
      b[0x40] = 0x10; b[0x42] = (type << 4) | 2;
      return b;
    };
    const regsOf = (type: number) => walkCapabilities(dump(type)).capabilities.find((c) => c.extended && c.id === 1)!.registers.map((r) => r.name);
    expect(regsOf(ROOT_PORT)).toContain('PCI_ERR_ROOT_COMMAND');
    expect(regsOf(ENDPOINT)).not.toContain('PCI_ERR_ROOT_COMMAND');
  });
});
