/**
 * Reset semantics: the QEMU 7.2 personality on the real QEMU fixtures (expected values from
 * qemu.md 2.2 observations: nvme FLR clears COMMAND/BAR0/INT_LINE/MSI-X enable and keeps PMCSR;
 * virtio FLR clears PMCSR and DEVCTL; D3hot->D0 resets nothing), and the spec personality's
 * attribute rules (sticky, HwInit, RW1C, No_Soft_Reset, FLR's link exemption).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildFunction, type PciFunction } from '../../../devices/device.js';
import { parseDump } from '../../../devices/dump/index.js';
import { parseLspci } from '../../../devices/dump/lspci.js';
import { profileForDump } from '../../../devices/profiles/index.js';
import { SPEC_PROFILE } from '../../../devices/profile.js';
import { applyReset, RESET_KINDS, ResetError, type ResetReport } from '../../../devices/reset/apply.js';

function fixture(name: string, profile = 'auto'): PciFunction {
  const [d] = parseDump(new Uint8Array(readFileSync(`fixtures/qemu/${name}.lspci`)));
  return buildFunction(d, profileForDump(d, profile));
}
const cap = (fn: PciFunction, id: number, ext = false) => fn.walk.capabilities.find((c) => c.id === id && c.extended === ext)!.offset;
const field = (r: ResetReport, reg: string, f: string) => r.fields.find((o) => o.register === reg && o.field === f)!;

/** Put the function in a driver-bound state: decode + master on, BAR0 assigned, IRQ line set. */
function bind(fn: PciFunction): void {
  fn.space.write(0x04, 2, 0x0507);
  fn.space.write(0x10, 4, 0xfebf0000);
  fn.space.write(0x3c, 1, 0x0b);
  fn.space.write(0x0c, 1, 0x10);
}

