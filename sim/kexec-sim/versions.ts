/**
 * What differs between kernel versions in the kexec window, as data keyed by the kernel profile id
 * (sim/linux/profile.ts). Each field names the source it was read in (linux-pci.md section 0
 * snapshots: 6.1 = krr-io/linux-6.1.0, 6.12 = shilei-massclouds/linux-6.12, 6.19 =
 * matankalina/linux-6.19.10-fork, 7.1 = rikudousennin22/linux-7.1.3).
 */
import type { KernelProfileId } from '../linux/profile.js';
import type { BarSizing } from './setup-device.js';
import type { MsiDestination } from './irq.js';

export type AcsAtEnumeration =
  /** v6.1 pci.c pci_acs_init -> pci_enable_acs: pci_std_enable_acs only when pci_acs_enable, then pci_disable_acs_redir (parameter-driven). */
  | 'std-enable-if-iommu'
  /** v6.12/v6.19 pci.c pci_acs_init -> pci_enable_acs: reads ACS_CTRL, ORs the std bits when pci_acs_enable, and always writes ACS_CTRL back. */
  | 'read-modify-write'
  /** v7.1 pci.c pci_acs_init only reads ACS_CAP; pci_enable_acs moved to pci-driver.c pci_dma_configure (driver bind). */
  | 'deferred-to-bind';

export interface KexecVersionData {
  /** pci.c pci_pm_init ends with pci_pm_power_up_and_verify_state (writes PMCSR=0 unless in D0): v6.19+ only. */
  readonly pmInitPowersUp: boolean;
  readonly acs: AcsAtEnumeration;
  /**
   * probe.c pci_configure_device calls pci_configure_rcb: v7.1 (absent in v6.19), and the stable
   * trees from 6.1.165 and 6.12.75 ("PCI: Initialize RCB from pci_configure_device()" in the
   * Debian changelogs of 6.1.0-57 and 6.12.118; 6.1.166's probe.c read: the same function, called
   * after pci_configure_serr). QEMU's trace of Debian 6.1.192 and 6.12.117/118 as kernel B shows
   * its LNKCTL write on every Endpoint below a Root Port, before pci_msix_init.
   */
  readonly configureRcb: boolean;
  /** nvme/host/pci.c nvme_pci_disable calls pci_disable_pcie_error_reporting: v6.1 only (v6.12 nvme_dev_disable no longer does). */
  readonly nvmeDisablesErrorReporting: boolean;
  /** virtio.c virtio_dev_shutdown (bus ->shutdown resetting the device): present in v6.19 and v7.1, absent in v6.1 and v6.12. */
  readonly virtioBusShutdown: boolean;
  /**
   * pcie/aer.c pci_aer_init clears PCI_ERR_COR_ADV_NFAT in COR_MASK when AER is native and DEVCAP
   * has RBER ("Advisory Non-Fatal Errors are masked by default (PCIe r7.0, sec 7.8.4.6)"): v7.3 only
   * (absent in 7.1.3 and 7.2.13).
   */
  readonly aerUnmasksAdvNonFatal: boolean;
  /**
   * The PCI Live Update series in the incoming kernel (drivers/pci/liveupdate.c): an incoming
   * preserved device keeps its bus numbers (pci_liveupdate_preserve_bus_numbers), its ACS
   * controls (pci_liveupdate_cache_adopted_acs_controls) and its bridge's ARI Forwarding Enable
   * (pci_liveupdate_adopt_ari); in the outgoing kernel pci_device_shutdown skips pci_clear_master
   * for it (pci_liveupdate_is_outgoing). lu-pci only.
   */
  readonly pciLiveUpdate: boolean;
  /**
   * probe.c pci_read_bases: 'per-bar' decode toggles around each __pci_read_base (v6.1, v6.12:
   * QEMU's trace of Debian 6.1.0-57 and 6.12.117), 'batched' one toggle around
   * __pci_size_stdbars/__pci_size_rom (v6.15 "PCI: Batch BAR sizing operations"; trace of 7.2.13).
   */
  readonly barSizing: BarSizing;
  /**
   * pcie_retrain_link ends with pcie_reset_lbms, writing LNKSTA's RW1C LBMS: v6.12+ (QEMU's trace of
   * Debian 6.12.117 and 7.2.13 shows it after the retrain; 6.1's aspm.c pcie_retrain_link and its
   * trace have none).
   */
  readonly retrainClearsLbms: boolean;
  /**
   * probe.c pci_scan_bridge_extend's `out:` clears Secondary Status (PCI_SEC_STATUS = 0xffff) before
   * putting BRIDGE_CONTROL back: 6.12+ (Debian 7.3.4 read; QEMU's trace of 6.12.117 and 7.2.13 has
   * it in both passes, that of 6.1.0-57 in neither).
   */
  readonly scanBridgeClearsSecStatus: boolean;
  /**
   * msi.c msi_capability_init tries a multi-MSI count before the x86 domain refuses it, with the
   * writes of that try (v6.1; v6.2+ rejects it before any write). See irq.ts msiCapabilityInit.
   */
  readonly multiMsiTriedFirst: boolean;
  /**
   * How x86 addresses an MSI's destination CPU (arch/x86/kernel/apic/apic_flat_64.c): 'flat-logical'
   * on v6.1 with at most 8 CPUs (apic_flat: logical destination mode, APIC ID 1 << cpu; QEMU's trace
   * of 6.1.0-57 shows 0xfee01004 for CPU 0), 'physical' later (Debian 7.3.4 has only physflat;
   * the traces of 6.12.117 and 7.2.13 show 0xfee00000 for CPU 0).
   */
  readonly msiDestination: MsiDestination;
}

