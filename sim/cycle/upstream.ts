/**
 * The upstream port of the device under test (dev->bus->self), modelled as a second function so a
 * cycle covers both ends of the link: pcie/aspm.c pci_restore_aspm_l1ss_state (v6.12+) programs
 * L1SS on both ends from the downstream end only, v6.19+ pci_save_aspm_l1ss_state refreshes the
 * parent's buffer, and pci.c pci_bridge_reconfigure_ltr re-sets the bridge's LTR_EN.
 *
 * Each kernel enumerates the port itself, before the device below it (probe.c pci_scan_bridge
 * scans the child bus after pci_device_add of the bridge; bus.c pci_bus_add_devices adds a bus's
 * devices, the bridge among them, before descending to its child bus). The PCI Live Update series
 * auto-preserves upstream bridges, but it carries only their identity and bus numbers, no config
 * values (linux-pci.md section 10, "auto-preserve upstream bridges", "preserve bus numbers": "The
 * PCI core preserves no config-space values"). So kernel B's view of the port is its own
 * enumeration: its own buffers, filled by its own saves.
 */
import { capabilityById } from '../../devices/capability-lookup.js';
import type { FunctionAccess } from '../../devices/access.js';
import type { PciFunction } from '../../devices/device.js';
import {
  PCI_CAP_ID_EXP, PCI_EXP_DEVCAP2, PCI_EXP_DEVCAP2_LTR, PCI_EXP_DEVCTL, PCI_EXP_DEVCTL2, PCI_EXP_DEVCTL2_LTR_EN,
  PCI_EXP_DEVCTL_PAYLOAD, PCI_EXP_FLAGS, PCI_EXP_FLAGS_TYPE, PCI_EXP_LNKCAP, PCI_EXP_LNKCTL, PCI_EXP_LNKCTL_RCB, PCI_EXP_LNKSTA, PCI_EXP_TYPE_ROOT_PORT,
  PCI_EXT_CAP_ID_DPC,
} from '../../devices/pci-regs.js';
import { allocateSaveBuffers } from '../linux/alloc.js';
import { newPciDev, type PciDev } from '../linux/dev.js';
import { pciSetupDevice } from '../linux/find-cap.js';
import type { KernelProfile } from '../linux/profile.js';
import { pciBusAddDevice, pciSaveState } from '../linux/save.js';
import type { BelowBridge, PlatformOptions } from '../kexec-sim/index.js';
import { pcieDownstreamPort } from '../kexec-sim/dev.js';
import { devfnOf } from '../../devices/dump/bdf.js';

const pcieOffset = (fn: PciFunction): number | undefined => capabilityById(fn, PCI_CAP_ID_EXP, false)?.offset;

/** The PCIe Device/Port Type, undefined for a function without a PCIe capability. */
export function portType(fn: PciFunction): number | undefined {
  const pcie = pcieOffset(fn);
  return pcie === undefined ? undefined : (fn.space.read(pcie + PCI_EXP_FLAGS, 2) & PCI_EXP_FLAGS_TYPE) >> 4;
}

export function isRootPort(fn: PciFunction): boolean {
  return portType(fn) === PCI_EXP_TYPE_ROOT_PORT;
}

/**
 * What the port's own kexec-sim enumeration sees above it: nothing for a Root Port (on the root
 * bus); for a switch port, the default platform's port (its own upstream is not modelled).
 */
export function platformAbove(port: PciFunction): Partial<PlatformOptions> {
  return isRootPort(port) ? { upstream: undefined } : {};
}

/** The device under test as the first function on its port's secondary bus (kernelScanBridge reads it). */
export function functionBelowPort(m: { readonly fn: PciFunction; readonly access: FunctionAccess }): BelowBridge {
  return { access: m.access, devfn: devfnOf(m.fn.bdf) };
}

/**
 * pcie/aspm.c pci_configure_ltr: bridge->ltr_path is set on a Root Port with DEVCAP2_LTR and
 * LTR_EN, and on a switch port whose own upstream bridge has ltr_path (taken as the default
 * platform's, which has it, since that bridge is not modelled).
 */
export function ltrPath(port: PciFunction): boolean {
  const pcie = pcieOffset(port);
  if (pcie === undefined) return false;
  if (!(port.space.read(pcie + PCI_EXP_DEVCAP2, 4) & PCI_EXP_DEVCAP2_LTR)) return false;
  return (port.space.read(pcie + PCI_EXP_DEVCTL2, 2) & PCI_EXP_DEVCTL2_LTR_EN) !== 0;
}

/** The upstream facts the device's enumeration reads (sim/kexec-sim UpstreamPort), from the modelled port. */
export function platformBelow(port: PciFunction): Partial<PlatformOptions> {
  const pcie = pcieOffset(port);
  if (pcie === undefined) return { upstream: undefined };
  const root = isRootPort(port);
  const devctl = port.space.read(pcie + PCI_EXP_DEVCTL, 2);
  return {
    upstream: {
      mps: 128 << ((devctl & PCI_EXP_DEVCTL_PAYLOAD) >> 5),
      isRootPort: root,
      ltrPath: ltrPath(port),
      // v7.1 pci_configure_rcb reads the Root Port (pcie_find_root_port): visible only when it is the parent.
      ...(root ? { rcb: (port.space.read(pcie + PCI_EXP_LNKCTL, 2) & PCI_EXP_LNKCTL_RCB) !== 0 } : {}),
      noRelaxedOrdering: false,
      // Only the upstream end of a link has one below it (pcie_downstream_port): not an Upstream Port.
      ...(pcieDownstreamPort(portType(port)) ? {
        link: {
          lnkcap: port.space.read(pcie + PCI_EXP_LNKCAP, 4),
          lnksta: port.space.read(pcie + PCI_EXP_LNKSTA, 2),
          lnkctl: port.space.read(pcie + PCI_EXP_LNKCTL, 2),
        },
      } : {}),
    },
  };
}

/**
 * One kernel's struct pci_dev for the port, after that kernel's enumeration of it: pci_setup_device,
 * pci_device_add's buffers (dpc_probe when the portdrv DPC service binds: AER native, DPC present),
 * pci_bus_add_device (its save, 6.12.y/v6.19+), then the port driver's probe, which saves the port
 * (pcie_portdrv_probe calls pci_save_state after pcie_port_device_register: portdrv_pci.c in v6.1,
 * portdrv.c in v6.12, v6.19 and v7.1). `access` is the port's config space; the device below gets
 * the same log through newPciDev's parent, so one log orders the writes to both.
 */
export async function enumeratePort(profile: KernelProfile, access: FunctionAccess, port: PciFunction, iommu = false): Promise<PciDev> {
  const dev = newPciDev(access, { name: 'parent', kernel: { ltrPath: ltrPath(port), acsEnable: iommu } });
  await pciSetupDevice(dev);
  const hasDpc = capabilityById(port, PCI_EXT_CAP_ID_DPC, true) !== undefined;
  await allocateSaveBuffers(profile, dev, { dpcServiceBound: hasDpc && dev.kernel.aerNative });
  await pciBusAddDevice(profile, dev);
  await dev.log.run('pcie_portdrv_probe', () => pciSaveState(profile, dev));
  return dev;
}
