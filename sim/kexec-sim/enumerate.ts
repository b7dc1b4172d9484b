/**
 * Kernel B's enumeration side effects on a function it finds at boot: probe.c pci_device_add ->
 * pci_configure_device, then pci_init_capabilities, in that order, per version (KEXEC_VERSION_DATA).
 * Only what writes config space is modelled; steps that merely cache pointers or allocate save
 * buffers (pci_configure_aspm_l1ss, pci_configure_eetlp_prefix, pci_allocate_cap_save_buffers,
 * pci_ptm_init on endpoints) are sim/linux's business.
 *
 * ASPM: pcie/aspm.c pcie_aspm_init_link_state with Debian's CONFIG_PCIEASPM_DEFAULT=y
 * (config-6.1.0-56 and config-6.12.117+deb12 both) takes policy_to_aspm_state = aspm_default,
 * which pcie_aspm_cap_init sets from the ASPM bits it read; pcie_config_aspm_link then returns
 * early ("Nothing to do if the link is already in the requested state"), so LNKCTL ASPM Control
 * stays as kernel A left it (v6.1 and v7.1 read); recorded as a note. The common-clock step is
 * aspm.ts; what the bus scan then writes to a bridge is scan-bridge.ts.
 */
import type { FunctionAccess } from '../../devices/access.js';
import { PCI_D0 } from '../../devices/caps/pm.js';
import type { KernelProfileId } from '../linux/profile.js';
import { kexecDev, pcieClearAndSet, pcieRead, pcieType, type KexecDev } from './dev.js';
import { platformOptions, type PlatformOptions } from './options.js';
import { pcieAspmConfigureCommonClock } from './aspm.js';
import { pciSetupDeviceWrites } from './setup-device.js';
import { PCI_EXP_AER_FLAGS } from './regs.js';
import { KEXEC_VERSION_DATA } from './versions.js';
import { stepRead, stepWrite, stepWriteBack } from '../write-log/steps.js';
import { WriteLog } from '../write-log/write-log.js';
import {
  PCI_ACS_CAP, PCI_ACS_CR, PCI_ACS_CTRL, PCI_ACS_RR, PCI_ACS_SV, PCI_ACS_UF, PCI_BRIDGE_CONTROL,
  PCI_BRIDGE_CTL_SERR, PCI_ERR_COR_ADV_NFAT, PCI_ERR_COR_MASK, PCI_ERR_COR_STATUS, PCI_ERR_ROOT_STATUS, PCI_ERR_UNCOR_STATUS, PCI_EXP_DEVCAP,
  PCI_EXP_DEVCAP2, PCI_EXP_DEVCAP2_LTR, PCI_EXP_DEVCAP_EXT_TAG, PCI_EXP_DEVCAP_RBER, PCI_EXP_DEVCAP_PAYLOAD, PCI_EXP_DEVCTL,
  PCI_EXP_DEVCTL2, PCI_EXP_DEVCTL2_LTR_EN,
  PCI_EXP_DEVCTL_EXT_TAG, PCI_EXP_DEVCTL_PAYLOAD,
  PCI_EXP_DEVCTL_RELAX_EN, PCI_EXP_LNKCTL, PCI_EXP_LNKCTL_RCB, PCI_EXP_TYPE_DOWNSTREAM, PCI_EXP_TYPE_RC_EC,
  PCI_EXP_TYPE_RC_END, PCI_EXP_TYPE_ROOT_PORT, PCI_EXP_TYPE_UPSTREAM, PCI_HEADER_TYPE_BRIDGE, PCI_MSIX_FLAGS,
  PCI_MSIX_FLAGS_ENABLE, PCI_MSI_FLAGS, PCI_MSI_FLAGS_ENABLE, PCI_PM_CAP_PME_MASK, PCI_PM_CTRL,
  PCI_PM_CTRL_PME_ENABLE, PCI_PM_CTRL_PME_STATUS, PCI_PM_CTRL_STATE_MASK, PCI_PM_PMC,
} from '../../devices/pci-regs.js';

/** pcie_get_mps: 128 << DEVCTL.PAYLOAD. */
const mpsOf = (devctl: number): number => 128 << ((devctl & PCI_EXP_DEVCTL_PAYLOAD) >> 5);