const V6_1: KexecVersionData = { aerUnmasksAdvNonFatal: false, pciLiveUpdate: false, pmInitPowersUp: false, acs: 'std-enable-if-iommu', configureRcb: false, nvmeDisablesErrorReporting: true, virtioBusShutdown: false, barSizing: 'per-bar', retrainClearsLbms: false, scanBridgeClearsSecStatus: false, multiMsiTriedFirst: true, msiDestination: 'flat-logical' };
const V6_12: KexecVersionData = { aerUnmasksAdvNonFatal: false, pciLiveUpdate: false, pmInitPowersUp: false, acs: 'read-modify-write', configureRcb: false, nvmeDisablesErrorReporting: false, virtioBusShutdown: false, barSizing: 'per-bar', retrainClearsLbms: true, scanBridgeClearsSecStatus: true, multiMsiTriedFirst: false, msiDestination: 'physical' };
const V6_19: KexecVersionData = { aerUnmasksAdvNonFatal: false, pciLiveUpdate: false, pmInitPowersUp: true, acs: 'read-modify-write', configureRcb: false, nvmeDisablesErrorReporting: false, virtioBusShutdown: true, barSizing: 'batched', retrainClearsLbms: true, scanBridgeClearsSecStatus: true, multiMsiTriedFirst: false, msiDestination: 'physical' };
const V7_1: KexecVersionData = { aerUnmasksAdvNonFatal: false, pciLiveUpdate: false, pmInitPowersUp: true, acs: 'deferred-to-bind', configureRcb: true, nvmeDisablesErrorReporting: false, virtioBusShutdown: true, barSizing: 'batched', retrainClearsLbms: true, scanBridgeClearsSecStatus: true, multiMsiTriedFirst: false, msiDestination: 'physical' };

/**
 * 7.2 and 7.3 (Debian linux-source 7.2.13 and 7.3.4): pci_init_capabilities, pci_configure_device
 * and its steps, pci_acs_init, pci_pm_init (7.2), pci_bus_add_device's save, pci_device_shutdown
 * and pci_dma_configure are as in 7.1.3. 7.3's pci_pm_init syncs a device already in D0 without a
 * PMCSR write and powers up (pci_set_full_power_state) one that is not: the same config writes
 * as 7.1's pci_pm_power_up_and_verify_state. 7.3's pci_aer_init unmasks Advisory Non-Fatal.
 */
const V7_2: KexecVersionData = { ...V7_1 };
const V7_3: KexecVersionData = { ...V7_1, aerUnmasksAdvNonFatal: true };
const LU_PCI: KexecVersionData = { ...V7_3, pciLiveUpdate: true };

/**
 * 6.1.y: 6.1 with pci_configure_rcb (6.1.165+); its L1SS save revert does not touch this window.
 * 6.12.y: 6.12 with pci_configure_rcb (6.12.75+). The 6.12.33 tree (tes-rep/linux-6.12.y) has no
 * power-up in pci_pm_init; later trees were not read for it, so 6.12.y keeps 6.12's.
 */
const V6_1_Y: KexecVersionData = { ...V6_1, configureRcb: true };
const V6_12_Y: KexecVersionData = { ...V6_12, configureRcb: true };
export const KEXEC_VERSION_DATA: Readonly<Record<KernelProfileId, KexecVersionData>> = {
  '6.1': V6_1,
  '6.1.y': V6_1_Y,
  '6.12': V6_12,
  '6.12.y': V6_12_Y,
  '6.19': V6_19,
  '7.1': V7_1,
  '7.2': V7_2,
  '7.3': V7_3,
  'lu-pci': LU_PCI,
};
