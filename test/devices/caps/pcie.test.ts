import { describe, expect, it } from 'vitest';
import { pcie, pcieLayout } from '../../../devices/caps/pcie.js';
import { readLE } from '../../../devices/bytes.js';
import { placeCap, type PlacedCap } from './std-cap.js';
import {
  PCI_EXP_DEVCTL, PCI_EXP_FLAGS, PCI_EXP_LNKCAP, PCI_EXP_LNKCTL, PCI_EXP_LNKCTL2, PCI_EXP_RTSTA,
  PCI_EXP_SLTSTA,
} from '../../../devices/pci-regs.js';

const flags = (type: number, version: number, slot = false) => (type << 4) | version | (slot ? 0x100 : 0);
const cap = (type: number, version: number, slot = false, extra: [number, 1 | 2 | 4, number][] = []) =>
  placeCap(pcie, [[PCI_EXP_FLAGS, 2, flags(type, version, slot)], ...extra]);

/** Registers with at least one non-reserved field: the ones the function implements. */
const implemented = (c: PlacedCap) => c.regs.filter((r) => r.fields.some((fd) => fd.name !== 'rsvd')).map((r) => r.name.replace('PCI_EXP_', '')).slice(2);

const DEV = ['FLAGS', 'DEVCAP', 'DEVCTL', 'DEVSTA'];
const LNK = ['LNKCAP', 'LNKCTL', 'LNKSTA'];
const SLT = ['SLTCAP', 'SLTCTL', 'SLTSTA'];
const RT = ['RTCTL', 'RTCAP', 'RTSTA'];
const DEV2 = ['DEVCAP2', 'DEVCTL2'];
const LNK2 = ['LNKCAP2', 'LNKCTL2', 'LNKSTA2'];
// SLTCTL2 defines no field (all RsvdP), so only SLTCAP2 shows up as implemented.
const SLT2 = ['SLTCAP2'];

describe('which PCIe registers exist (Linux access.c pcie_capability_reg_implemented)', () => {
  // [type, slot, version 1 size, implemented in v1, implemented in v2]
  const table: [string, number, boolean, number, string[], string[]][] = [
    ['endpoint', 0, false, 0x14, [...DEV, ...LNK], [...DEV, ...LNK, ...DEV2, ...LNK2]],
    ['legacy endpoint', 1, false, 0x14, [...DEV, ...LNK], [...DEV, ...LNK, ...DEV2, ...LNK2]],
    ['root port with slot', 4, true, 0x24, [...DEV, ...LNK, ...SLT, ...RT], [...DEV, ...LNK, ...SLT, ...RT, ...DEV2, ...LNK2, ...SLT2]],
    ['root port without slot', 4, false, 0x24, [...DEV, ...LNK, 'SLTSTA', ...RT], [...DEV, ...LNK, 'SLTSTA', ...RT, ...DEV2, ...LNK2]],
    ['upstream port', 5, false, 0x14, [...DEV, ...LNK], [...DEV, ...LNK, ...DEV2, ...LNK2]],
    ['downstream port with slot', 6, true, 0x1c, [...DEV, ...LNK, ...SLT], [...DEV, ...LNK, ...SLT, ...DEV2, ...LNK2, ...SLT2]],
    ['PCIe-to-PCI bridge', 7, false, 0x14, [...DEV, ...LNK], [...DEV, ...LNK, ...DEV2, ...LNK2]],
    ['PCI-to-PCIe bridge with slot', 8, true, 0x1c, [...DEV, ...LNK, ...SLT], [...DEV, ...LNK, ...SLT, ...DEV2, ...LNK2, ...SLT2]],
    // QEMU 7.2 gives every v1 function 0x14 bytes (e1000e on pcie.0 is a v1 RCiEP).
    ['RCiEP', 9, false, 0x14, DEV, [...DEV, ...DEV2]],
    ['RCEC', 10, false, 0x24, [...DEV, ...RT], [...DEV, ...RT, ...DEV2]],
  ];
  it.each(table)('%s (type %i, slot %s): v1 is %i bytes', (_n, type, slot, v1size, v1, v2) => {
    const one = cap(type, 1, slot);
    expect(one.size).toBe(v1size);
    expect(implemented(one)).toEqual(v1);
    const two = cap(type, 2, slot);
    expect(two.size).toBe(0x3c);
    expect(implemented(two)).toEqual(v2);
    expect(Math.max(...two.regs.map((r) => r.offset + r.width))).toBe(0x3c);
  });

  it('QEMU 7.2 e1000e: version 1 endpoint, 0x14 bytes ending with PCI_EXP_LNKSTA', () => {
    const c = cap(0, 1);
    expect(c.version).toBe(1);
    expect(c.regs.at(-1)?.name).toBe('PCI_EXP_LNKSTA');
  });

  it('SLTSTA of a downstream port without a slot: PDS hardwired to 1 (read-only), the rest RsvdZ', () => {
    const c = cap(6, 2, false, [[PCI_EXP_SLTSTA, 2, 0x0040]]);
    c.space.write(c.at + PCI_EXP_SLTSTA, 2, 0xffff);
    expect(c.space.read(c.at + PCI_EXP_SLTSTA, 2)).toBe(0x0040);
    expect(c.space.mask('rsvdz', c.at + PCI_EXP_SLTSTA, 2)).toBe(0xffbf);
  });

  it('an endpoint\'s slot and root registers are RsvdZ in a version 2 structure', () => {
    const c = cap(0, 2);
    expect(c.space.mask('rsvdz', c.at + 0x14, 4)).toBe(0xffffffff);
    expect(c.space.mask('rsvdz', c.at + 0x20, 4)).toBe(0xffffffff);
  });

  it('pcieLayout treats version 0 like version 1', () => {
    expect(pcieLayout(flags(0, 0)).size).toBe(0x14);
  });
});

