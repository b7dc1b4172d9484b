/**
 * The knobs of the simulated kexec: which kernels, which driver's ->shutdown runs, whether the
 * device is preserved (PCI Live Update series), and the platform facts the enumeration steps
 * consult (the upstream port, AER ownership, IOMMU). Defaults describe the QEMU q35 guest of
 * qemu.md section 5.2 unless a field says otherwise.
 */
import type { KernelProfileId } from '../linux/profile.js';

/** Drivers whose ->shutdown is modelled (verified in each driver's source, see shutdown.ts). */
export type ShutdownDriver = 'e1000e' | 'nvme' | 'virtio' | 'xhci' | 'pcieport' | 'none';

/** What enumeration reads from the upstream bridge (pci_upstream_bridge / pcie_find_root_port). */
export interface UpstreamPort {
  /** pcie_get_mps(bridge) in bytes. */
  readonly mps: number;
  /** The bridge is a Root Port (pci_configure_mps may lower the Root Port's MPS to the device's MPSS). */
  readonly isRootPort: boolean;
  /** bridge->ltr_path: LTR enabled all the way up (pci_configure_ltr enables LTR_EN below it). */
  readonly ltrPath: boolean;
  /** Root Port PCI_EXP_LNKCTL_RCB for v7.1 pci_configure_rcb; undefined: Root Port not visible. */
  readonly rcb?: boolean;
  /** root->dev_flags & PCI_DEV_FLAGS_NO_RELAXED_ORDERING (pci_configure_relaxed_ordering). */
  readonly noRelaxedOrdering: boolean;
  /**
   * The port's end of the link, as pcie/aspm.c pcie_aspm_cap_init and
   * pcie_aspm_configure_common_clock read it; undefined: not known (no common-clock step).
   */
  readonly link?: { readonly lnkcap: number; readonly lnksta: number; readonly lnkctl: number };
}

export interface PlatformOptions {
  /** undefined: no upstream PCIe bridge visible (steps that need one return, as the kernel does). */
  readonly upstream: UpstreamPort | undefined;
  /** pcie_aer_is_native: pcie_ports_native || host->native_aer (firmware granted AER via _OSC). */
  readonly aerNative: boolean;
  /** pci_msi_enabled() (false with pci=nomsi): pci_aer_available needs it. */
  readonly msiEnabled: boolean;
  /** pci_acs_enable: set by pci_request_acs when an IOMMU driver is present. */
  readonly iommu: boolean;
  /** host->no_ext_tags (pci_configure_extended_tags). */
  readonly hostNoExtTags: boolean;
  /**
   * pcie_ports_native || host->native_pcie_hotplug: firmware granted PCIe native hotplug via _OSC.
   * QEMU 7.2 q35 with its default ACPI PCI hotplug withholds it (hw/i386/acpi-build.c
   * build_q35_osc_method masks the native hotplug control bit), so pciehp does not bind there.
   */
  readonly nativeHotplug: boolean;
}

/**
 * Defaults: a q35 pcie-root-port above the device (MPS 128: QEMU's PCIe capabilities advertise
 * MPSS 128, pcie_cap_v1_fill), AER owned by the OS, MSI available, no IOMMU (the qemu.md 5.2
 * guest has none), LTR path enabled (a platform that advertises LTR; QEMU devices have no
 * DEVCAP2_LTR so this only matters for real-hardware dumps).
 */
export const DEFAULT_PLATFORM: PlatformOptions = {
  // QEMU's ports advertise ASPM L0s (pcie_cap_fill_link: PCI_EXP_LNKCAP_ASPMS_0S) and no Slot
  // Clock Configuration in LNKSTA; firmware leaves LNKCTL 0, so RCB is clear (64 bytes) and v7.1+
  // pci_configure_rcb writes the device's LNKCTL with RCB clear (QEMU's trace of a 7.2 boot).
  upstream: { mps: 128, isRootPort: true, ltrPath: true, rcb: false, noRelaxedOrdering: false, link: { lnkcap: 0x400, lnksta: 0, lnkctl: 0 } },
  aerNative: true,
  msiEnabled: true,
  iommu: false,
  hostNoExtTags: false,
  nativeHotplug: false,
};

export function platformOptions(p: Partial<PlatformOptions> | undefined): PlatformOptions {
  return { ...DEFAULT_PLATFORM, ...p };
}

export interface KexecSimOptions {
  /** The device is preserved across the Live Update (its bus master bit is left alone). */
  readonly preserved: boolean;
  /** Driver bound in kernel A whose ->shutdown runs from pci_device_shutdown. */
  readonly driver: ShutdownDriver;
  /** Kernel A (shuts down) and kernel B (enumerates). */
  readonly from: KernelProfileId;
  readonly to: KernelProfileId;
  readonly platform?: Partial<PlatformOptions>;
  /** A driver enabled the device in kernel A (default: a modelled driver is bound). */
  readonly enabled?: boolean;
}
