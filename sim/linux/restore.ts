/**
 * pci_restore_state (drivers/pci/pci.c) in each profile's order, with every write recorded in the
 * device's WriteLog under the kernel function that made it. Before a2f1e22390ac (v6.1, v6.12 as
 * released) it is a no-op when !state_saved; v6.19+, 6.12.70+ restore whatever the buffers hold.
 * All versions clear state_saved at the end.
 */
import type { KernelProfile, RestoreStep } from './profile.js';
import { pciIsPcie, type PciDev } from './dev.js';
import type { WriteLogEntry } from '../write-log/entry.js';
import { pciFindCapability, pciFindExtCapability } from './find-cap.js';
import {
  pcieCapabilityReadDword, pcieCapabilityReadWord, pcieCapabilitySetWord, pcieCapabilityWriteDword, pcieCapabilityWriteWord, pcieDownstreamPort,
} from './pcie-access.js';
import { placeSlots } from './layouts.js';
import { readLE } from '../../devices/bytes.js';
import { pciFindSavedCap, getU16, getU32 } from './saved-cap.js';
import { pciAerClearStatus, pciRestoreAerState } from './aer.js';
import { pciRestoreVcState } from './vc.js';
import { pciRestoreConfigSpace } from './config-restore.js';
import { pciRestoreMsiState } from './msi.js';
import { pcieTphGetStTableSize } from './alloc.js';
import {
  PCI_ACS_CAP, PCI_ACS_CR, PCI_ACS_CTRL, PCI_ACS_RR, PCI_ACS_SV, PCI_ACS_TB, PCI_ACS_UF, PCI_ATS_CTRL,
  PCI_ATS_CTRL_ENABLE, PCI_ATS_MIN_STU, PCI_CAP_ID_EXP, PCI_CAP_ID_PCIX, PCI_EXP_DEVCTL2,
  PCI_EXP_DEVCTL2_LTR_EN, PCI_EXP_DPC_CTL, PCI_EXP_LNKCTL, PCI_EXP_LNKCTL_ASPMC, PCI_EXT_CAP_ID_DPC,
  PCI_EXT_CAP_ID_ACS, PCI_EXT_CAP_ID_L1SS, PCI_EXT_CAP_ID_LTR, PCI_EXT_CAP_ID_PTM, PCI_EXT_CAP_ID_REBAR, PCI_EXT_CAP_ID_TPH,
  PCI_L1SS_CTL1, PCI_L1SS_CTL1_L1_2_MASK, PCI_L1SS_CTL2, PCI_LTR_MAX_SNOOP_LAT, PCI_PASID_CTRL,
  PCI_PASID_CTRL_ENABLE, PCI_PRI_ALLOC_REQ, PCI_PRI_CTRL, PCI_PRI_CTRL_ENABLE, PCI_PTM_CTRL, PCI_REBAR_CTRL,
  PCI_REBAR_CTRL_BAR_IDX, PCI_REBAR_CTRL_BAR_SIZE, PCI_REBAR_CTRL_NBAR_MASK, PCI_SRIOV_CTRL,
  PCI_SRIOV_CTRL_ARI, PCI_SRIOV_CTRL_VFE, PCI_SRIOV_NUM_VF, PCI_SRIOV_SYS_PGSIZE, PCI_TPH_BASE_SIZEOF,
  PCI_TPH_CTRL, PCI_X_CMD, PCI_SRIOV_BAR, PCI_EXT_CAP_ID_VF_REBAR,
} from '../../devices/pci-regs.js';

/** pci_restore_ltr_state: one dword write at LTR+4. */
export async function pciRestoreLtrState(dev: PciDev): Promise<void> {
  const buf = pciFindSavedCap(dev, PCI_EXT_CAP_ID_LTR, true);
  const ltr = await pciFindExtCapability(dev, PCI_EXT_CAP_ID_LTR);
  if (!buf || !ltr) return;
  await dev.access.config.writel(ltr + PCI_LTR_MAX_SNOOP_LAT, getU32(buf.data, 0));
}

/** v6.1 pcie/aspm.c aspm_program_l1ss: CTL2, CTL1 without L1.2 enables, then with them if set. */
async function aspmProgramL1ss(dev: PciDev, ctl1: number, ctl2: number): Promise<void> {
  const c = dev.access.config;
  await c.writel(dev.kernel.l1ss + PCI_L1SS_CTL2, ctl2);
  const enable = ctl1 & PCI_L1SS_CTL1_L1_2_MASK;
  const base = (ctl1 & ~PCI_L1SS_CTL1_L1_2_MASK) >>> 0;
  await c.writel(dev.kernel.l1ss + PCI_L1SS_CTL1, base);
  if (enable) await c.writel(dev.kernel.l1ss + PCI_L1SS_CTL1, (base | enable) >>> 0);
}

