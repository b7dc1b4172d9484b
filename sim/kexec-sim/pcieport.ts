/**
 * The PCIe port driver (drivers/pci/pcie/portdrv.c; portdrv_core.c in v6.1), as far as it
 * touches the port's config space.
 *
 * Probe, pcie_port_device_register: pci_enable_device; get_port_device_capability picks the
 * services; with none it returns before pci_set_master and before any IRQ vector is allocated
 * (a switch port on QEMU's q35 has none: no PME/AER service off Root Ports and RCECs, no native
 * hotplug, no DPC); otherwise pci_set_master and pcie_init_service_irqs (MSI-X, else MSI: one
 * vector on QEMU's ports).
 *
 * get_port_device_capability (v6.1, v6.12, v7.1):
 *  - HP: dev->is_hotplug_bridge (SLTCAP.HPC) on a Root or Downstream Port, and the OS owns
 *    hotplug (pcie_ports_native || host->native_pcie_hotplug; PlatformOptions.nativeHotplug);
 *  - AER: a port with an AER capability, pci_aer_available and native AER; v6.2+ only on Root
 *    Ports and RCECs ("PCI/portdrv: Allow AER service only for Root Ports & RCECs"); in v6.1 every
 *    port gets the service and its IRQ, though aer_probe then refuses anything but a Root Port or
 *    RCEC (-ENODEV). Observed: 6.1 switch ports have MSI enabled, 6.12 and 7.x ones do not;
 *  - PME: Root Port or RCEC, native PME (assumed granted, as AER);
 *  - DPC: a DPC capability, pci_aer_available, and the AER service (or pcie_ports_dpc_native);
 *  - BWCTRL (v6.13+: the 6.19 and 7.1 profiles): Root or Downstream Port with LNKCAP.LBNC.
 *
 * Remove (sysfs unbind), pcie_portdrv_remove: pcie_port_device_remove (each service's ->remove:
 * AER's aer_remove -> aer_disable_rootport clears the ROOT_COMMAND enables (aer_disable_irq) and
 * ROOT_STATUS; v6.1 first calls set_downstream_devices_error_reporting(false), clearing DEVCTL's
 * error-reporting enables on the port), then pci_free_irq_vectors, then pci_disable_device.
 */
import type { KernelProfileId } from '../linux/profile.js';
import { pcieClearAndSet, pcieRead, type KexecDev } from './dev.js';
import { pciFreeIrqVectors } from './irq.js';
import type { PlatformOptions } from './options.js';
import { PCI_EXP_AER_FLAGS } from './regs.js';
import {
  PCI_ERR_COR_STATUS, PCI_ERR_ROOT_COMMAND, PCI_ERR_ROOT_STATUS, PCI_ERR_UNCOR_STATUS, PCI_EXP_DEVCTL, PCI_EXP_RTCTL, PCI_EXP_LNKCAP, PCI_EXP_SLTCAP,
  PCI_EXP_TYPE_DOWNSTREAM, PCI_EXP_TYPE_RC_EC, PCI_EXP_TYPE_ROOT_PORT, PCI_EXP_TYPE_UPSTREAM, PCI_EXT_CAP_ID_DPC,
} from '../../devices/pci-regs.js';
import { pciFindExtCapability, pciSetupCapLookup } from '../../devices/find-cap.js';
import { stepRead, stepWrite } from '../write-log/steps.js';

export type PortService = 'pme' | 'aer' | 'hotplug' | 'dpc' | 'bwctrl';

const PCI_EXP_SLTCAP_HPC = 0x00000040;
const PCI_EXP_LNKCAP_LBNC = 0x00200000;
/** aer.c ROOT_PORT_INTR_ON_MESG_MASK: the three Root Error Command enables. */
const ROOT_PORT_INTR_ON_MESG_MASK = 0x7;

