/**
 * The QEMU 7.2 model on the real QEMU fixtures, for what the differential tests found
 * (docs/qemu-differences.md): the xio3130 reset handlers and rp_aer_vector_update
 * (devices/reset/qemu.ts), QEMU's write side effects as the profiles' write hooks
 * (devices/profiles/qemu-7.2-writes.ts), DEVCTL2.EETLPPB on endpoints and the virtio PCI_CFG
 * window opened by an instance-selecting override. test/e2e/*differential.test.ts check the same
 * against the real QEMU; these pin the behaviour without it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildFunction, type PciFunction } from '../../../devices/device.js';
import { parseDump } from '../../../devices/dump/index.js';
import { profileForDump } from '../../../devices/profiles/index.js';
import { QEMU_72_PROFILES } from '../../../devices/profiles/qemu-7.2.js';
import { applyReset, type ResetReport } from '../../../devices/reset/apply.js';
import { QEMU_72_RESET_HANDLERS } from '../../../devices/reset/qemu.js';
import {
  PCI_ERR_ROOT_STATUS, PCI_EXP_SLTCTL, PCI_EXP_SLTSTA, PCI_EXP_SLTSTA_CC, PCI_EXP_SLTSTA_EIS,
} from '../../../devices/pci-regs.js';

function fixture(name: string, profile = 'auto'): PciFunction {
  const [d] = parseDump(new Uint8Array(readFileSync(`fixtures/qemu/${name}.lspci`)));
  return buildFunction(d, profileForDump(d, profile));
}
const cap = (fn: PciFunction, id: number, ext = false) => fn.walk.capabilities.find((c) => c.id === id && c.extended === ext)!.offset;
const ruleAt = (r: ResetReport, offset: number) => r.fields.find((o) => o.offset === offset && o.changed)?.rule;

const aerIrq = (fn: PciFunction) => fn.space.read(cap(fn, 0x01, true) + PCI_ERR_ROOT_STATUS, 4) >>> 27;

/** Drive a bridge's numbers, windows and control away from reset, and the DEVCTL error enables. */
function dirtyBridge(fn: PciFunction): void {
  fn.space.write(0x18, 4, 0x00020100);
  fn.space.write(0x1c, 2, 0x2010);
  fn.space.write(0x20, 4, 0xfe20fe10);
  fn.space.write(0x24, 4, 0xfff1fc01);
  fn.space.write(0x28, 4, 0x1);
  fn.space.write(0x3e, 2, 0x0002);
  fn.space.write(cap(fn, 0x10) + 0x08, 2, 0x000f);
}

describe('device reset handlers by profile.resetHandler', () => {
  it('every QEMU profile handler exists, and every handler is used by a profile', () => {
    const used = QEMU_72_PROFILES.flatMap((p) => (p.profile.resetHandler ? [p.profile.resetHandler] : []));
    expect(new Set(used)).toEqual(new Set(Object.keys(QEMU_72_RESET_HANDLERS)));
  });

  it('x3130-upstream FLR (xio3130_upstream_reset): pci_bridge_reset zeroes the windows (not disabled), deverr clears DEVCTL enables', () => {
    const fn = fixture('x3130-upstream');
    dirtyBridge(fn);
    const r = applyReset(fn, 'flr');
    expect(r.performed).toBe(true);
    expect(fn.space.read(0x18, 4)).toBe(0);
    expect(fn.space.read(0x20, 4)).toBe(0);
    expect(fn.space.read(0x24, 4)).toBe(0x00010001); // 64-bit prefetchable type bits stay
    expect(fn.space.read(0x28, 4)).toBe(0);
    expect(fn.space.read(0x3e, 2)).toBe(0);
    expect(fn.space.read(cap(fn, 0x10) + 0x08, 2) & 0x000f).toBe(0);
    expect(ruleAt(r, 0x20)).toMatch(/pci_bridge_reset.*xio3130_upstream_reset/);
  });

  it('xio3130-downstream bus reset: bridge, slot (populated: 0x01c0) and ARI forwarding', () => {
    const fn = fixture('xio3130-downstream');
    dirtyBridge(fn);
    const exp = cap(fn, 0x10);
    fn.space.write(exp + PCI_EXP_SLTCTL, 2, 0x033b);
    fn.space.write(exp + 0x28, 2, 0x0020);
    applyReset(fn, 'bus', { slotPopulated: true });
    expect(fn.space.read(0x20, 4)).toBe(0);
    expect(fn.space.read(exp + PCI_EXP_SLTCTL, 2)).toBe(0x01c0);
    expect(fn.space.read(exp + PCI_EXP_SLTSTA, 2) & (PCI_EXP_SLTSTA_CC | 0x9)).toBe(0);
    expect(fn.space.read(exp + 0x28, 2) & 0x0020).toBe(0);
  });

  it('ioh3420: rp_aer_vector_update runs before msi_reset, so the AER IRQ keeps the pre-reset vector', () => {
    const fn = fixture('ioh3420');
    const msi = cap(fn, 0x05);
    fn.space.write(msi + 2, 2, 0x0011); // ENABLE, QSIZE 1 (2 vectors)
    expect(aerIrq(fn)).toBe(1);
    const r = applyReset(fn, 'cold', { slotPopulated: true });
    expect(fn.space.read(msi + 2, 2) & 0x0071).toBe(0);
    expect(aerIrq(fn)).toBe(1);
    const irq = r.fields.find((o) => o.register === 'PCI_ERR_ROOT_STATUS' && /rp_aer_vector_update/.test(o.rule));
    expect(irq?.rule).toMatch(/ioh3420_aer_vector/);
    fn.space.write(0x3c, 1, 0x0a); // any write: rp_write_config recomputes from QSIZE 0
    expect(aerIrq(fn)).toBe(0);
  });
});