/** pcie_set_mps: -EINVAL (no write) beyond the device's MPSS. */
async function pcieSetMps(d: KexecDev, step: string, mps: number, why: string): Promise<void> {
  const mpss = (await pcieRead(d, PCI_EXP_DEVCAP, 4)) & PCI_EXP_DEVCAP_PAYLOAD;
  const v = Math.log2(mps) - 7;
  if (!Number.isInteger(v) || v < 0 || v > mpss) {
    d.log.note(step, `pcie_set_mps(${mps}) fails: the device supports at most ${128 << mpss} (MPSS)`);
    return;
  }
  await pcieClearAndSet(d, step, PCI_EXP_DEVCTL, PCI_EXP_DEVCTL_PAYLOAD, v << 5, why);
}

/** probe.c pci_configure_mps with pcie_bus_config == PCIE_BUS_DEFAULT (Debian: CONFIG_PCIE_BUS_DEFAULT=y). */
async function pciConfigureMps(d: KexecDev, p: PlatformOptions): Promise<void> {
  const step = 'pci_configure_mps';
  if (!d.pcie) return;
  const mpss = (await pcieRead(d, PCI_EXP_DEVCAP, 4)) & PCI_EXP_DEVCAP_PAYLOAD;
  if (pcieType(d) === PCI_EXP_TYPE_RC_END) {
    await pcieSetMps(d, step, 128 << mpss, 'Root Complex Integrated Endpoint: program its maximum supported MPS');
    return;
  }
  const up = p.upstream;
  if (!up) return d.log.note(step, 'no upstream PCIe bridge: MPS left as found');
  const mps = mpsOf(await pcieRead(d, PCI_EXP_DEVCTL, 2));
  let pMps = up.mps;
  if (mps === pMps) return;
  if (128 << mpss < pMps && up.isRootPort) {
    d.log.note(step, `Root Port MPS lowered to ${128 << mpss} (the device's MPSS); the Root Port is not modelled here`);
    pMps = 128 << mpss;
  }
  await pcieSetMps(d, step, pMps, `match the upstream bridge's Max Payload Size ${pMps} (was ${mps})`);
}

/** probe.c pci_configure_extended_tags: enable EXT_TAG when DEVCAP advertises it (disable if the host forbids). */
async function pciConfigureExtendedTags(d: KexecDev, p: PlatformOptions): Promise<void> {
  const step = 'pci_configure_extended_tags';
  if (!d.pcie) return;
  if (((await pcieRead(d, PCI_EXP_DEVCAP, 4)) & PCI_EXP_DEVCAP_EXT_TAG) === 0) return;
  const ctl = await pcieRead(d, PCI_EXP_DEVCTL, 2);
  if (p.hostNoExtTags) {
    if (ctl & PCI_EXP_DEVCTL_EXT_TAG) await pcieClearAndSet(d, step, PCI_EXP_DEVCTL, PCI_EXP_DEVCTL_EXT_TAG, 0, 'host bridge has no_ext_tags: disable Extended Tags');
    return;
  }
  if ((ctl & PCI_EXP_DEVCTL_EXT_TAG) === 0) await pcieClearAndSet(d, step, PCI_EXP_DEVCTL, 0, PCI_EXP_DEVCTL_EXT_TAG, 'DEVCAP_EXT_TAG: enable Extended Tags');
}

/** probe.c pci_configure_relaxed_ordering: clear RELAX_EN only under a Root Port quirked NO_RELAXED_ORDERING. */
async function pciConfigureRelaxedOrdering(d: KexecDev, p: PlatformOptions): Promise<void> {
  if (!d.pcie || !p.upstream?.noRelaxedOrdering) return;
  await pcieClearAndSet(d, 'pci_configure_relaxed_ordering', PCI_EXP_DEVCTL, PCI_EXP_DEVCTL_RELAX_EN, 0, "the Root Port doesn't support Relaxed Ordering");
}

