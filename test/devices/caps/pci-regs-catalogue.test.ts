/**
 * The capabilities pci_regs.h names (7.1.3's include/uapi/linux/pci_regs.h, PCI_CAP_ID_* and
 * PCI_EXT_CAP_ID_*) are in the catalogue, sized and decoded; the few left out are listed with why.
 * Sizes come from pci_regs.h's *_SIZEOF macros where it has them, from VFIO's vfio_cap_len /
 * vfio_ext_cap_len (drivers/vfio/pci/vfio_pci_config.c) for SATA and DPA, and from the spec layouts
 * otherwise (each file's opening comment).
 */
import { describe, expect, it } from 'vitest';
import { capabilityDef, EXTENDED_CAPABILITIES, STANDARD_CAPABILITIES } from '../../../devices/caps/index.js';
import { CAP_AT, extBytes, reader, spaceFor } from './helpers.js';
import { placeCap } from './std-cap.js';

/** pci_regs.h IDs lusim does not model: obsolete, reserved, or specified outside the PCIe Base spec. */
const LEFT_OUT = {
  standard: { 0x0b: 'CCRC: CompactPCI central resource control (PICMG 2.13, not at hand)', 0x0e: 'AGP3: AGP 8x bridge', 0x0f: 'SECDEV: AMD IOMMU' },
  extended: { 0x0c: 'CAC: obsolete', 0x11: 'MRIOV: MR-IOV spec', 0x14: 'AMD_XXX: reserved', 0x1a: 'PMUX: protocol multiplexing' },
} as const;
const STD_IDS = Array.from({ length: 0x14 }, (_, i) => i + 1);
const EXT_IDS = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
  0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1d, 0x1e, 0x1f, 0x23, 0x24, 0x25, 0x26, 0x29, 0x2a, 0x2e, 0x2f, 0x30, 0x31];

const ext = (id: number, version = 1, dwords: Record<number, number> = {}, lnkcap?: number) => ({ ...reader(extBytes(id, version, dwords)), ...(lnkcap !== undefined ? { pcieLnkcap: lnkcap } : {}) });
const sizeOf = (id: number, r: ReturnType<typeof ext>) => capabilityDef(id, true)!.size(r);

describe('pci_regs.h capability IDs in the catalogue', () => {
  it('every standard and extended ID but the listed ones has a definition, and the listed ones have none', () => {
    const missing = (ids: number[], extended: boolean) => ids.filter((id) => capabilityDef(id, extended) === undefined);
    expect(missing(STD_IDS, false)).toEqual(Object.keys(LEFT_OUT.standard).map(Number));
    expect(missing(EXT_IDS, true)).toEqual(Object.keys(LEFT_OUT.extended).map(Number));
    // Lane Margining (0x27) is in the catalogue though pci_regs.h names no ID for it (pciutils does).
    expect(capabilityDef(0x27, true)?.key).toBe('lmr');
  });
  it('keys and IDs are unique', () => {
    const all = [...STANDARD_CAPABILITIES, ...EXTENDED_CAPABILITIES];
    expect(new Set(all.map((d) => d.key)).size).toBe(all.length);
    expect(new Set(all.map((d) => `${d.extended}:${d.id}`)).size).toBe(all.length);
  });
});

