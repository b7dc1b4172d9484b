/**
 * What the PCIe specification requires of each reset kind, decided from the compiled register
 * attributes (PCIe Base r6.0 7.4 "Configuration Register Types"):
 *  - RW / RW1C / RW1S bits that are not sticky return to their reset value on FLR, hot reset
 *    (secondary bus reset) and cold reset;
 *  - sticky bits (RWS, RW1CS) survive FLR and hot reset, and are initialised only by a cold reset
 *    (without auxiliary power);
 *  - HwInit bits are loaded by hardware or firmware at power-up; only a cold reset re-initialises
 *    them. The model cannot know what firmware would load, so it keeps the dump's value and says so;
 *  - RO bits are constants; volatile RO bits are owned by the hardware (link status, presence),
 *    the model keeps the dump's value.
 * FLR must not affect the Link (PCIe r6.0 6.6.2): the link-related control fields below keep
 * their value. The spec text is not available in this environment; the list follows the 6.6.2
 * list as published in earlier revisions (Max_Payload_Size, ASPM Control, RCB, Common Clock
 * Configuration, Extended Synch, Enable Clock PM, HW Autonomous Width/Speed Disable, VC
 * registers); extend it here when checked against r6.0.
 * D3hot->D0 (PCIe r6.0 5.3.1.4, PCI PM r1.2 5.4.1): with No_Soft_Reset=0 the function is reset
 * internally (as FLR: sticky and HwInit survive; the Link is not retrained by a D-state change of
 * one function, so the same link fields are kept [A]); with No_Soft_Reset=1 nothing but the power
 * state changes.
 */
import type { PciFunction } from '../device.js';
import { fieldMask, type FieldDef } from '../registers.js';
import { capabilityById } from '../capability-lookup.js';
import type { ResetPlan } from './plan.js';
import type { ResetKind } from './kinds.js';
import {
  PCI_CAP_ID_EXP, PCI_CAP_ID_PM, PCI_EXP_DEVCTL, PCI_EXP_LNKCTL, PCI_EXP_LNKCTL2, PCI_EXT_CAP_ID_VC,
  PCI_EXT_CAP_ID_VC9, PCI_PM_CTRL, PCI_PM_CTRL_NO_SOFT_RESET, PCI_PM_CTRL_STATE_MASK,
} from '../pci-regs.js';

export const RULE = {
  rw: 'RW: returns to its reset value (PCIe r6.0 7.4)',
  rw1c: 'RW1C status: cleared by the reset (PCIe r6.0 7.4)',
  rw1s: 'RW1S: returns to its reset value (PCIe r6.0 7.4)',
  stickyCold: 'sticky: initialised by cold reset only (PCIe r6.0 7.4)',
  sticky: 'sticky: survives FLR, D3hot->D0 and hot reset (PCIe r6.0 7.4)',
  hwinit: 'HwInit: survives all but cold reset (PCIe r6.0 7.4)',
  hwinitCold: 'HwInit: re-initialised by hardware/firmware on cold reset; the model cannot know those values and keeps the dump\'s',
  ro: 'RO: constant',
  volatile: 'volatile: hardware-owned; the model keeps the dump\'s value',
  reserved: 'reserved',
  flrLink: 'FLR does not affect link-related registers (PCIe r6.0 6.6.2)',
  pmLink: 'D3hot->D0 of one function does not retrain the Link (PCIe r6.0 5.3.1.4) [A]',
  powerState: 'PMCSR PowerState: pci_pm_reset writes D3hot then D0 (PCI PM r1.2 5.4.1)',
  noSoftRst: 'No_Soft_Reset=1: D3hot->D0 keeps the function\'s state (PCIe r6.0 5.3.1.4)',
  noFlr: 'DEVCAP.FLR=0: the function ignores Initiate FLR (PCIe r6.0 7.5.3.4)',
  scratch: 'unclaimed RW byte: no register owns it',
} as const;