/** pci_configure_ltr (probe.c in v6.1, pcie/aspm.c in v6.12+; same body): set LTR_EN when the path supports it. */
async function pciConfigureLtr(d: KexecDev, p: PlatformOptions): Promise<void> {
  const step = 'pci_configure_ltr';
  if (!d.pcie) return;
  if (((await pcieRead(d, PCI_EXP_DEVCAP2, 4)) & PCI_EXP_DEVCAP2_LTR) === 0) return;
  if ((await pcieRead(d, PCI_EXP_DEVCTL2, 4)) & PCI_EXP_DEVCTL2_LTR_EN) return d.log.note(step, 'LTR_EN already set (by kernel A): left alone');
  if (pcieType(d) === PCI_EXP_TYPE_ROOT_PORT) {
    await pcieClearAndSet(d, step, PCI_EXP_DEVCTL2, 0, PCI_EXP_DEVCTL2_LTR_EN, 'Root Port: enable LTR');
  } else if (p.upstream?.ltrPath) {
    await pcieClearAndSet(d, step, PCI_EXP_DEVCTL2, 0, PCI_EXP_DEVCTL2_LTR_EN, 'upstream bridge has ltr_path: enable LTR (PCIe r4.0 6.18)');
  } else {
    d.log.note(step, 'no LTR path above the device: LTR_EN left clear');
  }
}

/** probe.c pci_configure_serr: bridges get SERR# forwarding in BRIDGE_CONTROL. */
async function pciConfigureSerr(d: KexecDev): Promise<void> {
  if (d.hdrType !== PCI_HEADER_TYPE_BRIDGE) return;
  const ctl = await stepRead(d, PCI_BRIDGE_CONTROL, 2);
  if ((ctl & PCI_BRIDGE_CTL_SERR) === 0) await stepWrite(d, 'pci_configure_serr', PCI_BRIDGE_CONTROL, 2, ctl | PCI_BRIDGE_CTL_SERR, 'a bridge forwards ERR_ messages only with SERR# forwarding on');
}

/** v7.1 probe.c pci_configure_rcb: copy the Root Port's RCB into Endpoints and Bridges. */
async function pciConfigureRcb(d: KexecDev, p: PlatformOptions): Promise<void> {
  const t = pcieType(d);
  if (t === undefined || t === PCI_EXP_TYPE_ROOT_PORT || t === PCI_EXP_TYPE_UPSTREAM || t === PCI_EXP_TYPE_DOWNSTREAM || t === PCI_EXP_TYPE_RC_EC) return;
  if (p.upstream?.rcb === undefined) return d.log.note('pci_configure_rcb', 'Root Port not visible: RCB left as found');
  await pcieClearAndSet(d, 'pci_configure_rcb', PCI_EXP_LNKCTL, PCI_EXP_LNKCTL_RCB, p.upstream.rcb ? PCI_EXP_LNKCTL_RCB : 0, `match the Root Port's RCB (${p.upstream.rcb ? 128 : 64} bytes)`);
}

/** msi/pcidev_msi.c pci_msi_init / pci_msix_init: clear a left-over ENABLE ("avoid screaming interrupts during boot"). */
async function pciMsiInit(d: KexecDev): Promise<void> {
  if (!d.msiCap) return;
  const ctrl = await stepRead(d, d.msiCap + PCI_MSI_FLAGS, 2);
  if (ctrl & PCI_MSI_FLAGS_ENABLE) await stepWrite(d, 'pci_msi_init', d.msiCap + PCI_MSI_FLAGS, 2, ctrl & ~PCI_MSI_FLAGS_ENABLE, 'disable MSI left enabled by the previous kernel');
}

async function pciMsixInit(d: KexecDev): Promise<void> {
  if (!d.msixCap) return;
  const ctrl = await stepRead(d, d.msixCap + PCI_MSIX_FLAGS, 2);
  if (ctrl & PCI_MSIX_FLAGS_ENABLE) await stepWrite(d, 'pci_msix_init', d.msixCap + PCI_MSIX_FLAGS, 2, ctrl & ~PCI_MSIX_FLAGS_ENABLE, 'disable MSI-X left enabled by the previous kernel (MASKALL untouched)');
}

/**
 * pci.c pci_pm_init: pci_pme_active(dev, false) when the device can signal PME (clears PME_Status
 * by writing 1, clears PME_En); v6.19+ then pci_pm_power_up_and_verify_state -> pci_power_up,
 * which writes PMCSR=0 unless the function is already in D0. v6.1/v6.12 leave the power state.
 */