describe('QEMU 7.2 write side effects (profile write hooks)', () => {
  it('msi_write_config clamps QSIZE to QMASK only while MSI is enabled', () => {
    const fn = fixture('e1000e');
    const flags = cap(fn, 0x05) + 2;
    const qmask = (fn.space.read(flags, 2) & 0x000e) >> 1;
    fn.space.write(flags, 2, 0x0070);
    expect((fn.space.read(flags, 2) & 0x0070) >> 4).toBe(7);
    fn.space.write(flags, 2, 0x0071);
    expect((fn.space.read(flags, 2) & 0x0070) >> 4).toBe(qmask);
  });

  it('pcie_cap_slot_write_config: SLTCTL writes set CC, EIC toggles EIS, SLTSTA W1C of unset events is reverted', () => {
    const fn = fixture('pcie-root-port');
    const exp = cap(fn, 0x10);
    const sta = () => fn.space.read(exp + PCI_EXP_SLTSTA, 2);
    fn.space.write(exp + PCI_EXP_SLTCTL, 2, 0x01c0);
    expect(sta() & PCI_EXP_SLTSTA_CC).toBe(PCI_EXP_SLTSTA_CC);
    fn.space.write(exp + PCI_EXP_SLTSTA, 2, 0xffff); // 1s for events that are not set: all restored
    expect(sta() & PCI_EXP_SLTSTA_CC).toBe(PCI_EXP_SLTSTA_CC);
    fn.space.write(exp + PCI_EXP_SLTSTA, 2, PCI_EXP_SLTSTA_CC);
    expect(sta() & PCI_EXP_SLTSTA_CC).toBe(0);
    const eis = sta() & PCI_EXP_SLTSTA_EIS;
    fn.space.write(exp + PCI_EXP_SLTCTL, 2, 0x09c0); // EIC
    expect(sta() & PCI_EXP_SLTSTA_EIS).toBe(eis ^ PCI_EXP_SLTSTA_EIS);
    expect(fn.space.read(exp + PCI_EXP_SLTCTL, 2) & 0x0800).toBe(0);
  });

  it('the spec profile has none of them', () => {
    const fn = fixture('pcie-root-port', 'spec');
    const exp = cap(fn, 0x10);
    fn.space.write(exp + PCI_EXP_SLTCTL, 2, 0x01c0);
    expect(fn.space.read(exp + PCI_EXP_SLTSTA, 2) & PCI_EXP_SLTSTA_CC).toBe(0);
  });
});

describe('attribute fixes', () => {
  it('DEVCTL2.EETLPPB: RsvdP on an endpoint by the spec, writable on every QEMU function (pcie_cap_init)', () => {
    const devctl2 = (fn: PciFunction) => cap(fn, 0x10) + 0x28;
    const spec = fixture('nvme', 'spec');
    spec.space.write(devctl2(spec), 2, 0x8000);
    expect(spec.space.read(devctl2(spec), 2) & 0x8000).toBe(0);
    const qemu = fixture('nvme');
    qemu.space.write(devctl2(qemu), 2, 0x8000);
    expect(qemu.space.read(devctl2(qemu), 2) & 0x8000).toBe(0x8000);
  });

  it('virtio PCI_CFG window: bar, offset and length writable in that VNDR instance only (cfg_type 5 at +3)', () => {
    const fn = fixture('virtio-net');
    const vndrs = fn.walk.capabilities.filter((c) => c.key === 'vndr');
    const cfg = vndrs.find((c) => fn.space.bytes[c.offset + 3] === 5)!;
    expect(vndrs.length).toBeGreaterThan(1);
    const original = fn.space.snapshot();
    for (const c of vndrs) {
      fn.space.write(c.offset + 4, 4, 0xffffffff);
      fn.space.write(c.offset + 8, 4, 0x12345678);
    }
    for (const c of vndrs) {
      const isCfg = c === cfg;
      expect(fn.space.read(c.offset + 4, 1), `bar of VNDR@${c.offset.toString(16)}`).toBe(isCfg ? 0xff : original[c.offset + 4]);
      expect(fn.space.read(c.offset + 8, 4) === 0x12345678).toBe(isCfg);
    }
    expect(fn.space.read(cfg.offset + 5, 1), 'cap.id stays read-only').toBe(0);
  });
});
