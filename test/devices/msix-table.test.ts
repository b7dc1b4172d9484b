import { describe, expect, it } from 'vitest';
import { msix } from '../../devices/caps/msix.js';
import { DeviceError } from '../../devices/errors.js';
import { MsixBarModel, msixGeometry, pbaBytes, readMsixGeometry } from '../../devices/msix-table.js';
import { placeCap } from './caps/std-cap.js';
import {
  PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE, PCI_MSIX_FLAGS_MASKALL, PCI_MSIX_PBA, PCI_MSIX_TABLE,
} from '../../devices/pci-regs.js';

// QEMU 7.2 e1000e: 5 vectors, table BAR3+0, PBA BAR3+0x2000 (qemu.md section 1).
const e1000e = msixGeometry(4, 3, 0x2003);

describe('MSI-X capability registers', () => {
  it('only ENABLE and MASKALL are writable; table size and BIR/offset are read-only', async () => {
    const c = placeCap(msix, [[PCI_MSIX_FLAGS, 2, 0x0004], [PCI_MSIX_TABLE, 4, 0x3], [PCI_MSIX_PBA, 4, 0x2003]], { at: 0xa0 });
    const a = c.space.access();
    await a.writew(0xa0 + PCI_MSIX_FLAGS, 0xffff);
    await a.writel(0xa0 + PCI_MSIX_TABLE, 0xffffffff);
    expect(await a.readw(0xa0 + PCI_MSIX_FLAGS)).toBe(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL | 4);
    expect(await a.readl(0xa0 + PCI_MSIX_TABLE)).toBe(3);
    expect(await readMsixGeometry(a, 0xa0)).toEqual(e1000e);
  });
});

describe('MSI-X table and PBA in BAR memory', () => {
  it('decodes the geometry and sizes the PBA in qwords', () => {
    expect(e1000e).toEqual({ entries: 5, tableBir: 3, tableOffset: 0, pbaBir: 3, pbaOffset: 0x2000 });
    expect(pbaBytes(5)).toBe(8);
    expect(pbaBytes(65)).toBe(16);
  });

  it('starts in the reset state: every vector masked, nothing pending', async () => {
    const m = new MsixBarModel(e1000e);
    for (let n = 0; n < 5; n++) expect(m.masked(n)).toBe(true);
    expect(await m.readl(3, 0x0c)).toBe(1);
    expect(await m.readl(3, 0x2000)).toBe(0);
  });

  it('entries are written and read back through BarAccess and the helpers alike', async () => {
    const m = new MsixBarModel(e1000e);
    await m.writel(3, 0x10, 0xfee00000);
    await m.writel(3, 0x18, 0x4021);
    await m.writel(3, 0x1c, 0);
    expect(m.entry(1)).toEqual({ lowerAddr: 0xfee00000, upperAddr: 0, data: 0x4021, vectorCtrl: 0 });
    m.writeEntry(4, { lowerAddr: 0xfee01000, upperAddr: 1, data: 7, vectorCtrl: 0xffffffff });
    expect(await m.readl(3, 0x4c)).toBe(1); // only MASKBIT of vector control is writable
    expect(await m.readl(3, 0x44)).toBe(1);
    expect(m.masked(1)).toBe(false);
  });

  it('the PBA is read-only to software and set by the function', async () => {
    const m = new MsixBarModel(e1000e);
    await m.writel(3, 0x2000, 0xffffffff);
    expect(await m.readl(3, 0x2000)).toBe(0);
    m.setPending(4, true);
    expect(m.pending(4)).toBe(true);
    expect(await m.readl(3, 0x2000)).toBe(0x10);
    m.setPending(4, false);
    expect(await m.readl(3, 0x2000)).toBe(0);
  });

  it('reset masks every vector and clears data and pending bits', async () => {
    const m = new MsixBarModel(e1000e);
    m.writeEntry(0, { lowerAddr: 0xfee00000, upperAddr: 0, data: 1, vectorCtrl: 0 });
    m.setPending(0, true);
    m.reset();
    expect(m.entry(0)).toEqual({ lowerAddr: 0, upperAddr: 0, data: 0, vectorCtrl: 1 });
    expect(m.pending(0)).toBe(false);
  });

  it('accesses outside the table and PBA read all-ones and are dropped; they never throw', async () => {
    const m = new MsixBarModel(e1000e);
    expect(await m.readl(3, 0x1000)).toBe(0xffffffff);
    expect(await m.readl(0, 0)).toBe(0xffffffff);
    expect(await m.readl(3, 0x2)).toBe(0xffffffff); // misaligned
    await m.writel(3, 0x1000, 1);
    await m.writel(2, 0, 1);
  });

  it('bytes are the only state: a snapshot restores the same entries', () => {
    const a = new MsixBarModel(e1000e);
    a.writeEntry(2, { lowerAddr: 0xfee00000, upperAddr: 0, data: 0x41, vectorCtrl: 0 });
    const b = new MsixBarModel(e1000e, { tableBytes: a.table.snapshot(), pbaBytes: a.pba.snapshot() });
    expect(b.entry(2)).toEqual(a.entry(2));
  });

  it('constructing an impossible layout throws a typed error', () => {
    expect(() => new MsixBarModel(msixGeometry(4, 3, 0x0043))).toThrow(DeviceError); // PBA inside the table
    expect(() => new MsixBarModel(e1000e, { tableBytes: new Uint8Array(16) })).toThrow(/snapshot has 16 bytes/);
    expect(() => new MsixBarModel(e1000e).entry(5)).toThrow(/entry 5 does not exist/);
  });

  it('table and PBA may share an offset when they live in different BARs', async () => {
    const m = new MsixBarModel(msixGeometry(0, 0, 1));
    m.setPending(0, true);
    expect(await m.readl(0, 0xc)).toBe(1);
    expect(await m.readl(1, 0)).toBe(1);
  });
});
