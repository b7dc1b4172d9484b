/**
 * Kernel profiles: what differs between Linux versions in pci_save_state / pci_restore_state, as
 * data. The step functions (save.ts, restore.ts, alloc.ts) read these fields; no version is a copy
 * of code. Facts from linux-pci.md sections 1-4, each re-read in the snapshots named in `source`
 * (drivers/pci/pci.c, access.c, probe.c, bus.c, pcie/aspm.c, include/linux/pci.h).
 */

import { LINUX_LAYOUTS, type SavedLayouts } from './layouts.js';

export type KernelProfileId = '6.1' | '6.1.y' | '6.12' | '6.12.y' | '6.19' | '7.1' | '7.2' | '7.3' | 'lu-pci';

/** Kconfig options that decide which save buffers exist. */
export interface KernelConfig {
  readonly PCIEAER: boolean;
  readonly PCIE_PTM: boolean;
  readonly PCIE_DPC: boolean;
  readonly PCIE_TPH: boolean;
  readonly PCIEASPM: boolean;
  /** iov.c: pci_restore_iov_state is a stub without CONFIG_PCI_IOV. */
  readonly PCI_IOV: boolean;
  /**
   * KHO, LUO and the pci FLB: undefined = not known (no --kconfig): the code is taken as built
   * when a handover through LUO is asked for. Debian's 7.2.13 and 7.3.4 have them off.
   */
  readonly KEXEC_HANDOVER?: boolean;
  readonly LIVEUPDATE?: boolean;
  readonly PCI_LIVEUPDATE?: boolean;
  /** CONFIG_PCIEASPM_<policy> (reported only). */
  readonly aspmPolicy?: string;
}

/** The allocation calls of probe.c pci_device_add that create save buffers, in call order. */
export type AllocStep =
  | 'pci_configure_aspm_l1ss'
  | 'pci_allocate_cap_save_buffers'
  | 'pci_ptm_init'
  | 'pci_acs_init'
  | 'pci_aer_init'
  | 'pci_tph_init';

/** Buffers pci_allocate_cap_save_buffers itself adds, in its order (VC = pci_allocate_vc_save_buffers). */
export type CapSaveBuffer = 'EXP' | 'PCIX' | 'LTR' | 'L1SS' | 'VC';

export type SaveStep =
  | 'pci_save_pcie_state'
  | 'pci_save_pcix_state'
  | 'pci_save_ltr_state'
  | 'pci_save_aspm_l1ss_state'
  | 'pci_save_dpc_state'
  | 'pci_save_aer_state'
  | 'pci_save_ptm_state'
  | 'pci_save_tph_state'
  | 'pci_save_acs_state'
  | 'pci_save_vc_state';

export type RestoreStep =
  | 'pci_restore_ltr_state'
  | 'pci_restore_aspm_l1ss_state'
  | 'pci_restore_pcie_state'
  | 'pci_restore_pasid_state'
  | 'pci_restore_pri_state'
  | 'pci_restore_ats_state'
  | 'pci_restore_vc_state'
  | 'pci_restore_rebar_state'
  | 'pci_restore_dpc_state'
  | 'pci_restore_ptm_state'
  | 'pci_restore_tph_state'
  | 'pci_aer_clear_status'
  | 'pci_restore_aer_state'
  | 'pci_restore_config_space'
  | 'pci_restore_pcix_state'
  | 'pci_restore_msi_state'
  | 'pci_enable_acs'
  | 'pci_restore_acs_state'
  | 'pci_restore_iov_state';