/** pci_clear_and_set_config_dword(dev, pos, clear, 0). */
async function clearConfigDword(dev: PciDev, pos: number, clear: number): Promise<void> {
  const v = await dev.access.config.readl(pos);
  await dev.access.config.writel(pos, (v & ~clear) >>> 0);
}

/**
 * pcie/aspm.c pci_restore_aspm_l1ss_state.
 *  v6.1 ('own'): the device's own buffer through aspm_program_l1ss (stub without CONFIG_PCIEASPM).
 *  v6.12+ ('link', 'link+parent'): only from the downstream component, programming both link ends
 *  (identical function body in v6.12 and v7.1).
 */
export async function pciRestoreAspmL1ssState(profile: KernelProfile, dev: PciDev): Promise<void> {
  if (profile.l1ss === 'none') return;
  if (profile.l1ss === 'own') {
    if (!profile.kconfig.PCIEASPM || !dev.kernel.l1ss) return;
    const buf = pciFindSavedCap(dev, PCI_EXT_CAP_ID_L1SS, true);
    if (!buf) return;
    await aspmProgramL1ss(dev, getU32(buf.data, 1), getU32(buf.data, 0));
    return;
  }
  const parent = dev.parent;
  if (pcieDownstreamPort(dev) || !parent) return;
  if (!dev.kernel.l1ss || !parent.kernel.l1ss) return;
  const cl = pciFindSavedCap(dev, PCI_EXT_CAP_ID_L1SS, true);
  const pl = pciFindSavedCap(parent, PCI_EXT_CAP_ID_L1SS, true);
  if (!cl || !pl) return;
  const clCtl2 = getU32(cl.data, 0);
  let clCtl1 = getU32(cl.data, 1);
  const plCtl2 = getU32(pl.data, 0);
  let plCtl1 = getU32(pl.data, 1);

  // Make sure L0s/L1 are disabled before updating L1SS config.
  const clnkctl = await pcieCapabilityReadWord(profile, dev, PCI_EXP_LNKCTL);
  const plnkctl = await pcieCapabilityReadWord(profile, parent, PCI_EXP_LNKCTL);
  const aspm = (clnkctl & PCI_EXP_LNKCTL_ASPMC) !== 0 || (plnkctl & PCI_EXP_LNKCTL_ASPMC) !== 0;
  if (aspm) {
    await pcieCapabilityWriteWord(profile, dev, PCI_EXP_LNKCTL, clnkctl & ~PCI_EXP_LNKCTL_ASPMC);
    await pcieCapabilityWriteWord(profile, parent, PCI_EXP_LNKCTL, plnkctl & ~PCI_EXP_LNKCTL_ASPMC);
  }
  // Disable L1.2 on the downstream endpoint first, then on the upstream port.
  await clearConfigDword(dev, dev.kernel.l1ss + PCI_L1SS_CTL1, PCI_L1SS_CTL1_L1_2_MASK);
  await clearConfigDword(parent, parent.kernel.l1ss + PCI_L1SS_CTL1, PCI_L1SS_CTL1_L1_2_MASK);

  const plEnable = plCtl1 & PCI_L1SS_CTL1_L1_2_MASK;
  plCtl1 = (plCtl1 & ~PCI_L1SS_CTL1_L1_2_MASK) >>> 0;
  const clEnable = clCtl1 & PCI_L1SS_CTL1_L1_2_MASK;
  clCtl1 = (clCtl1 & ~PCI_L1SS_CTL1_L1_2_MASK) >>> 0;

  await parent.access.config.writel(parent.kernel.l1ss + PCI_L1SS_CTL2, plCtl2);
  await dev.access.config.writel(dev.kernel.l1ss + PCI_L1SS_CTL2, clCtl2);
  await parent.access.config.writel(parent.kernel.l1ss + PCI_L1SS_CTL1, plCtl1);
  await dev.access.config.writel(dev.kernel.l1ss + PCI_L1SS_CTL1, clCtl1);
  if (plEnable || clEnable) {
    await parent.access.config.writel(parent.kernel.l1ss + PCI_L1SS_CTL1, (plCtl1 | plEnable) >>> 0);
    await dev.access.config.writel(dev.kernel.l1ss + PCI_L1SS_CTL1, (clCtl1 | clEnable) >>> 0);
  }
  // Put back the LNKCTL values read at entry (pre-restore hardware values), parent first.
  if (aspm) {
    await pcieCapabilityWriteWord(profile, parent, PCI_EXP_LNKCTL, plnkctl);
    await pcieCapabilityWriteWord(profile, dev, PCI_EXP_LNKCTL, clnkctl);
  }
}

