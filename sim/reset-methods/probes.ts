/**
 * The reset methods of drivers/pci/pci.c pci_reset_fn_methods[], each in probe mode
 * (PCI_RESET_PROBE, as pci_init_reset_methods calls them) and in reset mode (as
 * __pci_reset_function_locked calls them). The model's device always completes a reset it starts
 * (pci_dev_wait succeeds), so reset mode differs from probe mode only where the kernel checks
 * more at reset time: pm (-EINVAL unless dev->current_state is D0) and, in 6.12, bus below a CXL
 * port with SBR masked.
 */
import type { ResetProbeDevice } from './device.js';
import type { KernelResetProfile, ResetMethodName } from './kernels.js';
import { pcieResetFlr } from './probes-flr.js';
import { pciDevSpecificReset } from './quirks.js';
import { CANNOT_TELL, EINVAL, ENOTTY, type ProbeResult } from './result.js';

export type Mode = 'probe' | 'reset';

/** pci-acpi.c pci_dev_acpi_reset: needs an ACPI handle with _RST (an input: a dump cannot tell). */
function pciDevAcpiReset(dev: ResetProbeDevice): ProbeResult {
  return dev.acpiRst
    ? { rc: 0, reason: 'pci_dev_acpi_reset: the ACPI companion has _RST (given with --acpi-rst)' }
    : { rc: ENOTTY, reason: 'pci_dev_acpi_reset: no ACPI _RST method (assumed; a dump cannot show it)' };
}

/** pci.c pci_af_flr. */
function pciAfFlr(dev: ResetProbeDevice): ProbeResult {
  if (dev.unknown?.af) return { rc: CANNOT_TELL, reason: `pci_af_flr: ${dev.unknown.af}` };
  if (!dev.af) return { rc: ENOTTY, reason: 'pci_af_flr: no Advanced Features capability' };
  if (dev.flags.has('no-flr')) return { rc: ENOTTY, reason: 'pci_af_flr: PCI_DEV_FLAGS_NO_FLR_RESET set' };
  if (!dev.af.tp || !dev.af.flr) return { rc: ENOTTY, reason: 'pci_af_flr: PCI_AF_CAP lacks TP or FLR' };
  return { rc: 0, reason: 'pci_af_flr: PCI_AF_CAP has TP and FLR' };
}

/** pci.c pci_pm_reset. */
function pciPmReset(dev: ResetProbeDevice, mode: Mode): ProbeResult {
  if (dev.unknown?.pm) return { rc: CANNOT_TELL, reason: `pci_pm_reset reads dev->pm_cap and PMCSR: ${dev.unknown.pm}` };
  if (!dev.pmCap) {
    return { rc: ENOTTY, reason: dev.pmVersion !== undefined ? `pci_pm_reset: no dev->pm_cap (pci_pm_init rejects PM version ${dev.pmVersion})` : 'pci_pm_reset: no PM capability' };
  }
  if (dev.flags.has('no-pm')) return { rc: ENOTTY, reason: 'pci_pm_reset: PCI_DEV_FLAGS_NO_PM_RESET set' };
  if (dev.noSoftReset) return { rc: ENOTTY, reason: 'pci_pm_reset: PMCSR No_Soft_Reset=1' };
  if (mode === 'reset' && dev.currentState !== 0) {
    return { rc: EINVAL, reason: `pci_pm_reset: dev->current_state is D${dev.currentState === 4 ? '3cold' : dev.currentState}, not D0 (-EINVAL stops the method chain)` };
  }
  return { rc: 0, reason: 'pci_pm_reset: PM capability with No_Soft_Reset=0' };
}

/** pci.c pci_dev_reset_slot_function -> pci_reset_hotplug_slot. */
function pciDevResetSlotFunction(dev: ResetProbeDevice): ProbeResult {
  if (dev.multifunction) return { rc: ENOTTY, reason: 'pci_dev_reset_slot_function: multifunction device' };
  if (dev.hasSubordinate) return { rc: ENOTTY, reason: 'pci_dev_reset_slot_function: device has a subordinate bus' };
  if (dev.slot === 'none') return { rc: ENOTTY, reason: 'pci_dev_reset_slot_function: no dev->slot' };
  if (dev.flags.has('no-bus')) return { rc: ENOTTY, reason: 'pci_dev_reset_slot_function: PCI_DEV_FLAGS_NO_BUS_RESET set' };
  if (dev.slot === 'no-reset-op') return { rc: ENOTTY, reason: 'pci_reset_hotplug_slot: the slot\'s hotplug driver has no reset_slot op' };
  return { rc: 0, reason: 'pci_reset_hotplug_slot: the hotplug driver implements reset_slot (pciehp)' };
}