async function pciPmInit(d: KexecDev, powerUp: boolean): Promise<void> {
  if (!d.pmCap) return;
  const pmc = await stepRead(d, d.pmCap + PCI_PM_PMC, 2);
  if (pmc & PCI_PM_CAP_PME_MASK) {
    const pmcsr = await stepRead(d, d.pmCap + PCI_PM_CTRL, 2);
    await stepWrite(d, '__pci_pme_active', d.pmCap + PCI_PM_CTRL, 2, (pmcsr | PCI_PM_CTRL_PME_STATUS) & ~PCI_PM_CTRL_PME_ENABLE, 'pci_pme_active(dev, false): clear PME_Status, disable PME#');
  }
  const state = (await stepRead(d, d.pmCap + PCI_PM_CTRL, 2)) & PCI_PM_CTRL_STATE_MASK;
  if (!powerUp) {
    if (state !== PCI_D0) d.log.note('pci_pm_init', `function left in D${state}: this version does not power up at enumeration`);
    return;
  }
  if (state !== PCI_D0) await stepWrite(d, 'pci_power_up', d.pmCap + PCI_PM_CTRL, 2, 0, `pci_pm_power_up_and_verify_state: D${state} -> D0`);
}

/** pci.c pci_enable_acs's write: ACS_CTRL as found, with the standard controls the capability offers when an IOMMU asked for ACS. */
async function pciEnableAcsWrite(d: KexecDev, step: string, p: PlatformOptions): Promise<void> {
  const cap = await stepRead(d, d.acsCap + PCI_ACS_CAP, 2);
  const ctrl = await stepRead(d, d.acsCap + PCI_ACS_CTRL, 2);
  const std = p.iommu ? cap & (PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF) : 0;
  await stepWrite(d, step, d.acsCap + PCI_ACS_CTRL, 2, ctrl | std, p.iommu ? 'IOMMU present: enable SV|RR|CR|UF the capability offers' : 'no IOMMU: ACS_CTRL written back unchanged');
}

/** pci_acs_init per version (KEXEC_VERSION_DATA.acs). */
async function pciAcsInit(d: KexecDev, to: KernelProfileId, p: PlatformOptions): Promise<void> {
  if (!d.acsCap) return;
  const mode = KEXEC_VERSION_DATA[to].acs;
  if (mode === 'deferred-to-bind') return d.log.note('pci_acs_init', 'ACS_CTRL not written at enumeration: pci_enable_acs runs from pci_dma_configure at driver bind');
  if (mode === 'std-enable-if-iommu' && !p.iommu) return d.log.note('pci_enable_acs', 'no IOMMU (pci_acs_enable=0): ACS_CTRL left as found');
  await pciEnableAcsWrite(d, mode === 'std-enable-if-iommu' ? 'pci_std_enable_acs' : 'pci_enable_acs', p);
}

/**
 * pci-driver.c pci_dma_configure, which really_probe runs before every driver's probe: v7.1+
 * ('deferred-to-bind') calls pci_enable_acs there, which writes ACS_CTRL whether or not an IOMMU
 * asked for ACS. QEMU's trace of a 7.2 boot shows the write on a q35 root port when pcieport binds,
 * after the bus scan's bridge set-up.
 */
export async function pciDmaConfigure(d: KexecDev, kernel: KernelProfileId, p: PlatformOptions): Promise<void> {
  if (!d.acsCap || KEXEC_VERSION_DATA[kernel].acs !== 'deferred-to-bind') return;
  await pciEnableAcsWrite(d, 'pci_enable_acs', p);
}

/**
 * pcie/aer.c pci_aer_init (same in v6.1..v7.1): pci_aer_clear_status (write back the RW1C status
 * read: ROOT_STATUS on Root Ports/RCECs, COR_STATUS, UNCOR_STATUS) and, if pci_aer_available,
 * pci_enable_pcie_error_reporting (DEVCTL |= CERE|NFERE|FERE|URRE). Both need native AER.
 * v7.3 first clears PCI_ERR_COR_ADV_NFAT in COR_MASK on a function whose DEVCAP has RBER
 * (the quirk_no_aer_anfe exception, Apple 0x1802, is not modelled).
 */
