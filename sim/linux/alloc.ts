/**
 * Save-buffer allocation during enumeration (probe.c pci_device_add): pci_configure_device
 * (pci_configure_ltr sets dev->l1ss in v6.1; pci_configure_aspm_l1ss allocates L1SS in v6.12+),
 * then pci_init_capabilities (pci_allocate_cap_save_buffers, pci_acs_init, pci_ptm_init,
 * pci_aer_init, pci_dpc_init, v6.19+ pci_tph_init), and much later dpc_probe when the portdrv DPC
 * service binds. Head insertion makes the final list the reverse of this chronology
 * (linux-pci.md 2.3). Only the parts that create buffers or cache pointers the save/restore steps
 * use are modelled; other enumeration side effects (MPS, ASPM policy, error-reporting enables) are
 * not.
 */
import type { PciSavedDevState } from '../saved-state.js';
import type { KernelProfile } from './profile.js';
import { pciIsPcie, type PciDev } from './dev.js';
import { pciFindExtCapability } from './find-cap.js';
import { pcieCapHasRtctl } from './pcie-access.js';
import { pciAddCapSaveBuffer } from './saved-cap.js';
import { slotsSize } from './layouts.js';
import { pciAllocateVcSaveBuffers } from './vc.js';
import { tphStTableSize } from './layouts.js';
import { pciAerClearStatus } from './aer.js';
import {
  PCI_CAP_ID_EXP, PCI_CAP_ID_PCIX, PCI_EXT_CAP_ID_ACS, PCI_EXT_CAP_ID_ATS, PCI_EXT_CAP_ID_DPC,
  PCI_EXT_CAP_ID_ERR, PCI_EXT_CAP_ID_L1SS, PCI_EXT_CAP_ID_LTR, PCI_EXT_CAP_ID_PASID, PCI_EXT_CAP_ID_PRI,
  PCI_EXT_CAP_ID_PTM, PCI_EXT_CAP_ID_TPH, PCI_TPH_CAP,
} from '../../devices/pci-regs.js';

/** pci.c pci_allocate_cap_save_buffers, with the buffer set of the profile (L1SS only in v6.1). */
export async function pciAllocateCapSaveBuffers(profile: KernelProfile, dev: PciDev): Promise<void> {
  for (const b of profile.capSaveBuffers) {
    if (b === 'EXP') await pciAddCapSaveBuffer(dev, PCI_CAP_ID_EXP, false, slotsSize(profile.layouts.exp, 2)); // PCI_EXP_SAVE_REGS * sizeof(u16)
    else if (b === 'PCIX') await pciAddCapSaveBuffer(dev, PCI_CAP_ID_PCIX, false, 2);
    else if (b === 'LTR') await pciAddCapSaveBuffer(dev, PCI_EXT_CAP_ID_LTR, true, 2 * 2);
    else if (b === 'L1SS') await pciAddCapSaveBuffer(dev, PCI_EXT_CAP_ID_L1SS, true, 2 * 4);
    else await pciAllocateVcSaveBuffers(dev);
  }
}

/** v6.1 probe.c pci_configure_ltr: caches dev->l1ss, only with CONFIG_PCIEASPM and for PCIe. */
export async function pciConfigureLtr(profile: KernelProfile, dev: PciDev): Promise<void> {
  if (!profile.kconfig.PCIEASPM || !pciIsPcie(dev)) return;
  dev.kernel.l1ss = await pciFindExtCapability(dev, PCI_EXT_CAP_ID_L1SS);
}

/** v6.12+ pcie/aspm.c pci_configure_aspm_l1ss (built even without CONFIG_PCIEASPM). */
export async function pciConfigureAspmL1ss(dev: PciDev): Promise<void> {
  dev.kernel.l1ss = await pciFindExtCapability(dev, PCI_EXT_CAP_ID_L1SS);
  await pciAddCapSaveBuffer(dev, PCI_EXT_CAP_ID_L1SS, true, 2 * 4);
}

/** pcie/ptm.c pci_ptm_init (stub without CONFIG_PCIE_PTM). */
export async function pciPtmInit(profile: KernelProfile, dev: PciDev): Promise<void> {
  if (!profile.kconfig.PCIE_PTM || !pciIsPcie(dev)) return;
  const ptm = await pciFindExtCapability(dev, PCI_EXT_CAP_ID_PTM);
  if (!ptm) return;
  dev.kernel.ptmCap = ptm;
  await pciAddCapSaveBuffer(dev, PCI_EXT_CAP_ID_PTM, true, 4);
}

/**
 * pcie/aer.c pci_aer_init (stub without CONFIG_PCIEAER): 4 dwords, 5 on a Root Port or RCEC
 * (pcie_cap_has_rtctl: ROOT_COMMAND), then pci_aer_clear_status.
 */
export async function pciAerInit(profile: KernelProfile, dev: PciDev): Promise<void> {
  if (!profile.kconfig.PCIEAER) return;
  dev.kernel.aerCap = await pciFindExtCapability(dev, PCI_EXT_CAP_ID_ERR);
  if (!dev.kernel.aerCap) return;
  const size = slotsSize(pcieCapHasRtctl(dev) ? [...profile.layouts.aer, ...profile.layouts.aerRoot] : profile.layouts.aer, 4);
  await pciAddCapSaveBuffer(dev, PCI_EXT_CAP_ID_ERR, true, size);
  await pciAerClearStatus(dev);
}

