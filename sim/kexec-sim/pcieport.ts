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
 *  - BWCTRL (v6.13+: the 6.19, 7.1, 7.2, 7.3 and lu-pci profiles; QEMU's trace of 7.2.13 shows
 *    its writes on a q35 root port): Root or Downstream Port with LNKCAP.LBNC and more than one
 *    supported link speed.
 *
 * Remove (sysfs unbind), pcie_portdrv_remove: pcie_port_device_remove (each service's ->remove:
 * AER's aer_remove -> aer_disable_rootport clears the ROOT_COMMAND enables (aer_disable_irq) and
 * ROOT_STATUS; v6.1 first calls set_downstream_devices_error_reporting(false), clearing DEVCTL's
 * error-reporting enables on the port), then pci_free_irq_vectors, then pci_disable_device.
 */
import type { KernelProfileId } from '../linux/profile.js';
import { pcieClearAndSet, pcieRead, pcieWrite, type KexecDev } from './dev.js';
import { pciFreeIrqVectors } from './irq.js';
import type { PlatformOptions } from './options.js';
import { PCI_EXP_AER_FLAGS } from './regs.js';
import {
  PCI_ERR_COR_STATUS, PCI_ERR_ROOT_COMMAND, PCI_ERR_ROOT_STATUS, PCI_ERR_UNCOR_STATUS, PCI_EXP_DEVCTL, PCI_EXP_RTCTL, PCI_EXP_LNKCAP, PCI_EXP_SLTCAP,
  PCI_EXP_TYPE_DOWNSTREAM, PCI_EXP_TYPE_RC_EC, PCI_EXP_TYPE_ROOT_PORT, PCI_EXP_TYPE_UPSTREAM, PCI_EXT_CAP_ID_DPC,
  PCI_EXP_DEVSTA, PCI_EXP_RTSTA, PCI_EXP_RTSTA_PME, PCI_EXP_RTCTL_PMEIE, PCI_EXP_LNKCTL, PCI_EXP_LNKCTL_LBMIE, PCI_EXP_LNKCTL_LABIE, PCI_EXP_LNKSTA, PCI_EXP_LNKSTA_LBMS, PCI_EXP_LNKSTA_LABS, PCI_EXP_LNKCAP2,
} from '../../devices/pci-regs.js';
import { pciFindExtCapability, pciSetupCapLookup } from '../../devices/find-cap.js';
import { stepRead, stepWrite, stepWriteBack } from '../write-log/steps.js';

export type PortService = 'pme' | 'aer' | 'hotplug' | 'dpc' | 'bwctrl';

const PCI_EXP_SLTCAP_HPC = 0x00000040;
const PCI_EXP_LNKCAP_LBNC = 0x00200000;
const PCI_EXP_LNKCAP_SLS = 0x0000000f;
/** PCI_EXP_LNKCAP2_SLS: Supported Link Speeds Vector, bits 1-7 (bit 0 reserved, kept as 0). */
const PCI_EXP_LNKCAP2_SLS = 0x000000fe;
/** aer.c ROOT_PORT_INTR_ON_MESG_MASK: the three Root Error Command enables. */
const ROOT_PORT_INTR_ON_MESG_MASK = 0x7;

/** Kernels whose portdrv has the bandwidth controller service (pcie/bwctrl.c, v6.13). */
const HAS_BWCTRL: ReadonlySet<KernelProfileId> = new Set(['6.19', '7.1', '7.2', '7.3', 'lu-pci']);
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
  if (HAS_BWCTRL.has(kernel) && downish && ((await pcieRead(d, PCI_EXP_LNKCAP, 4)) & PCI_EXP_LNKCAP_LBNC) && (await supportedSpeeds(d)) > 1) out.push('bwctrl');
  return out;
}

/** pci.c pcie_get_supported_speeds, counted (hweight8): LNKCAP2's vector up to Max Link Speed, else synthesized from it. */
async function supportedSpeeds(d: KexecDev): Promise<number> {
  const lnkcap = await pcieRead(d, PCI_EXP_LNKCAP, 4);
  const max = lnkcap & PCI_EXP_LNKCAP_SLS;
  const vector = (await pcieRead(d, PCI_EXP_LNKCAP2, 4)) & PCI_EXP_LNKCAP2_SLS & ((2 << max) - 1);
  if (vector) return popcount(vector);
  return max === 2 ? 2 : max === 1 ? 1 : 0;
}

function popcount(v: number): number {
  let n = 0;
  for (let x = v; x; x &= x - 1) n++;
  return n;
}

/** aer.c SYSTEM_ERROR_INTR_ON_MESG_MASK: RTCTL SECEE | SENFEE | SEFEE. */
const SYSTEM_ERROR_INTR_ON_MESG_MASK = 0x7;