async function pciAerInit(d: KexecDev, p: PlatformOptions, unmaskAdvNonFatal: boolean): Promise<void> {
  if (!d.aerCap) return;
  if (!p.aerNative) return d.log.note('pci_aer_init', 'AER owned by firmware (not native): status and DEVCTL left alone');
  if (unmaskAdvNonFatal && ((await pcieRead(d, PCI_EXP_DEVCAP, 4)) & PCI_EXP_DEVCAP_RBER)) {
    // pci_clear_and_set_config_dword writes whether or not the bit was set (QEMU's trace of 7.3
    // shows it on ports whose mask kernel A 7.3 had already cleared).
    const mask = await stepRead(d, d.aerCap + PCI_ERR_COR_MASK, 4);
    await stepWrite(d, 'pci_aer_init', d.aerCap + PCI_ERR_COR_MASK, 4, (mask & ~PCI_ERR_COR_ADV_NFAT) >>> 0, 'v7.3: unmask Advisory Non-Fatal errors (masked by default, PCIe r7.0 7.8.4.6)');
  }
  const t = pcieType(d);
  const clear = (reg: number, name: string) => stepWriteBack(d, 'pci_aer_clear_status', d.aerCap + reg, 4, `write back ${name} to clear its RW1C bits`);
  if (t === PCI_EXP_TYPE_ROOT_PORT || t === PCI_EXP_TYPE_RC_EC) await clear(PCI_ERR_ROOT_STATUS, 'PCI_ERR_ROOT_STATUS');
  await clear(PCI_ERR_COR_STATUS, 'PCI_ERR_COR_STATUS');
  await clear(PCI_ERR_UNCOR_STATUS, 'PCI_ERR_UNCOR_STATUS');
  if (!p.msiEnabled) return d.log.note('pci_aer_init', 'pci_aer_available() is false without MSI: error reporting not enabled');
  await pcieClearAndSet(d, 'pci_enable_pcie_error_reporting', PCI_EXP_DEVCTL, 0, PCI_EXP_AER_FLAGS, 'enable correctable, non-fatal, fatal and UR reporting (PCI_EXP_AER_FLAGS)');
}

/**
 * probe.c pci_init_capabilities -> pci_iov_init at its place (after pci_pm_init, pci_vpd_init and
 * pci_configure_ari, before pci_acs_init): sriov_init lives in sim/linux (iov.ts pciIovInitAt), which
 * keeps the dev->sriov state kernel B's restore uses. It records into the enumeration's `log`.
 */
export type PciIovInitStep = (log: WriteLog) => Promise<void>;

/**
 * Run kernel B's enumeration on one function. Appends to `log` (a fresh one by default) and returns
 * it. Without `pciIovInit`, an SR-IOV PF's sriov_init is not run.
 */
export async function kernelEnumerate(fn: FunctionAccess, to: KernelProfileId, platform?: Partial<PlatformOptions>, log = new WriteLog(), device = 'dev', pciIovInit?: PciIovInitStep): Promise<WriteLog> {
  const d = await kexecDev(fn, log, device);
  // A Root Port sits on the root bus: pci_upstream_bridge is NULL whatever the platform describes.
  const p = pcieType(d) === PCI_EXP_TYPE_ROOT_PORT ? { ...platformOptions(platform), upstream: undefined } : platformOptions(platform);
  const v = KEXEC_VERSION_DATA[to];
  // probe.c pci_setup_device (pci_scan_device), before pci_device_add
  await pciSetupDeviceWrites(d, v.barSizing);
  // probe.c pci_configure_device
  await pciConfigureMps(d, p);
  await pciConfigureExtendedTags(d, p);
  await pciConfigureRelaxedOrdering(d, p);
  await pciConfigureLtr(d, p);
  await pciConfigureSerr(d);
  if (v.configureRcb) await pciConfigureRcb(d, p);
  // probe.c pci_init_capabilities
  await pciMsiInit(d);
  await pciMsixInit(d);
  await pciPmInit(d, v.pmInitPowersUp);
  if (pciIovInit) await pciIovInit(log);
  await pciAcsInit(d, to, p);
  await pciAerInit(d, p, v.aerUnmasksAdvNonFatal);
  await pcieAspmConfigureCommonClock(d, p);
  if (d.pcie) d.log.note('pcie_aspm_init_link_state', 'policy "default" (CONFIG_PCIEASPM_DEFAULT): ASPM Control kept as found');
  return log;
}
