/**
 * Kernel A's device shutdown on kexec: drivers/pci/pci-driver.c pci_device_shutdown (same body in
 * v6.1, v6.12 and v7.1) runs the driver's ->shutdown, then, because kexec_in_progress, calls
 * pci_clear_master when current_state <= D3hot. The PCI Live Update series ("PCI: liveupdate:
 * skip BME clear on kexec", linux-pci.md sections 9.4 and 10) adds
 * `!pci_liveupdate_is_outgoing(pci_dev)` to that condition: a preserved device keeps bus master.
 *
 * Each driver's ->shutdown, as far as it touches config space (read in the driver sources):
 *  - e1000e (net/ethernet/intel/e1000e/netdev.c e1000_shutdown): e1000e_pm_freeze ->
 *    e1000e_reset_interrupt_capability -> pci_disable_msix (or pci_disable_msi); then
 *    __e1000_shutdown -> pci_clear_master. (The quad-port DEVCTL dance on the upstream switch
 *    does not apply to QEMU's single-port 82574L.) Same in v6.1, v6.12, v7.1.
 *  - nvme (nvme/host/pci.c nvme_shutdown -> nvme_disable_prepare_reset -> nvme_dev_disable):
 *    pci_free_irq_vectors, then, if enabled, pci_disable_device (clears MASTER). v6.1's
 *    nvme_pci_disable also calls pci_disable_pcie_error_reporting (DEVCTL &= ~AER flags).
 *  - xhci (usb/core/hcd-pci.c usb_hcd_pci_shutdown -> xhci_pci_shutdown/xhci_shutdown ->
 *    xhci_cleanup_msix -> pci_free_irq_vectors; then pci_disable_device).
 *  - virtio (virtio-pci has no PCI ->shutdown in any version read; v6.19+ virtio.c
 *    virtio_dev_shutdown resets the device through its common config BAR, not config space).
 * Observed on QEMU 7.2 with a 6.1 guest (qemu.md 5.2): COMMAND 0x0507 -> 0x0103 for e1000e, nvme
 * and xhci (MASTER and INTX_DISABLE cleared) and 0x0507 -> 0x0503 for virtio.
 */
import type { FunctionAccess } from '../../devices/access.js';
import type { KernelProfileId } from '../linux/profile.js';
import { kexecDev, pcieClearAndSet, type KexecDev } from './dev.js';
import { pciFreeIrqVectors } from './irq.js';
import { aerRemoveWalksBelow, pcieRemoveServices, setDeviceErrorReporting } from './pcieport.js';
import { platformOptions, type PlatformOptions, type ShutdownDriver } from './options.js';
import { PCI_EXP_AER_FLAGS } from './regs.js';
import { KEXEC_VERSION_DATA } from './versions.js';
import { pciClearMaster, pciDisableDevice } from '../linux/enable.js';
import { stepRead } from '../write-log/steps.js';
import { WriteLog } from '../write-log/write-log.js';
import { PCI_EXP_DEVCTL, PCI_PM_CTRL } from '../../devices/pci-regs.js';

const DISABLE_WHY = 'driver disables the device: bus master off (decode left on)';

type DriverShutdown = (d: KexecDev, from: KernelProfileId, p: PlatformOptions) => Promise<void>;

const DRIVER_SHUTDOWN: Readonly<Record<ShutdownDriver, DriverShutdown>> = {
  e1000e: async (d) => {
    await pciFreeIrqVectors(d);
    await pciClearMaster(d, '__e1000_shutdown: stop DMA');
  },
  nvme: async (d, from, p) => {
    await pciFreeIrqVectors(d);
    if (KEXEC_VERSION_DATA[from].nvmeDisablesErrorReporting && d.aerCap && p.aerNative) {
      await pcieClearAndSet(d, 'pci_disable_pcie_error_reporting', PCI_EXP_DEVCTL, PCI_EXP_AER_FLAGS, 0, 'nvme_pci_disable turns error reporting off');
    }
    await pciDisableDevice(d, DISABLE_WHY);
  },
  xhci: async (d) => {
    await pciFreeIrqVectors(d);
    await pciDisableDevice(d, DISABLE_WHY);
  },
  virtio: async (d, from) => {
    d.log.note('virtio', KEXEC_VERSION_DATA[from].virtioBusShutdown
      ? 'virtio_dev_shutdown resets the device through its BAR (device status 0): no config-space write'
      : 'virtio-pci has no ->shutdown in this version: config space untouched');
  },
  // pcie_portdrv_shutdown: pcie_port_device_remove (services' ->remove, pci_free_irq_vectors);
  // unlike ->remove it leaves the device enabled.
  pcieport: (d, from, p) => pcieRemoveServices(d, from, p),
  none: async () => {},
};