/** Link-related fields FLR leaves alone, as (PCIe-capability-relative offset, width, mask). */
const FLR_LINK_FIELDS: readonly (readonly [number, 2 | 4, number])[] = [
  [PCI_EXP_DEVCTL, 2, 0x00e0], // PCI_EXP_DEVCTL_PAYLOAD (Max_Payload_Size)
  [PCI_EXP_LNKCTL, 2, 0x0003 | 0x0008 | 0x0040 | 0x0080 | 0x0100 | 0x0200], // ASPMC RCB CCC ES CLKREQ_EN HAWD
  [PCI_EXP_LNKCTL2, 2, 0x0020], // PCI_EXP_LNKCTL2_HASD
];

function resetRule(fd: FieldDef): string {
  return fd.access === 'RW1C' ? RULE.rw1c : fd.access === 'RW1S' ? RULE.rw1s : RULE.rw;
}

/** Plan the spec behaviour of `kind` on `fn`. `performed` false means the reset did not happen. */
export function planSpecReset(fn: PciFunction, kind: ResetKind, plan: ResetPlan, performed: boolean): void {
  if (!performed) return;
  if (kind === 'pm' && noSoftReset(fn)) {
    resetPowerState(fn, plan);
    return;
  }
  for (const reg of fn.space.layout.registers) {
    for (const fd of reg.fields) {
      if (fd.access !== 'RW' && fd.access !== 'RW1C' && fd.access !== 'RW1S') continue;
      if (fd.sticky && kind !== 'cold') continue;
      const m = fieldMask(fd);
      const resetBits = ((fd.reset ?? 0) << fd.lo) >>> 0;
      plan.reset(reg.offset, reg.width, m, resetBits & m, fd.sticky ? RULE.stickyCold : resetRule(fd));
    }
  }
  if (kind === 'flr' || kind === 'pm') keepLinkFields(fn, plan, kind === 'flr' ? RULE.flrLink : RULE.pmLink);
  if (kind === 'pm') resetPowerState(fn, plan);
}

function keepLinkFields(fn: PciFunction, plan: ResetPlan, rule: string): void {
  const exp = capabilityById(fn, PCI_CAP_ID_EXP, false);
  if (exp) {
    for (const [rel, width, mask] of FLR_LINK_FIELDS) {
      if (rel + width <= exp.size) plan.keep(exp.offset + rel, width, mask, rule);
    }
  }
  for (const c of fn.walk.capabilities) {
    if (c.extended && !c.overlaps && (c.id === PCI_EXT_CAP_ID_VC || c.id === PCI_EXT_CAP_ID_VC9)) {
      for (let o = c.offset; o < c.offset + c.size; o += 4) plan.keep(o, 4, 0xffffffff, rule);
    }
  }
}

export function noSoftReset(fn: PciFunction): boolean {
  const pm = capabilityById(fn, PCI_CAP_ID_PM, false);
  return pm !== undefined && (fn.space.read(pm.offset + PCI_PM_CTRL, 2) & PCI_PM_CTRL_NO_SOFT_RESET) !== 0;
}

export function resetPowerState(fn: PciFunction, plan: ResetPlan, rule: string = RULE.powerState): void {
  const pm = capabilityById(fn, PCI_CAP_ID_PM, false);
  if (pm) plan.reset(pm.offset + PCI_PM_CTRL, 2, PCI_PM_CTRL_STATE_MASK, 0, rule);
}

/** Why an untouched field survived, under the spec personality. */
export function specSurvivalRule(fd: FieldDef, kind: ResetKind, performed: boolean, fn: PciFunction): string {
  if (fd.access === 'RsvdP' || fd.access === 'RsvdZ') return RULE.reserved;
  if (fd.access === 'HwInit') return kind === 'cold' ? RULE.hwinitCold : RULE.hwinit;
  if (fd.access === 'RO') return fd.volatile ? RULE.volatile : RULE.ro;
  if (!performed) return RULE.noFlr;
  if (kind === 'pm' && noSoftReset(fn)) return RULE.noSoftRst;
  if (fd.sticky) return RULE.sticky;
  return RULE.rw;
}