/** tph.c pcie_tph_get_st_table_size: ST entries only count when the table lives in the capability. */
export async function pcieTphGetStTableSize(dev: PciDev): Promise<number> {
  return tphStTableSize(await dev.access.config.readl(dev.kernel.tphCap + PCI_TPH_CAP));
}

/** tph.c pci_tph_init (v6.19+, stub without CONFIG_PCIE_TPH): u32 TPH_CTRL + N u16 ST entries. */
export async function pciTphInit(profile: KernelProfile, dev: PciDev): Promise<void> {
  if (!profile.kconfig.PCIE_TPH) return;
  dev.kernel.tphCap = await pciFindExtCapability(dev, PCI_EXT_CAP_ID_TPH);
  if (!dev.kernel.tphCap) return;
  const n = await pcieTphGetStTableSize(dev);
  await pciAddCapSaveBuffer(dev, PCI_EXT_CAP_ID_TPH, true, 4 + 2 * n);
}

/**
 * pci_acs_init with the Live Update series' "PCI: Save and restore the ACS Control register"
 * (lu-pci only): a u16 ACS_CTRL buffer (size and call site inferred, see profile.ts LU_PCI_BASE).
 */
export async function pciAcsInitSaveBuffer(dev: PciDev): Promise<void> {
  await pciAddCapSaveBuffer(dev, PCI_EXT_CAP_ID_ACS, true, 2);
}

/** pcie/dpc.c pci_dpc_init caches dev->dpc_cap (CONFIG_PCIE_DPC); no buffer yet. */
export async function pciDpcInit(profile: KernelProfile, dev: PciDev): Promise<void> {
  if (!profile.kconfig.PCIE_DPC) return;
  dev.kernel.dpcCap = await pciFindExtCapability(dev, PCI_EXT_CAP_ID_DPC);
}

/**
 * pcie/dpc.c dpc_probe, run when the portdrv DPC service binds to a port: refused unless AER is
 * native (pcie_ports_dpc_native is not modelled). Its DPC_CTL programming is not modelled; it
 * allocates the 2-byte DPC buffer last, so DPC heads the list.
 */
export async function dpcProbe(profile: KernelProfile, dev: PciDev): Promise<boolean> {
  if (!profile.kconfig.PCIE_DPC || !dev.kernel.dpcCap || !dev.kernel.aerNative) return false;
  await pciAddCapSaveBuffer(dev, PCI_EXT_CAP_ID_DPC, true, 2);
  return true;
}

/** Cached pointers of pci_acs_init, pci_ats_init, pci_pri_init, pci_pasid_init. */
async function cacheRegeneratedCaps(dev: PciDev): Promise<void> {
  dev.kernel.acsCap = await pciFindExtCapability(dev, PCI_EXT_CAP_ID_ACS);
  dev.kernel.atsCap = await pciFindExtCapability(dev, PCI_EXT_CAP_ID_ATS);
  dev.kernel.priCap = await pciFindExtCapability(dev, PCI_EXT_CAP_ID_PRI);
  dev.kernel.pasidCap = await pciFindExtCapability(dev, PCI_EXT_CAP_ID_PASID);
}

export interface AllocateOptions {
  /** Whether the portdrv DPC service binds (dpc_probe runs): ports with DPC only. */
  readonly dpcServiceBound?: boolean;
}

/**
 * Run the profile's allocation chronology and return the device's saved state (buffers zeroed,
 * state_saved false). Expects pciSetupDevice to have run.
 */
export async function allocateSaveBuffers(profile: KernelProfile, dev: PciDev, opts: AllocateOptions = {}): Promise<PciSavedDevState> {
  await dev.log.run('pci_device_add', async () => {
    if (profile.l1ss === 'own') await dev.log.run('pci_configure_ltr', () => pciConfigureLtr(profile, dev));
    for (const step of profile.allocOrder) {
      await dev.log.run(step, async () => {
        if (step === 'pci_configure_aspm_l1ss') await pciConfigureAspmL1ss(dev);
        else if (step === 'pci_allocate_cap_save_buffers') await pciAllocateCapSaveBuffers(profile, dev);
        else if (step === 'pci_ptm_init') await pciPtmInit(profile, dev);
        else if (step === 'pci_acs_init') await pciAcsInitSaveBuffer(dev);
        else if (step === 'pci_aer_init') {
          await pciAerInit(profile, dev);
          await pciDpcInit(profile, dev);
        } else await pciTphInit(profile, dev);
      });
    }
    // pci_acs_init / pci_ats_init / pci_pri_init / pci_pasid_init only cache pointers (no buffers).
    await cacheRegeneratedCaps(dev);
  });
  if (opts.dpcServiceBound) await dev.log.run('dpc_probe', () => dpcProbe(profile, dev));
  return dev.saved;
}