describe('sizes', () => {
  it('fixed: AGP 12 (PCI_AGP_SIZEOF), slot ID, hot swap, debug port 4, SHPC 8', () => {
    expect([0x02, 0x04, 0x06, 0x0a, 0x0c].map((id) => placeCap(capabilityDef(id, false)!, []).size)).toEqual([12, 4, 4, 4, 8]);
  });
  it('SATA: PCI_SATA_SIZEOF_SHORT (8), PCI_SATA_SIZEOF_LONG (16) when PCI_SATA_REGS is inline (0xf)', () => {
    const sata = capabilityDef(0x12, false)!;
    expect([placeCap(sata, [[4, 4, 0x4]]).size, placeCap(sata, [[4, 4, 0xf]]).size]).toEqual([8, 16]);
  });
  it('HyperTransport by sub-type: slave 28, host 24 (HT_CAP_SIZEOF_LONG/SHORT), MSI mapping 12, others 4', () => {
    const ht = capabilityDef(0x08, false)!;
    expect([0x00, 0x20, 0xa8, 0xc0].map((t) => placeCap(ht, [[3, 1, t]]).size)).toEqual([28, 24, 12, 4]);
  });
  it('extended fixed: RCILC 12, RCRB 0x14, LNR 8, DLF 12, NPEM 16, Device 3 16', () => {
    expect([0x06, 0x0a, 0x1c, 0x25, 0x29, 0x2f].map((id) => sizeOf(id, ext(id)))).toEqual([12, 0x14, 8, 12, 16, 16]);
  });
  it('RCEC: 8 in version 1, 12 with PCI_RCEC_BUSN from version 2', () => {
    expect([sizeOf(0x07, ext(0x07, 1)), sizeOf(0x07, ext(0x07, 2))]).toEqual([8, 12]);
  });
  it('Root Complex Link Declaration: 0x10 + 16 per link entry', () => {
    expect([sizeOf(0x05, ext(0x05, 1, { 4: 0x0f020100 })), sizeOf(0x05, ext(0x05, 1, { 4: 0x0f020300 }))]).toEqual([0x20, 0x40]);
  });
  it('Multicast: PCI_EXT_CAP_MCAST_ENDPOINT_SIZEOF (40) for an Endpoint or RCiEP, 48 with the overlay BAR of a port', () => {
    const at = (type: number) => sizeOf(0x12, { ...ext(0x12), pcieType: type });
    expect([at(0x0), at(0x9), at(0x4), at(0x5), at(0x6)]).toEqual([40, 40, 48, 48, 48]);
  });
  it('DPA: PCI_DPA_BASE_SIZEOF (16) + substate max + 1 (vfio_ext_cap_len)', () => {
    expect([sizeOf(0x16, ext(0x16, 1, { 4: 0 })), sizeOf(0x16, ext(0x16, 1, { 4: 0x1f }))]).toEqual([17, 48]);
  });
  it('per Lane from PCI_EXP_LNKCAP_MLW: Physical Layer 16/32/64 GT/s 0x20 + a byte a Lane (dword-rounded), Lane Margining 8 + 4 a Lane', () => {
    const x = (lanes: number) => lanes << 4;
    for (const id of [0x26, 0x2a, 0x31]) expect([1, 4, 8, 16].map((n) => sizeOf(id, ext(id, 1, {}, x(n))))).toEqual([0x24, 0x24, 0x28, 0x30]);
    expect([1, 16].map((n) => sizeOf(0x27, ext(0x27, 1, {}, x(n))))).toEqual([12, 72]);
  });
  it('IDE: 0x0c + 8 per link stream (PCI_IDE_LINK_BLOCK_SIZE) + PCI_IDE_SEL_BLOCK_SIZE(n) = 20 + 12 n per selective stream', () => {
    // Link supported with 2 TCs (LINK_TC_NUM 1), selective supported with 2 streams (SEL_NUM 1); stream 0 has 1 address block, stream 1 none.
    const cap = 0x1 | 0x2 | (1 << 13) | (1 << 16);
    const at0 = 0x0c + 2 * 8;
    expect(sizeOf(0x30, ext(0x30, 1, { 4: cap, [at0]: 1 }))).toBe(at0 + 32 + 20);
    expect(sizeOf(0x30, ext(0x30, 1, { 4: 0 }))).toBe(0x0c);
  });
  it('VF Resizable BAR: as Resizable BAR, 4 + 8 per entry (PCI_VF_REBAR_CTRL_NBAR_MASK)', () => {
    expect(sizeOf(0x24, ext(0x24, 1, { 8: 2 << 5 }))).toBe(20);
    expect(capabilityDef(0x24, true)!.registers(ext(0x24, 1, { 8: 2 << 5 })).map((r) => r.name)).toContain('PCI_VF_REBAR_CTRL[1]');
  });
});

describe('register access', () => {
  it('HyperTransport MSI mapping: enable is RW, fixed and the sub-type are RO; the address is RW above bit 20, RO when fixed', () => {
    const c = placeCap(capabilityDef(0x08, false)!, [[2, 2, 0xa800]]);
    c.space.write(c.at + 2, 2, 0x0003);
    expect(c.space.read(c.at + 2, 2)).toBe(0xa801);
    c.space.write(c.at + 4, 4, 0xffffffff);
    expect(c.space.read(c.at + 4, 4)).toBe(0xfff00000);
    const fixed = placeCap(capabilityDef(0x08, false)!, [[2, 2, 0xa802], [4, 4, 0x00808000]]);
    fixed.space.write(fixed.at + 4, 4, 0xffffffff);
    expect(fixed.space.read(fixed.at + 4, 4)).toBe(0x00808000);
  });
  it('CompactPCI hot swap: ENUM# insertion/extraction status is RW1C, the LED RW, pending insert RO', () => {
    const c = placeCap(capabilityDef(0x06, false)!, [[2, 1, 0xc4]]);
    c.space.write(c.at + 2, 1, 0x4c);
    expect(c.space.read(c.at + 2, 1)).toBe(0x8c);
  });
  it('Multicast control and vectors are RW, its capability RO; NPEM status is RW1C', () => {
    const b = extBytes(0x12, 1, { 4: 0x0000803f });
    const s = spaceFor(capabilityDef(0x12, true)!, b, 0x5);
    s.write(CAP_AT + 4, 4, 0xffffffff);
    expect(s.read(CAP_AT + 4, 4)).toBe(0x803f803f);
    s.write(CAP_AT + 0x28, 4, 0xffffffff);
    expect(s.read(CAP_AT + 0x28, 4)).toBe(0xffffffff);
    const n = spaceFor(capabilityDef(0x29, true)!, extBytes(0x29, 1, { 0x0c: 1 }));
    n.write(CAP_AT + 0x0c, 4, 1);
    expect(n.read(CAP_AT + 0x0c, 4)).toBe(0);
  });
  it('Physical Layer 16.0 GT/s: the equalization request and parity mismatch bits are RW1C, the presets ignore writes', () => {
    const b = extBytes(0x26, 1, { 0x0c: 0x1f, 0x10: 0x3, 0x20: 0x00000047 });
    const s = spaceFor(capabilityDef(0x26, true)!, b);
    s.write(CAP_AT + 0x0c, 4, 0x1f);
    s.write(CAP_AT + 0x10, 4, 0x1);
    s.write(CAP_AT + 0x20, 1, 0);
    expect([s.read(CAP_AT + 0x0c, 4), s.read(CAP_AT + 0x10, 4), s.read(CAP_AT + 0x20, 1)]).toEqual([0x0f, 0x2, 0x47]);
  });
});