/** pci.c pci_parent_bus_reset. */
function pciParentBusReset(dev: ResetProbeDevice): ProbeResult {
  if (dev.onRootBus) return { rc: ENOTTY, reason: 'pci_parent_bus_reset: device is on the root bus' };
  if (dev.hasSubordinate) return { rc: ENOTTY, reason: 'pci_parent_bus_reset: device has a subordinate bus (dev->subordinate)' };
  if (!dev.busHasSelf) return { rc: ENOTTY, reason: 'pci_parent_bus_reset: no bus->self' };
  if (dev.flags.has('no-bus')) return { rc: ENOTTY, reason: 'pci_parent_bus_reset: PCI_DEV_FLAGS_NO_BUS_RESET set' };
  if (dev.siblings.length > 0) return { rc: ENOTTY, reason: `pci_parent_bus_reset: other devices on the same bus (${dev.siblings.join(', ')})` };
  if (dev.unknown?.siblings) return { rc: CANNOT_TELL, reason: `pci_parent_bus_reset refuses when other devices share the bus: ${dev.unknown.siblings}` };
  const via = dev.parentBdf ? `bridge ${dev.parentBdf}` : 'a bridge not in the dump';
  return { rc: 0, reason: `pci_parent_bus_reset: only device on its bus; secondary bus reset via ${via}` };
}

/** pci.c pci_reset_bus_function (with the version's CXL rule). */
function pciResetBusFunction(dev: ResetProbeDevice, mode: Mode, k: KernelResetProfile, unmasked = false): ProbeResult {
  const masked = dev.upstreamCxl !== undefined && !dev.upstreamCxl.unmaskSbr && !unmasked;
  if (masked && k.cxlMaskedBus === 'enotty') return { rc: ENOTTY, reason: 'pci_reset_bus_function: upstream CXL port has SBR masked' };
  if (masked && k.cxlMaskedBus === 'probe-ok-reset-enotty') {
    return mode === 'probe'
      ? { rc: 0, reason: 'pci_reset_bus_function: upstream CXL port has SBR masked; probe succeeds so the method stays listed' }
      : { rc: ENOTTY, reason: 'pci_reset_bus_function: upstream CXL port has SBR masked; the reset itself fails' };
  }
  const slot = pciDevResetSlotFunction(dev);
  if (slot.rc !== ENOTTY) return slot;
  const parent = pciParentBusReset(dev);
  return { rc: parent.rc, reason: `${slot.reason}; ${parent.reason}` };
}

/** pci.c cxl_reset_bus_function (6.12+): unmask SBR on the upstream port around a bus reset. */
function cxlResetBusFunction(dev: ResetProbeDevice, mode: Mode, k: KernelResetProfile): ProbeResult {
  if (!dev.busHasSelf) return { rc: ENOTTY, reason: 'cxl_reset_bus_function: no upstream bridge' };
  if (!dev.upstreamCxl) return { rc: ENOTTY, reason: dev.parentInDump ? 'cxl_reset_bus_function: upstream bridge has no CXL port DVSEC' : 'cxl_reset_bus_function: upstream bridge not in the dump (taken as non-CXL)' };
  if (mode === 'probe') return { rc: 0, reason: 'cxl_reset_bus_function: upstream bridge has a CXL port DVSEC' };
  const r = pciResetBusFunction(dev, mode, k, true);
  return { rc: r.rc, reason: `cxl_reset_bus_function with SBR unmasked: ${r.reason}` };
}

export function runMethod(method: ResetMethodName, dev: ResetProbeDevice, mode: Mode, k: KernelResetProfile): ProbeResult {
  switch (method) {
    case 'device_specific': return pciDevSpecificReset(dev, k);
    case 'acpi': return pciDevAcpiReset(dev);
    case 'flr': return pcieResetFlr(dev);
    case 'af_flr': return pciAfFlr(dev);
    case 'pm': return pciPmReset(dev, mode);
    case 'bus': return pciResetBusFunction(dev, mode, k);
    case 'cxl_bus': return cxlResetBusFunction(dev, mode, k);
  }
}
