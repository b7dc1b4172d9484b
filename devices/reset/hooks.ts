/**
 * The resets a guest-visible write triggers, as write hooks on the bytes that trigger them, so a
 * modelled function reacts to the same config writes hardware does:
 *  - PCI_EXP_DEVCTL_BCR_FLR written as 1 (PCIe r6.0 6.6.2; Linux pcie_flr) -> FLR;
 *  - PMCSR PowerState D3hot -> D0 (PCI PM 1.2 5.4.1, PCIe r6.0 5.3.1.4; Linux pci_pm_reset)
 *    -> the PM reset, which devices/reset/apply.ts leaves undone when No_Soft_Reset is set;
 *  - BRIDGE_CONTROL Secondary Bus Reset 0 -> 1 (PCI-PCI Bridge r1.2 3.2.5.17; Linux
 *    pci_reset_secondary_bus) -> a hot reset of every function connected below the bridge.
 * The reset itself follows the function's personality (spec, or QEMU 7.2 which, for instance,
 * resets nothing on D3hot -> D0). A trigger bit the profile makes read-only triggers nothing.
 */
import { capabilityById } from '../capability-lookup.js';
import type { PciFunction } from '../device.js';
import { applyReset } from './apply.js';
import {
  PCI_BRIDGE_CONTROL, PCI_BRIDGE_CTL_BUS_RESET, PCI_CAP_ID_EXP, PCI_CAP_ID_PM, PCI_EXP_DEVCTL, PCI_EXP_DEVCTL_BCR_FLR,
  PCI_PM_CTRL, PCI_PM_CTRL_STATE_MASK,
} from '../pci-regs.js';
import type { WriteEvent } from '../config-space.js';
import { PCI_D0, PCI_D3hot } from '../caps/pm.js';

/** The bits of register [reg, reg+width) that `ev` wrote, and its before/after values. */
function slice(ev: WriteEvent, reg: number, width: number): { written: number; before: number; after: number } | undefined {
  if (reg < ev.offset || reg + width > ev.offset + ev.width) return undefined;
  const shift = (reg - ev.offset) * 8;
  const mask = width === 4 ? 0xffffffff : (1 << (8 * width)) - 1;
  return { written: (ev.written >>> shift) & mask, before: (ev.before >>> shift) & mask, after: (ev.after >>> shift) & mask };
}

/** A standard capability's offset, when its registers are modelled (not truncated away). */
function capOffset(fn: PciFunction, id: number): number | undefined {
  const cap = capabilityById(fn, id, false);
  return cap && cap.registers.length > 0 ? cap.offset : undefined;
}

export function installResetHooks(fn: PciFunction): void {
  const pcie = capOffset(fn, PCI_CAP_ID_EXP);
  if (pcie !== undefined) {
    const devctl = pcie + PCI_EXP_DEVCTL;
    fn.space.addHook({
      name: 'FLR (PCI_EXP_DEVCTL_BCR_FLR)',
      start: devctl, end: devctl + 2,
      onWrite: (space, ev) => {
        const s = slice(ev, devctl, 2);
        if (!s || !(s.written & PCI_EXP_DEVCTL_BCR_FLR)) return;
        if (!(space.mask('writable', devctl, 2) & PCI_EXP_DEVCTL_BCR_FLR)) return;
        applyReset(fn, 'flr');
      },
    });
  }
  const pm = capOffset(fn, PCI_CAP_ID_PM);
  if (pm !== undefined) {
    const pmcsr = pm + PCI_PM_CTRL;
    fn.space.addHook({
      name: 'PM reset (PMCSR D3hot -> D0)',
      start: pmcsr, end: pmcsr + 2,
      onWrite: (_space, ev) => {
        const s = slice(ev, pmcsr, 2);
        if (!s) return;
        if ((s.before & PCI_PM_CTRL_STATE_MASK) === PCI_D3hot && (s.after & PCI_PM_CTRL_STATE_MASK) === PCI_D0) applyReset(fn, 'pm');
      },
    });
  }
}

/**
 * Connect the functions below a modelled bridge: asserting its Secondary Bus Reset hot-resets
 * each of them (the bit stays set until software clears it; only the 0 -> 1 edge resets, as
 * QEMU's pci_bridge_write_config does).
 */
export function connectSecondaryBus(bridge: PciFunction, children: readonly PciFunction[]): void {
  bridge.space.addHook({
    name: 'secondary bus reset (PCI_BRIDGE_CTL_BUS_RESET)',
    start: PCI_BRIDGE_CONTROL, end: PCI_BRIDGE_CONTROL + 2,
    onWrite: (_space, ev) => {
      const s = slice(ev, PCI_BRIDGE_CONTROL, 2);
      if (!s || (s.before & PCI_BRIDGE_CTL_BUS_RESET) || !(s.after & PCI_BRIDGE_CTL_BUS_RESET)) return;
      for (const child of children) applyReset(child, 'bus');
    },
  });
}