export interface KernelProfile {
  readonly id: KernelProfileId;
  readonly description: string;
  /** Source snapshot(s) the data was read from (linux-pci.md section 0). */
  readonly source: string;
  /** include/linux/pci.h PCI_NUM_RESET_METHODS. */
  readonly numResetMethods: 7 | 8;
  readonly kconfig: KernelConfig;
  /** probe.c pci_device_add: pci_configure_device then pci_init_capabilities. */
  readonly allocOrder: readonly AllocStep[];
  readonly capSaveBuffers: readonly CapSaveBuffer[];
  /** Top-level calls of pci_save_state after the dword loop, in order. */
  readonly saveOrder: readonly SaveStep[];
  /** Calls pci_save_pcie_state makes after reading its 7 registers (v6.12+: L1SS then LTR). */
  readonly pcieSaveInner: readonly SaveStep[];
  /** Top-level calls of pci_restore_state, in order. */
  readonly restoreOrder: readonly RestoreStep[];
  /** Calls pci_restore_pcie_state makes before looking up the EXP buffer (v6.12+: LTR then L1SS). */
  readonly pcieRestoreInner: readonly RestoreStep[];
  /**
   * pcie/aspm.c L1SS semantics:
   *  'none'       6.1.y after the revert a7152be79b62: no L1SS buffer, no save, no restore;
   *  'own'        v6.1: save own CTL2/CTL1 when dev->l1ss; restore own via aspm_program_l1ss;
   *               both stubs without CONFIG_PCIEASPM; dev->l1ss set by pci_configure_ltr;
   *  'link'       v6.12: save own; restore the link from the downstream component;
   *  'link+parent' v6.19+: save only from the downstream component, also refreshing the parent's buffer.
   */
  readonly l1ss: 'none' | 'own' | 'link' | 'link+parent';
  /** access.c: LNKCAP2/LNKCTL2/LNKSTA2 need version > 1 (v6.1) or has_lnkctl && version > 1 (v6.12+). */
  readonly lnk2Rule: 'version' | 'lnkctl-and-version';
  /** pci_restore_state returns at once when !state_saved (before a2f1e22390ac). */
  readonly restoreRequiresStateSaved: boolean;
  /** bus.c pci_bus_add_device calls pci_save_state ("for error recoverability", a2f1e22390ac). */
  readonly saveAtBusAddDevice: boolean;
  /** pci_enable_acs: v6.1 writes ACS_CTRL only on the std-enable path; v6.12+ always writes it. */
  readonly acsWrite: 'std-enable-only' | 'always';
  /**
   * pci_restore_config_space: retries of pci_restore_config_dword for the BARs of a type 0 header
   * (10 up to v7.1: write, re-read, mdelay(1) until it sticks; v7.2 dropped the retry parameter:
   * every dword is written once).
   */
  readonly barRestoreRetries: number;
  /**
   * msi/msi.c __pci_restore_msix_state sets PCI_COMMAND_MEMORY around the MSI-X table writes and
   * puts COMMAND back afterwards (v7.2+; "PCI/MSI: Enable memory decoding before restoring MSI-X
   * messages"); before, the table was written whatever Command.MEM said.
   */
  readonly msixRestoreEnablesMemory: boolean;
  /**
   * iov.c pci_restore_iov_state runs sriov_restore_vf_rebar_state before sriov_restore_state
   * (v6.19 and 7.1.3; absent from v6.12 and 6.1): VF Resizable BAR sizes from the VF BAR sizes
   * sriov_init found (iov->barsz).
   */
  readonly vfRebarRestore: boolean;
  /** data[] layouts of the EXP and ERR buffers (identical in every release; drift experiments change them). */
  readonly layouts: SavedLayouts;
}

/**
 * Debian's values for the gates, checked in the cached config files of bookworm 6.1.0-57,
 * 6.12.117+deb12 and sid 7.2.13+deb14 (cloud-amd64): PCIEAER, PCIEASPM (policy DEFAULT),
 * PCIE_DPC, PCIE_PTM, PCI_IOV = y; PCIE_TPH not set (7.2.13); KEXEC_HANDOVER not set (7.2.13).
 * `--kconfig FILE` (sim/linux/kconfig.ts) replaces them with a kernel's own config.
 */
export const DEBIAN_KCONFIG: KernelConfig = { PCIEAER: true, PCIE_PTM: true, PCIE_DPC: true, PCIE_TPH: false, PCIEASPM: true, PCI_IOV: true, aspmPolicy: 'default' };

const SAVE_V61: readonly SaveStep[] = [
  'pci_save_pcie_state', 'pci_save_pcix_state', 'pci_save_ltr_state', 'pci_save_aspm_l1ss_state',
  'pci_save_dpc_state', 'pci_save_aer_state', 'pci_save_ptm_state', 'pci_save_vc_state',
];
const SAVE_V612: readonly SaveStep[] = [
  'pci_save_pcie_state', 'pci_save_pcix_state', 'pci_save_dpc_state', 'pci_save_aer_state',
  'pci_save_ptm_state', 'pci_save_vc_state',
];
const SAVE_V619: readonly SaveStep[] = [
  'pci_save_pcie_state', 'pci_save_pcix_state', 'pci_save_dpc_state', 'pci_save_aer_state',
  'pci_save_ptm_state', 'pci_save_tph_state', 'pci_save_vc_state',
];
const RESTORE_TAIL: readonly RestoreStep[] = [
  'pci_aer_clear_status', 'pci_restore_aer_state', 'pci_restore_config_space', 'pci_restore_pcix_state',
  'pci_restore_msi_state', 'pci_enable_acs', 'pci_restore_iov_state',
];
const RESTORE_V61: readonly RestoreStep[] = [
  'pci_restore_ltr_state', 'pci_restore_aspm_l1ss_state', 'pci_restore_pcie_state', 'pci_restore_pasid_state',
  'pci_restore_pri_state', 'pci_restore_ats_state', 'pci_restore_vc_state', 'pci_restore_rebar_state',
  'pci_restore_dpc_state', 'pci_restore_ptm_state', ...RESTORE_TAIL,
];
const RESTORE_V612: readonly RestoreStep[] = [
  'pci_restore_pcie_state', 'pci_restore_pasid_state', 'pci_restore_pri_state', 'pci_restore_ats_state',
  'pci_restore_vc_state', 'pci_restore_rebar_state', 'pci_restore_dpc_state', 'pci_restore_ptm_state', ...RESTORE_TAIL,
];
const RESTORE_V619: readonly RestoreStep[] = [
  'pci_restore_pcie_state', 'pci_restore_pasid_state', 'pci_restore_pri_state', 'pci_restore_ats_state',
  'pci_restore_vc_state', 'pci_restore_rebar_state', 'pci_restore_dpc_state', 'pci_restore_ptm_state',
  'pci_restore_tph_state', ...RESTORE_TAIL,
];
const ALLOC_V61: readonly AllocStep[] = ['pci_allocate_cap_save_buffers', 'pci_ptm_init', 'pci_aer_init'];
const ALLOC_V612: readonly AllocStep[] = ['pci_configure_aspm_l1ss', 'pci_allocate_cap_save_buffers', 'pci_ptm_init', 'pci_aer_init'];
const ALLOC_V619: readonly AllocStep[] = [...ALLOC_V612, 'pci_tph_init'];