describe('PCIe field attributes', () => {
  it('DEVCTL resets to RELAX_EN | NOSNOOP_EN | READRQ 512 bytes (0x2810)', () => {
    const c = cap(0, 2);
    expect(readLE(c.space.layout.masks.resetValue, c.at + PCI_EXP_DEVCTL, 2)).toBe(0x2810);
  });

  it('BCR_FLR is RW and self-clearing on an endpoint, RW (BCRE) on a PCIe-to-PCI bridge, reserved on a root port', () => {
    const ep = cap(0, 2);
    ep.space.write(ep.at + PCI_EXP_DEVCTL, 2, 0xffff);
    expect(ep.space.read(ep.at + PCI_EXP_DEVCTL, 2)).toBe(0x7fff);
    const br = cap(7, 2);
    br.space.write(br.at + PCI_EXP_DEVCTL, 2, 0xffff);
    expect(br.space.read(br.at + PCI_EXP_DEVCTL, 2)).toBe(0xffff);
    const rp = cap(4, 2);
    rp.space.write(rp.at + PCI_EXP_DEVCTL, 2, 0xffff);
    expect(rp.space.read(rp.at + PCI_EXP_DEVCTL, 2)).toBe(0x7fff);
  });

  it('DEVSTA error bits are RW1C, AUXPD and TRPND are volatile RO', () => {
    const c = cap(0, 2, false, [[0x0a, 2, 0x003f]]);
    c.space.write(c.at + 0x0a, 2, 0x0005);
    expect(c.space.read(c.at + 0x0a, 2)).toBe(0x003a);
    expect(c.space.mask('volatile', c.at + 0x0a, 2)).toBe(0x0030);
  });

  it('LNKCTL: link disable, retrain and bandwidth interrupts exist only on downstream ports; RL reads 0', () => {
    const ep = cap(0, 2);
    ep.space.write(ep.at + PCI_EXP_LNKCTL, 2, 0xffff);
    expect(ep.space.read(ep.at + PCI_EXP_LNKCTL, 2)).toBe(0x03cb);
    const rp = cap(4, 2);
    rp.space.write(rp.at + PCI_EXP_LNKCTL, 2, 0xffff);
    expect(rp.space.read(rp.at + PCI_EXP_LNKCTL, 2)).toBe(0x0fd3);
  });

  it('LNKSTA: LBMS/LABS are RW1C on downstream ports, the link state is volatile', () => {
    const c = cap(6, 2, false, [[0x12, 2, 0xe011]]);
    c.space.write(c.at + 0x12, 2, 0x4000);
    expect(c.space.read(c.at + 0x12, 2)).toBe(0xa011);
    expect(c.space.mask('volatile', c.at + 0x12, 2) & 0x2bff).toBe(0x2bff);
  });

  it('root status PME is RW1C, the requester ID and PENDING are volatile RO', () => {
    const c = cap(4, 2, true, [[PCI_EXP_RTSTA, 4, 0x0003_1234]]);
    c.space.write(c.at + PCI_EXP_RTSTA, 4, 0xffffffff);
    expect(c.space.read(c.at + PCI_EXP_RTSTA, 4)).toBe(0x0002_1234);
  });

  it('RTCTL CRSSVE is writable only when RTCAP advertises CRS visibility', () => {
    const without = cap(4, 2);
    without.space.write(without.at + 0x1c, 2, 0xffff);
    expect(without.space.read(without.at + 0x1c, 2)).toBe(0x000f);
    const withCrs = cap(4, 2, false, [[0x1e, 2, 1]]);
    withCrs.space.write(withCrs.at + 0x1c, 2, 0xffff);
    expect(withCrs.space.read(withCrs.at + 0x1c, 2)).toBe(0x001f);
  });

  it('SLTSTA event bits are RW1C, presence detect state is volatile', () => {
    const c = cap(4, 2, true, [[PCI_EXP_SLTSTA, 2, 0x01ff]]);
    c.space.write(c.at + PCI_EXP_SLTSTA, 2, 0xffff);
    expect(c.space.read(c.at + PCI_EXP_SLTSTA, 2)).toBe(0x00e0);
  });

  it('LNKCTL2 Target Link Speed resets to LNKCAP Max Link Speed and is sticky', () => {
    const c = cap(0, 2, false, [[PCI_EXP_LNKCAP, 4, 0x00000413]]);
    expect(readLE(c.space.layout.masks.resetValue, c.at + PCI_EXP_LNKCTL2, 2) & 0xf).toBe(3);
    expect(readLE(c.space.layout.masks.sticky, c.at + PCI_EXP_LNKCTL2, 2) & 0xf).toBe(0xf);
  });

  it('DEVCTL2 ARI forwarding enable is RW on downstream ports only', () => {
    const dp = cap(6, 2);
    dp.space.write(dp.at + 0x28, 2, 0x0020);
    expect(dp.space.read(dp.at + 0x28, 2)).toBe(0x0020);
    const ep = cap(0, 2);
    ep.space.write(ep.at + 0x28, 2, 0x0020);
    expect(ep.space.read(ep.at + 0x28, 2)).toBe(0);
  });
});