/**
 * aer.c aer_probe -> aer_enable_rootport (6.1, 6.12, 7.3 read; QEMU's trace of 6.1, 6.12 and 7.2
 * agrees write by write): Device Status cleared, system errors on error messages off (RTCTL), Root,
 * Correctable and Uncorrectable Error Status cleared (written back even when 0), v6.1 error
 * reporting on (set_downstream_devices_error_reporting(true)), then the ROOT_COMMAND enables
 * (aer_enable_irq).
 */
export async function aerEnableRootport(d: KexecDev, kernel: KernelProfileId): Promise<void> {
  const type = d.pcie?.layout.type;
  if (type !== PCI_EXP_TYPE_ROOT_PORT && type !== PCI_EXP_TYPE_RC_EC) {
    d.log.note('aer_probe', 'not a Root Port or RCEC: -ENODEV, the AER service driver does not bind');
    return;
  }
  await pcieWrite(d, 'aer_enable_rootport', PCI_EXP_DEVSTA, 2, await pcieRead(d, PCI_EXP_DEVSTA, 2), 'clear Device Status (RW1C)');
  await pcieClearAndSet(d, 'aer_enable_rootport', PCI_EXP_RTCTL, SYSTEM_ERROR_INTR_ON_MESG_MASK, 0, 'no system error on error messages');
  for (const reg of [PCI_ERR_ROOT_STATUS, PCI_ERR_COR_STATUS, PCI_ERR_UNCOR_STATUS]) await stepWriteBack(d, 'aer_enable_rootport', d.aerCap + reg, 4, 'clear error status (RW1C)');
  if (AER_REMOVE_DISABLES_REPORTING.has(kernel)) await pcieClearAndSet(d, 'aer_enable_rootport', PCI_EXP_DEVCTL, 0, PCI_EXP_AER_FLAGS, 'set_downstream_devices_error_reporting(pdev, true)');
  const cmd = await stepRead(d, d.aerCap + PCI_ERR_ROOT_COMMAND, 4);
  await stepWrite(d, 'aer_enable_irq', d.aerCap + PCI_ERR_ROOT_COMMAND, 4, cmd | ROOT_PORT_INTR_ON_MESG_MASK, 'Root Port interrupts on error messages');
}

/** pme.c pcie_pme_interrupt_enable(port, false) then pcie_clear_root_pme_status (RTSTA PME Status, RW1C). */
async function pciePmeDisableInterrupt(d: KexecDev, step: string): Promise<void> {
  await pcieClearAndSet(d, step, PCI_EXP_RTCTL, PCI_EXP_RTCTL_PMEIE, 0, 'PME interrupt off');
  await pcieWrite(d, step, PCI_EXP_RTSTA, 4, PCI_EXP_RTSTA_PME, 'clear PME Status (RW1C)');
}

/**
 * get_port_device_capability's one write: a Root Port or RCEC getting the PME service has its PME
 * interrupt turned off ("in case it's been enabled by the BIOS"), before pci_set_master.
 */
export async function portCapabilityWrites(d: KexecDev, services: readonly PortService[]): Promise<void> {
  if (services.includes('pme')) await pcieClearAndSet(d, 'get_port_device_capability', PCI_EXP_RTCTL, PCI_EXP_RTCTL_PMEIE, 0, 'pcie_pme_interrupt_enable(dev, false): the PME service driver enables it');
}

/**
 * The service drivers' probes, in service bit order (portdrv.h: PME, AER, HP, DPC, BWCTRL), after
 * the port's IRQ vectors are allocated: pcie_pme_probe (interrupt off, PME Status cleared,
 * request_irq, interrupt on), aer_probe (request_irq, then aer_enable_rootport),
 * pcie_bwnotif_probe (request_irq, then pcie_bwnotif_enable: LBMIE|LABIE set, LBMS|LABS cleared).
 * The services share the port's vector (IRQF_SHARED): only the first request_irq writes
 * (`requestIrq`, driver-configure.ts requestIrqs). pciehp's and dpc_probe's writes are not
 * modelled (QEMU's q35 gives neither service).
 */