/** Kernels whose portdrv has the bandwidth controller service (pcie/bwctrl.c, v6.13). */
const HAS_BWCTRL: ReadonlySet<KernelProfileId> = new Set(['6.19', '7.1']);
/** Kernels whose portdrv gives every port with AER the AER service (v6.1). */
const AER_SERVICE_ANY_PORT: ReadonlySet<KernelProfileId> = new Set(['6.1', '6.1.y']);
/** Kernels whose aer_disable_rootport still turns off error reporting below the port (v6.1). */
const AER_REMOVE_DISABLES_REPORTING: ReadonlySet<KernelProfileId> = new Set(['6.1', '6.1.y']);

export function isPciePort(d: KexecDev): boolean {
  const t = d.pcie?.layout.type;
  return t === PCI_EXP_TYPE_ROOT_PORT || t === 0x5 || t === PCI_EXP_TYPE_DOWNSTREAM || t === PCI_EXP_TYPE_RC_EC;
}

/** portdrv get_port_device_capability. */
export async function portServices(d: KexecDev, kernel: KernelProfileId, p: PlatformOptions): Promise<PortService[]> {
  const type = d.pcie?.layout.type;
  const rootish = type === PCI_EXP_TYPE_ROOT_PORT || type === PCI_EXP_TYPE_RC_EC;
  const downish = type === PCI_EXP_TYPE_ROOT_PORT || type === PCI_EXP_TYPE_DOWNSTREAM;
  const out: PortService[] = [];
  if (downish && d.pcie?.layout.slot && ((await pcieRead(d, PCI_EXP_SLTCAP, 4)) & PCI_EXP_SLTCAP_HPC) && p.nativeHotplug) out.push('hotplug');
  const aerAvailable = p.msiEnabled;
  if ((rootish || AER_SERVICE_ANY_PORT.has(kernel)) && d.aerCap && aerAvailable && p.aerNative) out.push('aer');
  if (rootish) out.push('pme');
  const lookup = await pciSetupCapLookup(d.access.config);
  if ((await pciFindExtCapability(lookup, PCI_EXT_CAP_ID_DPC)) && aerAvailable && out.includes('aer')) out.push('dpc');
  if (HAS_BWCTRL.has(kernel) && downish && ((await pcieRead(d, PCI_EXP_LNKCAP, 4)) & PCI_EXP_LNKCAP_LBNC)) out.push('bwctrl');
  return out;
}

/** aer.c SYSTEM_ERROR_INTR_ON_MESG_MASK: RTCTL SECEE | SENFEE | SEFEE. */
const SYSTEM_ERROR_INTR_ON_MESG_MASK = 0x7;

/**
 * aer.c aer_probe -> aer_enable_rootport (v6.1, v6.12, v7.1): system errors on error messages
 * off (RTCTL), Root/Correctable/Uncorrectable Error Status cleared, v6.1 error reporting on
 * (set_downstream_devices_error_reporting(true)), then the ROOT_COMMAND enables (aer_enable_irq).
 */
export async function aerEnableRootport(d: KexecDev, kernel: KernelProfileId): Promise<void> {
  const type = d.pcie?.layout.type;
  if (type !== PCI_EXP_TYPE_ROOT_PORT && type !== PCI_EXP_TYPE_RC_EC) {
    d.log.note('aer_probe', 'not a Root Port or RCEC: -ENODEV, the AER service driver does not bind');
    return;
  }
  await pcieClearAndSet(d, 'aer_enable_rootport', PCI_EXP_RTCTL, SYSTEM_ERROR_INTR_ON_MESG_MASK, 0, 'no system error on error messages');
  for (const reg of [PCI_ERR_ROOT_STATUS, PCI_ERR_COR_STATUS, PCI_ERR_UNCOR_STATUS]) {
    const v = await stepRead(d, d.aerCap + reg, 4);
    if (v) await stepWrite(d, 'aer_enable_rootport', d.aerCap + reg, 4, v, 'clear error status (RW1C)');
  }
  if (AER_REMOVE_DISABLES_REPORTING.has(kernel)) await pcieClearAndSet(d, 'aer_enable_rootport', PCI_EXP_DEVCTL, 0, PCI_EXP_AER_FLAGS, 'set_downstream_devices_error_reporting(pdev, true)');
  const cmd = await stepRead(d, d.aerCap + PCI_ERR_ROOT_COMMAND, 4);
  await stepWrite(d, 'aer_enable_irq', d.aerCap + PCI_ERR_ROOT_COMMAND, 4, cmd | ROOT_PORT_INTR_ON_MESG_MASK, 'Root Port interrupts on error messages');
}