const V61_BASE = {
  numResetMethods: 7,
  barRestoreRetries: 10,
  msixRestoreEnablesMemory: false,
  vfRebarRestore: false,
  layouts: LINUX_LAYOUTS,
  kconfig: DEBIAN_KCONFIG,
  allocOrder: ALLOC_V61,
  saveOrder: SAVE_V61,
  pcieSaveInner: [],
  restoreOrder: RESTORE_V61,
  pcieRestoreInner: [],
  lnk2Rule: 'version',
  restoreRequiresStateSaved: true,
  saveAtBusAddDevice: false,
  acsWrite: 'std-enable-only',
} as const;

const V612_BASE = {
  numResetMethods: 8,
  barRestoreRetries: 10,
  msixRestoreEnablesMemory: false,
  vfRebarRestore: false,
  layouts: LINUX_LAYOUTS,
  kconfig: DEBIAN_KCONFIG,
  allocOrder: ALLOC_V612,
  capSaveBuffers: ['EXP', 'PCIX', 'LTR', 'VC'],
  saveOrder: SAVE_V612,
  pcieSaveInner: ['pci_save_aspm_l1ss_state', 'pci_save_ltr_state'],
  restoreOrder: RESTORE_V612,
  pcieRestoreInner: ['pci_restore_ltr_state', 'pci_restore_aspm_l1ss_state'],
  l1ss: 'link',
  lnk2Rule: 'lnkctl-and-version',
  acsWrite: 'always',
} as const;

/** v6.19 and v7.1 run the same save/restore rules (linux-pci.md sections 3.3, 3.5 and 4). */
const V619_BASE = {
  ...V612_BASE,
  allocOrder: ALLOC_V619,
  saveOrder: SAVE_V619,
  restoreOrder: RESTORE_V619,
  l1ss: 'link+parent',
  restoreRequiresStateSaved: false,
  saveAtBusAddDevice: true,
  vfRebarRestore: true,
} as const;

/**
 * v7.2 (Debian sid 7.2.13, trixie-backports 7.2.x): read in Debian's linux-source-7.2 7.2.13-1
 * against rikudousennin22/linux-7.1.3. pci_save_state, pci_restore_state, pci_save/restore_pcie_state,
 * pci_allocate_cap_save_buffers, pci_store/load_saved_state, pcie/aspm.c L1SS and LTR save/restore,
 * aer.c, dpc.c, ptm.c, tph.c, vc.c, ats.c, iov.c save/restore and access.c are unchanged. Changed:
 * pci_restore_config_space (no BAR retry) and __pci_restore_msix_state (Memory Space on around
 * the table writes). rebar.c pci_restore_rebar_state now returns on an all-ones CTRL read (a
 * removed device), which the model's devices never return.
 */
const V72_BASE = { ...V619_BASE, barRestoreRetries: 0, msixRestoreEnablesMemory: true } as const;