export async function portServicesProbe(d: KexecDev, services: readonly PortService[], kernel: KernelProfileId, requestIrq: () => Promise<void>): Promise<void> {
  let requested = false;
  const requestShared = async (): Promise<void> => {
    if (!requested) await requestIrq();
    requested = true;
  };
  if (services.includes('pme')) {
    await pciePmeDisableInterrupt(d, 'pcie_pme_probe');
    await requestShared();
    await pcieClearAndSet(d, 'pcie_pme_probe', PCI_EXP_RTCTL, 0, PCI_EXP_RTCTL_PMEIE, 'pcie_pme_interrupt_enable(port, true)');
  }
  if (services.includes('aer')) {
    if (requestsIrq(d, services, 'aer')) await requestShared();
    await aerEnableRootport(d, kernel);
  }
  for (const s of services) {
    if (s !== 'hotplug' && s !== 'dpc') continue;
    await requestShared();
    d.log.note('pcie_port_device_register', `the ${s} service driver's probe writes are not modelled, only its request_irq`);
  }
  if (services.includes('bwctrl')) {
    await requestShared();
    await pcieClearAndSet(d, 'pcie_bwnotif_enable', PCI_EXP_LNKCTL, 0, PCI_EXP_LNKCTL_LBMIE | PCI_EXP_LNKCTL_LABIE, 'link bandwidth notifications on');
    await pcieWrite(d, 'pcie_bwnotif_enable', PCI_EXP_LNKSTA, 2, PCI_EXP_LNKSTA_LBMS | PCI_EXP_LNKSTA_LABS, 'clear LBMS and LABS (RW1C)');
  }
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

/** Whether service `s`'s probe requests the port's vector: every one does, but AER on a port aer_probe refuses (v6.1). */
function requestsIrq(d: KexecDev, services: readonly PortService[], s: PortService): boolean {
  return s !== 'aer' || aerDriverBound(d, services);
}

/**
 * v6.1 aer.c set_device_error_reporting(dev, enable) on a function below a Root Port whose AER
 * service walks its bus (set_downstream_devices_error_reporting from aer_enable_rootport, true,
 * and aer_disable_rootport, false): a Root, Upstream or Downstream Port (or RCEC) gets its DEVCTL
 * error-reporting enables set or cleared (pci_enable/disable_pcie_error_reporting, if AER is
 * native and it has an AER capability, pcie_aer_is_native); an endpoint is left alone. Off found
 * by `lusim fuzz --qemu` (seed 7: a switch's ports read DEVCTL 0 after 6.1's pcieport was unbound
 * from the Root Port above them); on seen in QEMU's trace of a 6.1 boot, on both switch ports,
 * when the Root Port's pcieport binds.
 */
export async function setDeviceErrorReporting(d: KexecDev, p: PlatformOptions, enable: boolean): Promise<void> {
  const type = d.pcie?.layout.type;
  if (type !== PCI_EXP_TYPE_ROOT_PORT && type !== PCI_EXP_TYPE_RC_EC && type !== PCI_EXP_TYPE_UPSTREAM && type !== PCI_EXP_TYPE_DOWNSTREAM) return;
  if (!d.aerCap || !p.aerNative) return d.log.note('set_device_error_reporting', 'no AER capability or AER not native (pcie_aer_is_native): DEVCTL left alone');
  await pcieClearAndSet(d, 'set_device_error_reporting', PCI_EXP_DEVCTL, enable ? 0 : PCI_EXP_AER_FLAGS, enable ? PCI_EXP_AER_FLAGS : 0, enable
    ? 'the Root Port above bound its AER service: aer_enable_rootport walked its bus (set_downstream_devices_error_reporting(true))'
    : 'the Root Port above was unbound: aer_disable_rootport walked its bus (set_downstream_devices_error_reporting(false))');
}

/**
 * pcie_portdrv_remove (and pcie_portdrv_shutdown) after pci_enable_device/set_master:
 * pcie_port_device_remove runs each service's ->remove in the order they were added (PME, AER,
 * BWCTRL): pcie_pme_remove (interrupt off, PME Status cleared), aer_remove -> aer_disable_rootport
 * (v6.1 first turns error reporting off; ROOT_COMMAND enables off, Root Error Status written back),
 * pcie_bwnotif_remove (LBMIE|LABIE cleared); then the vectors are freed. QEMU's trace of 6.1, 6.12
 * and 7.2 shows every write, unconditional.
 */
export async function pcieRemoveServices(d: KexecDev, kernel: KernelProfileId, p: PlatformOptions): Promise<void> {
  const services = await portServices(d, kernel, p);
  if (services.includes('pme')) await pciePmeDisableInterrupt(d, 'pcie_pme_remove');
  if (aerDriverBound(d, services)) {
    if (AER_REMOVE_DISABLES_REPORTING.has(kernel)) {
      await pcieClearAndSet(d, 'aer_disable_rootport', PCI_EXP_DEVCTL, PCI_EXP_AER_FLAGS, 0, 'set_downstream_devices_error_reporting(pdev, false)');
    }
    const cmd = await stepRead(d, d.aerCap + PCI_ERR_ROOT_COMMAND, 4);
    await stepWrite(d, 'aer_disable_irq', d.aerCap + PCI_ERR_ROOT_COMMAND, 4, cmd & ~ROOT_PORT_INTR_ON_MESG_MASK, 'aer_remove: Root Port error interrupts off');
    await stepWriteBack(d, 'aer_disable_rootport', d.aerCap + PCI_ERR_ROOT_STATUS, 4, 'clear Root Error Status (RW1C)');
  }
  if (services.includes('bwctrl')) await pcieClearAndSet(d, 'pcie_bwnotif_disable', PCI_EXP_LNKCTL, PCI_EXP_LNKCTL_LBMIE | PCI_EXP_LNKCTL_LABIE, 0, 'link bandwidth notifications off');
  await pciFreeIrqVectors(d, services.some((s) => requestsIrq(d, services, s)));
}