/**
 * pci.c pci_bridge_reconfigure_ltr (CONFIG_PCIEASPM): downstream ports drop LTR_EN when the link
 * goes down, so re-set it on the upstream bridge if bridge->ltr_path.
 */
export async function pciBridgeReconfigureLtr(profile: KernelProfile, dev: PciDev): Promise<void> {
  if (!profile.kconfig.PCIEASPM) return;
  const bridge = dev.parent;
  if (!bridge || !bridge.kernel.ltrPath) return;
  const ctl = await pcieCapabilityReadDword(profile, bridge, PCI_EXP_DEVCTL2);
  if (!(ctl & PCI_EXP_DEVCTL2_LTR_EN)) await pcieCapabilitySetWord(profile, bridge, PCI_EXP_DEVCTL2, PCI_EXP_DEVCTL2_LTR_EN);
}

export async function pciRestorePcieState(profile: KernelProfile, dev: PciDev): Promise<void> {
  for (const inner of profile.pcieRestoreInner) await runRestoreStep(profile, dev, inner);
  const buf = pciFindSavedCap(dev, PCI_CAP_ID_EXP, false);
  if (!buf) return;
  await dev.log.run('pci_bridge_reconfigure_ltr', () => pciBridgeReconfigureLtr(profile, dev));
  for (const s of placeSlots(profile.layouts.exp, 2)) {
    if (s.offset < 0) continue;
    const write = s.width === 4 ? pcieCapabilityWriteDword : pcieCapabilityWriteWord;
    await write(profile, dev, s.offset, readLE(buf.data, s.dataOffset, s.width));
  }
}

/** ats.c pci_restore_pasid_state / pci_restore_pri_state / pci_restore_ats_state: from kernel state. */
export async function pciRestorePasidState(dev: PciDev): Promise<void> {
  const k = dev.kernel;
  if (k.isVirtfn || !k.pasidEnabled || !k.pasidCap) return;
  await dev.access.config.writew(k.pasidCap + PCI_PASID_CTRL, PCI_PASID_CTRL_ENABLE | k.pasidFeatures);
}

export async function pciRestorePriState(dev: PciDev): Promise<void> {
  const k = dev.kernel;
  if (k.isVirtfn || !k.priEnabled || !k.priCap) return;
  await dev.access.config.writel(k.priCap + PCI_PRI_ALLOC_REQ, k.priReqsAlloc);
  await dev.access.config.writew(k.priCap + PCI_PRI_CTRL, PCI_PRI_CTRL_ENABLE);
}

export async function pciRestoreAtsState(dev: PciDev): Promise<void> {
  const k = dev.kernel;
  if (!k.atsEnabled) return;
  let ctrl = PCI_ATS_CTRL_ENABLE;
  if (!k.isVirtfn) ctrl |= (k.atsStu - PCI_ATS_MIN_STU) & 0x1f; // PCI_ATS_CTRL_STU
  await dev.access.config.writew(k.atsCap + PCI_ATS_CTRL, ctrl);
}

/** rebar.c pci_rebar_bytes_to_size: log2(roundup_pow_of_two(bytes)) - 20, at least 0. */
export function pciRebarBytesToSize(bytes: number): number {
  let log = 0;
  while (2 ** log < bytes) log++;
  return Math.max(log, 20) - 20;
}

/** pci_restore_rebar_state: BAR_SIZE from resource_size(), not from any saved register. */
export async function pciRestoreRebarState(dev: PciDev): Promise<void> {
  await writeRebarSizes(dev, await pciFindExtCapability(dev, PCI_EXT_CAP_ID_REBAR), dev.kernel.resourceSizes);
}

/** iov.c sriov_restore_vf_rebar_state (v6.19+): VF BAR_SIZE from iov->barsz, the same loop as the PF's. */
export async function sriovRestoreVfRebarState(dev: PciDev): Promise<void> {
  if (!dev.kernel.sriov) return; // not a PF (dev->is_physfn)
  await writeRebarSizes(dev, await pciFindExtCapability(dev, PCI_EXT_CAP_ID_VF_REBAR), dev.kernel.sriov.vfRebarSizes);
}