describe('qemu-7.2 personality (fixtures/qemu)', () => {
  it('nvme FLR clears COMMAND, BAR0, INTERRUPT_LINE and MSI-X enable but keeps PMCSR D3 and scratch', () => {
    const fn = fixture('nvme');
    bind(fn);
    const pm = cap(fn, 0x01);
    const msix = cap(fn, 0x11);
    fn.space.write(msix + 2, 2, 0x8000);
    fn.space.write(pm + 4, 2, 0x0003);
    fn.space.write(0xc0, 4, 0x12345678); // scratch (pci_init_wmask)
    const r = applyReset(fn, 'flr');
    expect(r.performed).toBe(true);
    expect(fn.space.read(0x04, 2)).toBe(0);
    expect(fn.space.read(0x10, 4) & ~0xf).toBe(0);
    expect(fn.space.read(0x3c, 1)).toBe(0);
    expect(fn.space.read(0x0c, 1)).toBe(0);
    expect(fn.space.read(msix + 2, 2) & 0xc000).toBe(0);
    expect(fn.space.read(pm + 4, 2) & 3).toBe(3);
    expect(fn.space.read(0xc0, 4)).toBe(0x12345678);
    expect(field(r, 'PCI_COMMAND', 'PCI_COMMAND_MASTER').rule).toMatch(/pci_do_device_reset/);
    expect(r.fields.find((o) => o.offset === pm + 4 && /STATE/.test(o.field))!.rule).toMatch(/does not touch PMCSR/);
    expect(r.scratch.some((s) => s.offset <= 0xc0 && s.offset + s.length > 0xc0 && /scratch/.test(s.rule))).toBe(true);
  });

  it('virtio FLR: the device handler clears PMCSR, DEVCTL error enables and LNKCTL CCC/ES', () => {
    const fn = fixture('virtio-net');
    bind(fn);
    const pm = cap(fn, 0x01);
    const exp = cap(fn, 0x10);
    fn.space.write(pm + 4, 2, 0x0003);
    fn.space.write(exp + 8, 2, 0x000f);
    fn.space.write(exp + 0x10, 2, 0x00c0);
    const r = applyReset(fn, 'flr');
    expect(fn.space.read(pm + 4, 2)).toBe(0);
    expect(fn.space.read(exp + 8, 2) & 0x000f).toBe(0);
    expect(fn.space.read(exp + 0x10, 2) & 0x00c0).toBe(0);
    expect(r.fields.filter((o) => o.changed).some((o) => /virtio_pci_bus_reset/.test(o.rule))).toBe(true);
  });

  it('e1000e has no FLR: a BCR_FLR request changes nothing', () => {
    const fn = fixture('e1000e');
    bind(fn);
    const r = applyReset(fn, 'flr');
    expect(r.performed).toBe(false);
    expect(r.fields.filter((o) => o.changed)).toEqual([]);
    expect(field(r, 'PCI_COMMAND', 'PCI_COMMAND_MASTER').rule).toMatch(/no pcie_cap_flr_init/);
  });

  it('D3hot->D0 resets nothing but PowerState, whatever No_Soft_Reset says', () => {
    const fn = fixture('virtio-net');
    bind(fn);
    const pm = cap(fn, 0x01);
    fn.space.write(pm + 4, 2, 0x0003);
    const r = applyReset(fn, 'pm');
    expect(r.fields.filter((o) => o.changed).map((o) => o.offset)).toEqual([pm + 4]);
    expect(fn.space.read(0x04, 2)).toBe(0x0507);
    expect(field(r, 'PCI_COMMAND', 'PCI_COMMAND_MASTER').rule).toMatch(/D3hot->D0 resets nothing/);
  });

  it('bus reset keeps AER status (pci_do_device_reset does not touch AER)', () => {
    const fn = fixture('e1000e');
    bind(fn);
    const aer = cap(fn, 0x01, true);
    fn.space.poke(aer + 0x10, 4, 0x40); // COR_STATUS bit set by hardware
    const r = applyReset(fn, 'bus');
    expect(fn.space.read(aer + 0x10, 4)).toBe(0x40);
    expect(fn.space.read(0x04, 2)).toBe(0);
    expect(r.fields.find((o) => o.offset === aer + 0x10 && o.before !== 0)!.rule).toMatch(/does not touch AER/);
  });

  it('root port reset (rp_reset): bus numbers, windows and BRIDGE_CONTROL back to QEMU defaults', () => {
    const fn = fixture('pcie-root-port');
    fn.space.write(0x3e, 2, 0x0002);
    fn.space.write(0x20, 4, 0xfe00fe00);
    const r = applyReset(fn, 'cold', { slotPopulated: true });
    expect(fn.space.read(0x18, 4)).toBe(0);
    expect(fn.space.read(0x3e, 2)).toBe(0);
    expect(fn.space.read(0x20, 2) & 0xfff0).toBe(0xfff0);
    expect(fn.space.read(0x22, 2) & 0xfff0).toBe(0);
    const exp = cap(fn, 0x10);
    expect(fn.space.read(exp + 0x18, 2) & 0x07c0).toBe(0x01c0); // PCC on, power indicator on, attention off (qemu.md OBS 0x01c0)
    expect(r.fields.some((o) => o.changed && /rp_reset/.test(o.rule))).toBe(true);
  });
});