/**
 * The PCI core Live Update series (v9, 2026-09-18; pushed 2026-09-28 to the liveupdate tree's
 * lu-pci-preservation branch), on the 7.3 base as that tree's next was. Its save/restore change is
 * "PCI: Save and restore the ACS Control register" (9f2072fd): a new saved register, so a new
 * entry in saved_cap_space and in every pci_store_saved_state blob.
 * The diff of 9f2072fd was not readable in any stored tree (linux-mm/linux-mm and
 * analogdevicesinc/linux carry the series without it; the fact sheet names the commit only), so
 * three facts are inferred and marked so in the docs: the buffer holds one u16 (ACS_CTRL, like the
 * DPC buffer), it is allocated from pci_acs_init (pci_init_capabilities calls pci_acs_init between
 * pci_allocate_cap_save_buffers and pci_ptm_init, so it sits between PTM and VC9 in the list), and
 * pci_restore_state writes the saved value where pci_enable_acs recomputed it from policy.
 */
const LU_PCI_BASE = {
  ...V72_BASE,
  allocOrder: ['pci_configure_aspm_l1ss', 'pci_allocate_cap_save_buffers', 'pci_acs_init', 'pci_ptm_init', 'pci_aer_init', 'pci_tph_init'],
  saveOrder: [...SAVE_V619.slice(0, -1), 'pci_save_acs_state', 'pci_save_vc_state'],
  restoreOrder: RESTORE_V619.map((s) => (s === 'pci_enable_acs' ? 'pci_restore_acs_state' : s)),
} as const;

export const KERNEL_PROFILES: readonly KernelProfile[] = [
  {
    ...V61_BASE,
    id: '6.1',
    description: 'v6.1 as released: L1SS saved from pci_allocate_cap_save_buffers (4ff116d0d5fd)',
    source: 'krr-io/linux-6.1.0 (6.1-rc7; drivers/pci unchanged to v6.1 per linux-pci.md section 0)',
    capSaveBuffers: ['EXP', 'PCIX', 'LTR', 'L1SS', 'VC'],
    l1ss: 'own',
  },
  {
    ...V61_BASE,
    id: '6.1.y',
    description: '6.1.y after the L1SS revert a7152be79b62 (Debian bookworm 6.1.0-N)',
    source: 'krr-io/linux-6.1.0 minus the L1SS save (linux-pci.md section 0: TeddyNight/linux-6.1 6.1.15 diff)',
    capSaveBuffers: ['EXP', 'PCIX', 'LTR', 'VC'],
    saveOrder: SAVE_V61.filter((s) => s !== 'pci_save_aspm_l1ss_state'),
    restoreOrder: RESTORE_V61.filter((s) => s !== 'pci_restore_aspm_l1ss_state'),
    l1ss: 'none',
  },
  {
    ...V612_BASE,
    id: '6.12',
    description: 'v6.12 as released',
    source: 'shilei-massclouds/linux-6.12 (Import Linux 6.12 source)',
    restoreRequiresStateSaved: true,
    saveAtBusAddDevice: false,
  },
  {
    ...V612_BASE,
    id: '6.12.y',
    description: '6.12.70+: a2f1e22390ac backported (no state_saved check in restore, save at pci_bus_add_device); Debian bookworm-backports/trixie 6.12.x',
    source: 'shilei-massclouds/linux-6.12 plus the a2f1e22390ac hunks as read in v6.19 (drivers/pci/pci.c, bus.c)',
    restoreRequiresStateSaved: false,
    saveAtBusAddDevice: true,
  },
  {
    ...V619_BASE,
    id: '6.19',
    description: 'v6.19: TPH buffer (pci_tph_init), L1SS save refreshes the parent buffer, no state_saved check',
    source: 'matankalina/linux-6.19.10-fork (Import Linux v6.19)',
  },
  {
    ...V619_BASE,
    id: '7.1',
    description: 'v7.1 (Debian 7.x)',
    source: 'rikudousennin22/linux-7.1.3',
  },
  {
    ...V72_BASE,
    id: '7.2',
    description: 'v7.2 (Debian sid 7.2.x): BARs restored without retry, MSI-X restore turns Memory Space on',
    source: 'Debian linux-source-7.2 7.2.13-1 (drivers/pci diffed against rikudousennin22/linux-7.1.3)',
  },
  {
    ...V72_BASE,
    id: '7.3',
    description: 'v7.3 (Debian trixie-backports 7.3.x): save/restore as 7.2; enumeration unmasks Advisory Non-Fatal errors',
    source: 'Debian linux-source-7.3 7.3.4-1~bpo13+1 (drivers/pci diffed against linux-source-7.2 7.2.13-1)',
  },
  {
    ...LU_PCI_BASE,
    id: 'lu-pci',
    description: 'PCI core Live Update series v9 on 7.3: ACS Control saved and restored (new saved_cap_space entry), preserved devices keep bus numbers, ARI, ACS and bus master',
    source: 'upstream-2026.md (series v9, commit titles); drivers/pci/liveupdate.c as in linux-mm/linux-mm; ACS save layout inferred (9f2072fd not readable)',
  },
];