/** Each entry's BAR_SIZE from the size the kernel holds for its BAR_IDX (PCI_VF_REBAR_* = PCI_REBAR_*). */
async function writeRebarSizes(dev: PciDev, pos: number, sizes: readonly number[]): Promise<void> {
  if (!pos) return;
  const c = dev.access.config;
  const nbars = ((await c.readl(pos + PCI_REBAR_CTRL)) & PCI_REBAR_CTRL_NBAR_MASK) >>> 5;
  for (let i = 0; i < nbars; i++, pos += 8) {
    let ctrl = await c.readl(pos + PCI_REBAR_CTRL);
    const size = pciRebarBytesToSize(sizes[ctrl & PCI_REBAR_CTRL_BAR_IDX] ?? 0);
    ctrl = ((ctrl & ~PCI_REBAR_CTRL_BAR_SIZE) | ((size << 8) & PCI_REBAR_CTRL_BAR_SIZE)) >>> 0;
    await c.writel(pos + PCI_REBAR_CTRL, ctrl);
  }
}

export async function pciRestoreDpcState(dev: PciDev): Promise<void> {
  if (!pciIsPcie(dev)) return;
  const buf = pciFindSavedCap(dev, PCI_EXT_CAP_ID_DPC, true);
  if (!buf) return;
  await dev.access.config.writew(dev.kernel.dpcCap + PCI_EXP_DPC_CTL, getU16(buf.data, 0));
}

export async function pciRestorePtmState(dev: PciDev): Promise<void> {
  const ptm = dev.kernel.ptmCap;
  if (!ptm) return;
  const buf = pciFindSavedCap(dev, PCI_EXT_CAP_ID_PTM, true);
  if (!buf) return;
  await dev.access.config.writel(ptm + PCI_PTM_CTRL, getU32(buf.data, 0));
}

export async function pciRestoreTphState(dev: PciDev): Promise<void> {
  const tph = dev.kernel.tphCap;
  if (!tph || !dev.kernel.tphEnabled) return;
  const buf = pciFindSavedCap(dev, PCI_EXT_CAP_ID_TPH, true);
  if (!buf) return;
  await dev.access.config.writel(tph + PCI_TPH_CTRL, getU32(buf.data, 0));
  const n = await pcieTphGetStTableSize(dev);
  for (let i = 0; i < n; i++) await dev.access.config.writew(tph + PCI_TPH_BASE_SIZEOF + 2 * i, getU16(buf.data, 2 + i));
}

export async function pciRestorePcixState(dev: PciDev): Promise<void> {
  const buf = pciFindSavedCap(dev, PCI_CAP_ID_PCIX, false);
  const pos = await pciFindCapability(dev, PCI_CAP_ID_PCIX);
  if (!buf || !pos) return;
  await dev.access.config.writew(pos + PCI_X_CMD, getU16(buf.data, 0));
}

/**
 * pci_enable_acs, recomputed from policy (no quirk, no disable_acs_redir= / config_acs=
 * parameters modelled). pci_std_enable_acs sets SV|RR|CR|UF that the capability offers, plus TB
 * when requested. v6.1 writes only on that path; v6.12+ always writes ACS_CTRL back.
 */
export async function pciEnableAcs(profile: KernelProfile, dev: PciDev): Promise<void> {
  const pos = dev.kernel.acsCap;
  if (!pos) return;
  if (profile.acsWrite === 'std-enable-only' && !dev.kernel.acsEnable) return;
  const c = dev.access.config;
  const cap = await c.readw(pos + PCI_ACS_CAP);
  let ctrl = await c.readw(pos + PCI_ACS_CTRL);
  if (dev.kernel.acsEnable) {
    ctrl |= cap & (PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF);
    if (dev.kernel.acsTranslationBlocking) ctrl |= cap & PCI_ACS_TB;
  }
  await c.writew(pos + PCI_ACS_CTRL, ctrl);
}

/** lu-pci: write back the saved ACS Control register instead of recomputing it from policy. */
export async function pciRestoreAcsState(dev: PciDev): Promise<void> {
  const pos = dev.kernel.acsCap;
  const buf = pciFindSavedCap(dev, PCI_EXT_CAP_ID_ACS, true);
  if (!pos || !buf) return;
  await dev.access.config.writew(pos + PCI_ACS_CTRL, getU16(buf.data, 0));
}