/**
 * Whether unbinding kernel `kernel`'s pcieport from this Root Port (or RCEC) walks the bus below
 * it: v6.1 aer_remove -> aer_disable_rootport -> set_downstream_devices_error_reporting(false)
 * runs set_device_error_reporting on the port and, through pci_walk_bus(dev->subordinate), on
 * every function below it. Later kernels dropped the walk.
 */
export async function aerRemoveWalksBelow(d: KexecDev, kernel: KernelProfileId, p: PlatformOptions): Promise<boolean> {
  return AER_REMOVE_DISABLES_REPORTING.has(kernel) && aerDriverBound(d, await portServices(d, kernel, p));
}

/** The AER service driver is bound to the port: it has the service and aer_probe accepts it (a Root Port or RCEC). */
function aerDriverBound(d: KexecDev, services: readonly PortService[]): boolean {
  const type = d.pcie?.layout.type;
  return services.includes('aer') && (type === PCI_EXP_TYPE_ROOT_PORT || type === PCI_EXP_TYPE_RC_EC);
}

/**
 * v6.1 aer.c set_device_error_reporting(dev, false) on a function below such a Root Port: a Root,
 * Upstream or Downstream Port (or RCEC) gets pci_disable_pcie_error_reporting (DEVCTL's
 * error-reporting enables cleared, if AER is native and it has an AER capability,
 * pcie_aer_is_native); an endpoint is left alone. Found by `lusim fuzz --qemu` (seed 7: a
 * switch's ports read DEVCTL 0 after 6.1's pcieport was unbound from the Root Port above them).
 */
export async function setDeviceErrorReportingOff(d: KexecDev, p: PlatformOptions): Promise<void> {
  const type = d.pcie?.layout.type;
  if (type !== PCI_EXP_TYPE_ROOT_PORT && type !== PCI_EXP_TYPE_RC_EC && type !== PCI_EXP_TYPE_UPSTREAM && type !== PCI_EXP_TYPE_DOWNSTREAM) return;
  if (!d.aerCap || !p.aerNative) return d.log.note('set_device_error_reporting', 'no AER capability or AER not native (pcie_aer_is_native): DEVCTL left alone');
  await pcieClearAndSet(d, 'set_device_error_reporting', PCI_EXP_DEVCTL, PCI_EXP_AER_FLAGS, 0, 'the Root Port above was unbound: aer_disable_rootport walked its bus (set_downstream_devices_error_reporting(false))');
}

/** pcie_portdrv_remove after pci_enable_device/set_master: services, vectors, then disable. */
export async function pcieRemoveServices(d: KexecDev, kernel: KernelProfileId, p: PlatformOptions): Promise<void> {
  if (aerDriverBound(d, await portServices(d, kernel, p))) {
    if (AER_REMOVE_DISABLES_REPORTING.has(kernel)) {
      await pcieClearAndSet(d, 'aer_disable_rootport', PCI_EXP_DEVCTL, PCI_EXP_AER_FLAGS, 0, 'set_downstream_devices_error_reporting(pdev, false)');
    }
    const cmd = await stepRead(d, d.aerCap + PCI_ERR_ROOT_COMMAND, 4);
    if (cmd & ROOT_PORT_INTR_ON_MESG_MASK) await stepWrite(d, 'aer_disable_irq', d.aerCap + PCI_ERR_ROOT_COMMAND, 4, cmd & ~ROOT_PORT_INTR_ON_MESG_MASK, 'aer_remove: Root Port error interrupts off');
    const sta = await stepRead(d, d.aerCap + PCI_ERR_ROOT_STATUS, 4);
    if (sta) await stepWrite(d, 'aer_disable_rootport', d.aerCap + PCI_ERR_ROOT_STATUS, 4, sta, 'clear Root Error Status (RW1C)');
  }
  await pciFreeIrqVectors(d);
}