/**
 * Each driver's ->remove (sysfs unbind), as far as it touches config space; every one of them
 * ends in pci_disable_device:
 *  - e1000e (netdev.c e1000_remove): e1000e_reset_interrupt_capability, pci_disable_device;
 *  - nvme (pci.c nvme_remove -> nvme_dev_disable): as its ->shutdown;
 *  - virtio-pci (virtio_pci_common.c virtio_pci_remove): the class driver's ->remove deletes its
 *    virtqueues (vp_del_vqs -> pci_free_irq_vectors), then pci_disable_device;
 *  - xhci (hcd-pci.c usb_hcd_pci_remove): as its ->shutdown;
 *  - pcieport (portdrv.c pcie_portdrv_remove): its ->shutdown, then pci_disable_device.
 * Observed on QEMU 7.2, 6.12 guest: pcieport and virtio-pci unbinds left COMMAND 0x0103 (from
 * 0x0507 or 0x0107) with MSI-X disabled, and ROOT_COMMAND 0 on Root Ports.
 */
export async function kernelRemove(fn: FunctionAccess, opts: { driver: ShutdownDriver; kernel: KernelProfileId; platform?: Partial<PlatformOptions> }, log = new WriteLog()): Promise<WriteLog> {
  const d = await kexecDev(fn, log);
  const p = platformOptions(opts.platform);
  if (opts.driver === 'none') return log;
  if (opts.driver === 'virtio' || opts.driver === 'e1000e') await pciFreeIrqVectors(d);
  else await DRIVER_SHUTDOWN[opts.driver](d, opts.kernel, p);
  await pciDisableDevice(d);
  return log;
}

/**
 * Whether unbinding kernel `kernel`'s pcieport from this port changes the functions below it
 * (v6.1 aer_remove's walk: pcieport.ts aerRemoveWalksBelow).
 */
export async function removeWalksBelow(port: FunctionAccess, kernel: KernelProfileId, platform?: Partial<PlatformOptions>): Promise<boolean> {
  return aerRemoveWalksBelow(await kexecDev(port, new WriteLog()), kernel, platformOptions(platform));
}

/** That walk as a function below the port sees it (pcieport.ts setDeviceErrorReporting, off). */
export async function removeAboveWalk(fn: FunctionAccess, platform?: Partial<PlatformOptions>, log = new WriteLog()): Promise<WriteLog> {
  await setDeviceErrorReporting(await kexecDev(fn, log), platformOptions(platform), false);
  return log;
}

/** The same port's probe walks the bus too, turning error reporting on (setDeviceErrorReporting, on). */
export async function probeAboveWalk(fn: FunctionAccess, platform?: Partial<PlatformOptions>, log = new WriteLog()): Promise<WriteLog> {
  await setDeviceErrorReporting(await kexecDev(fn, log), platformOptions(platform), true);
  return log;
}

export interface ShutdownOptions {
  readonly driver: ShutdownDriver;
  readonly preserved: boolean;
  readonly from: KernelProfileId;
  readonly platform?: Partial<PlatformOptions>;
  /** A driver enabled the device in kernel A (pci_enable_device); default: a modelled driver is bound. */
  readonly enabled?: boolean;
}

export async function kernelShutdown(fn: FunctionAccess, opts: ShutdownOptions, log = new WriteLog(), device = 'dev'): Promise<WriteLog> {
  const d = await kexecDev(fn, log, device);
  await DRIVER_SHUTDOWN[opts.driver](d, opts.from, platformOptions(opts.platform));
  if (opts.preserved) {
    d.log.note('pci_device_shutdown', KEXEC_VERSION_DATA[opts.from].pciLiveUpdate
      ? 'device preserved for Live Update: bus master left on (lu-pci: pci_liveupdate_is_outgoing skips pci_clear_master)'
      : `device preserved for Live Update: bus master left on as the PCI Live Update series does (pci_liveupdate_is_outgoing); ${opts.from} itself has no such code`);
    return log;
  }
  // current_state <= PCI_D3hot: every state PMCSR can report; a function reading all-ones is in
  // D3cold or gone (current_state PCI_D3cold/PCI_UNKNOWN) and is left alone.
  // A function without a PM capability gets current_state = D0 only from pci_power_up
  // (pci_enable_device) or, v6.19+, from pci_pm_init's power-up; otherwise it keeps
  // pci_setup_device's PCI_UNKNOWN, which is above D3hot. Observed: megasas-gen2 (no PM, no
  // driver, bus master set by SeaBIOS) keeps bus master across 6.1 and 6.12 kexecs, not 7.x's.
  if (!d.pmCap && !(opts.enabled ?? opts.driver !== 'none') && !KEXEC_VERSION_DATA[opts.from].pmInitPowersUp) {
    d.log.note('pci_device_shutdown', 'current_state is PCI_UNKNOWN (no PM capability, never enabled): bus master not touched');
    return log;
  }
  const pmcsr = d.pmCap ? await stepRead(d, d.pmCap + PCI_PM_CTRL, 2) : 0;
  if (pmcsr === 0xffff) {
    d.log.note('pci_device_shutdown', 'function not accessible: bus master not touched');
    return log;
  }
  await pciClearMaster(d, 'kexec_in_progress: stop DMA before the next kernel runs');
  return log;
}