/**
 * iov.c pci_restore_iov_state -> sriov_restore_state (PFs): skipped when VFE is already set.
 * ARI first, then each VF BAR from its resource (pci_update_resource -> pci_iov_update_resource;
 * its "can't update enabled VF BAR" refusal needs VFE, which is clear here), then SYS_PGSIZE,
 * NumVFs and SRIOV_CTRL. v6.19+ first runs sriov_restore_vf_rebar_state (profile.vfRebarRestore),
 * which does not look at VF Enable.
 */
export async function pciRestoreIovState(profile: KernelProfile, dev: PciDev): Promise<void> {
  const iov = dev.kernel.sriov;
  if (!iov) return;
  if (profile.vfRebarRestore) await sriovRestoreVfRebarState(dev);
  const c = dev.access.config;
  let ctrl = await c.readw(iov.pos + PCI_SRIOV_CTRL);
  if (ctrl & PCI_SRIOV_CTRL_VFE) return;
  ctrl = (ctrl & ~PCI_SRIOV_CTRL_ARI) | (iov.ctrl & PCI_SRIOV_CTRL_ARI);
  await c.writew(iov.pos + PCI_SRIOV_CTRL, ctrl);
  for (const b of iov.vfBars) {
    await c.writel(iov.pos + PCI_SRIOV_BAR + 4 * b.bar, b.lo);
    if (b.hi !== undefined) await c.writel(iov.pos + PCI_SRIOV_BAR + 4 * (b.bar + 1), b.hi);
  }
  await c.writel(iov.pos + PCI_SRIOV_SYS_PGSIZE, iov.pgsz);
  await c.writew(iov.pos + PCI_SRIOV_NUM_VF, iov.numVfs); // pci_iov_set_numvfs
  await c.writew(iov.pos + PCI_SRIOV_CTRL, iov.ctrl);
}

async function runRestoreStep(profile: KernelProfile, dev: PciDev, step: RestoreStep): Promise<void> {
  await dev.log.run(step, async () => {
    switch (step) {
      case 'pci_restore_ltr_state': return pciRestoreLtrState(dev);
      case 'pci_restore_aspm_l1ss_state': return pciRestoreAspmL1ssState(profile, dev);
      case 'pci_restore_pcie_state': return pciRestorePcieState(profile, dev);
      case 'pci_restore_pasid_state': return pciRestorePasidState(dev);
      case 'pci_restore_pri_state': return pciRestorePriState(dev);
      case 'pci_restore_ats_state': return pciRestoreAtsState(dev);
      case 'pci_restore_vc_state': return pciRestoreVcState(dev);
      case 'pci_restore_rebar_state': return pciRestoreRebarState(dev);
      case 'pci_restore_dpc_state': return pciRestoreDpcState(dev);
      case 'pci_restore_ptm_state': return pciRestorePtmState(dev);
      case 'pci_restore_tph_state': return pciRestoreTphState(dev);
      case 'pci_aer_clear_status': return pciAerClearStatus(dev);
      case 'pci_restore_aer_state': return pciRestoreAerState(profile, dev);
      case 'pci_restore_config_space': return pciRestoreConfigSpace(dev, profile.barRestoreRetries);
      case 'pci_restore_pcix_state': return pciRestorePcixState(dev);
      case 'pci_restore_msi_state': return pciRestoreMsiState(dev, profile.msixRestoreEnablesMemory);
      case 'pci_enable_acs': return pciEnableAcs(profile, dev);
      case 'pci_restore_acs_state': return pciRestoreAcsState(dev);
      case 'pci_restore_iov_state': return profile.kconfig.PCI_IOV ? pciRestoreIovState(profile, dev) : undefined; // stub without CONFIG_PCI_IOV
    }
  });
}

/** pci_restore_state; returns the writes it made (to the device and, for L1SS/LTR, its parent). */
export async function pciRestoreState(profile: KernelProfile, dev: PciDev): Promise<WriteLogEntry[]> {
  const from = dev.log.writes.length;
  await dev.log.run('pci_restore_state', async () => {
    if (profile.restoreRequiresStateSaved && !dev.saved.stateSaved) return;
    for (const step of profile.restoreOrder) await runRestoreStep(profile, dev, step);
    dev.saved.stateSaved = false;
  });
  return dev.log.writes.slice(from);
}