describe('spec personality', () => {
  it('FLR: RW and RW1C reset, sticky survives, HwInit survives, link fields kept', () => {
    const fn = fixture('virtio-net-aer', 'spec');
    bind(fn);
    const pm = cap(fn, 0x01);
    const exp = cap(fn, 0x10);
    const aer = cap(fn, 0x01, true);
    fn.space.write(pm + 4, 2, 0x0100); // PME_En: sticky
    fn.space.poke(aer + 0x04, 4, 0x00001000); // UNCOR_STATUS: RW1CS in AER
    fn.space.write(exp + 0x10, 2, 0x0043); // LNKCTL ASPM L0s|L1 + CCC
    const r = applyReset(fn, 'flr');
    expect(r.performed).toBe(true);
    expect(fn.space.read(0x04, 2)).toBe(0);
    expect(fn.space.read(pm + 4, 2) & 0x0100).toBe(0x0100);
    expect(field(r, 'PCI_PM_CTRL', 'PCI_PM_CTRL_PME_ENABLE').rule).toMatch(/sticky: survives FLR/);
    expect(fn.space.read(exp + 0x10, 2) & 0x0043).toBe(0x0043);
    expect(r.fields.find((o) => o.offset === exp + 0x10 && o.before !== 0)!.rule).toMatch(/6\.6\.2/);
    const hw = r.fields.filter((o) => /HwInit/.test(o.rule));
    for (const o of hw) expect(o.changed).toBe(false);
  });

  it('cold reset clears sticky bits and says HwInit keeps the dump value', () => {
    const fn = fixture('virtio-net', 'spec');
    const pm = cap(fn, 0x01);
    fn.space.write(pm + 4, 2, 0x0100);
    const r = applyReset(fn, 'cold');
    expect(fn.space.read(pm + 4, 2) & 0x0100).toBe(0);
    expect(field(r, 'PCI_PM_CTRL', 'PCI_PM_CTRL_PME_ENABLE').rule).toMatch(/cold reset only/);
    expect(r.notes.join(' ')).toMatch(/HwInit/);
  });

  it('D3hot->D0 with No_Soft_Reset=1 (nvme) changes only PowerState', () => {
    const fn = fixture('nvme', 'spec');
    bind(fn);
    const pm = cap(fn, 0x01);
    fn.space.write(pm + 4, 2, 0x0003);
    const r = applyReset(fn, 'pm');
    expect(r.fields.filter((o) => o.changed).map((o) => o.field)).toEqual(['PCI_PM_CTRL_STATE_MASK']);
    expect(field(r, 'PCI_COMMAND', 'PCI_COMMAND_MASTER').rule).toMatch(/No_Soft_Reset=1/);
  });

  it('D3hot->D0 with No_Soft_Reset=0 (e1000e) resets like FLR', () => {
    const fn = fixture('e1000e', 'spec');
    bind(fn);
    applyReset(fn, 'pm');
    expect(fn.space.read(0x04, 2)).toBe(0);
  });

  it('D3hot->D0 on a function without PM is a typed error', () => {
    const fn = fixture('qemu-xhci', 'spec');
    expect(() => applyReset(fn, 'pm')).toThrow(ResetError);
  });

  it('reports every field of every register once', () => {
    const fn = fixture('e1000e', 'spec');
    const r = applyReset(fn, 'bus');
    const n = fn.space.layout.registers.reduce((s, reg) => s + reg.fields.length, 0);
    expect(r.fields.length).toBe(n);
    expect(SPEC_PROFILE.personality).toBe('spec');
  });
});

describe('ResetReport.changedFields', () => {
  it('counts the fields the field-by-field account reports changed, for every kind and both personalities on every QEMU fixture', () => {
    let changed = 0;
    for (const file of readdirSync('fixtures/qemu').filter((f) => f.endsWith('.lspci'))) {
      for (const dump of parseLspci(readFileSync(`fixtures/qemu/${file}`, 'utf8'))) {
        for (const [kind, profile] of RESET_KINDS.flatMap((k) => [[k, SPEC_PROFILE], [k, profileForDump(dump, 'auto')]] as const)) {
          const fn = buildFunction(dump, profile);
          // Dirty every writable bit first, so the reset has something to change.
          for (const reg of fn.space.layout.registers) fn.space.write(reg.offset, reg.width, 0xffffffff);
          let r;
          try { r = applyReset(fn, kind); } catch { continue; }
          expect(r.changedFields, `${file} ${kind} ${profile.name}`).toBe(r.fields.filter((f) => f.changed).length);
          changed += r.changedFields;
        }
      }
    }
    expect(changed).toBeGreaterThan(50);
  });
});
