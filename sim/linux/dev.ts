/**
 * The slice of struct pci_dev the save/restore steps use: a traced FunctionAccess (sim/write-log), the saved state
 * (sim/saved-state.ts), and a small KernelDevState holding what the kernel caches or regenerates
 * (capability pointers, ATS/PRI/PASID enables, MSI descriptors, resource sizes, SR-IOV state).
 */
import type { FunctionAccess } from '../../devices/access.js';
import { newSavedDevState, type PciSavedDevState } from '../saved-state.js';
import { tracedAccess, WriteLog, type TracedFunction } from '../write-log/write-log.js';

/** One MSI/MSI-X descriptor (include/linux/msi.h struct msi_desc, the fields restore uses). */
export interface MsiDesc {
  readonly addressLo: number;
  readonly addressHi: number;
  readonly data: number;
  /** MSI-X: table entry index (msi_index). */
  readonly index: number;
  /** MSI-X: cached vector control (desc->pci.msix_ctrl). */
  readonly msixCtrl: number;
}

export interface MsiState {
  /** dev->msi_cap; msi_attrib.is_64 and can_mask, msi_attrib.multiple, desc->pci.msi_mask. */
  readonly cap: number;
  readonly is64: boolean;
  readonly canMask: boolean;
  /** Offset of the mask register relative to the MSI capability (desc->pci.mask_pos - msi_cap). */
  readonly maskPos: number;
  readonly multiple: number;
  readonly mask: number;
  readonly desc: MsiDesc;
}

export interface MsixState {
  /** dev->msix_cap; the table BAR and offset (desc->pci.mask_base); can_mask. */
  readonly cap: number;
  readonly tableBar: number;
  readonly tableOffset: number;
  readonly canMask: boolean;
  readonly descs: readonly MsiDesc[];
}

export interface SriovState {
  /** iov->pos, iov->ctrl, iov->pgsz, iov->num_VFs. */
  readonly pos: number;
  readonly ctrl: number;
  readonly pgsz: number;
  readonly numVfs: number;
  /** The VF BAR resources (dev->resource[PCI_IOV_RESOURCES + i]) as sriov_init found them. */
  readonly vfBars: readonly VfBarResource[];
  /** iov->barsz of the BARs a VF Resizable BAR capability covers, by VF BAR index, as sriov_init sized them. */
  readonly vfRebarSizes: readonly number[];
}

/** A VF BAR's resource as pci_iov_update_resource writes it back: region.start | the type bits. */
export interface VfBarResource {
  /** VF BAR number (0..5); a 64-bit BAR takes i and i+1. */
  readonly bar: number;
  readonly lo: number;
  /** Upper dword of a 64-bit BAR (IORESOURCE_MEM_64). */
  readonly hi?: number;
}

/** What the kernel holds about the device outside the save buffers. Keep it small. */
export interface KernelDevState {
  /** dev->hdr_type (header type & 0x7f), dev->cfg_size, pci_pcie_cap(dev), pcie_caps_reg(dev). */
  hdrType: number;
  cfgSize: number;
  pcieCap: number;
  pcieFlags: number;
  /** Cached capability pointers set during enumeration (0 = none). */
  l1ss: number;
  aerCap: number;
  ptmCap: number;
  dpcCap: number;
  tphCap: number;
  acsCap: number;
  atsCap: number;
  priCap: number;
  pasidCap: number;
  /** pcie_aer_is_native: pcie_ports_native || host->native_aer (firmware grants AER via _OSC). */
  aerNative: boolean;
  /** bridge->ltr_path (for pci_bridge_reconfigure_ltr on the child). */
  ltrPath: boolean;
  isVirtfn: boolean;
  atsEnabled: boolean;
  atsStu: number;
  priEnabled: boolean;
  priReqsAlloc: number;
  pasidEnabled: boolean;
  pasidFeatures: number;
  tphEnabled: boolean;
  /** dev->current_state == PCI_D0 (__pci_write_msi_msg does not touch hardware otherwise). */
  inD0: boolean;
  msi: MsiState | undefined;
  msix: MsixState | undefined;
  /** pci_acs_enable (set by pci_request_acs when an IOMMU is present). */
  acsEnable: boolean;
  /** pci_ats_disabled() || dev->external_facing || dev->untrusted: request Translation Blocking. */
  acsTranslationBlocking: boolean;
  /** resource_size(pdev->resource[i]) for pci_restore_rebar_state. */
  resourceSizes: readonly number[];
  sriov: SriovState | undefined;
}

export function newKernelDevState(): KernelDevState {
  return {
    hdrType: 0, cfgSize: 256, pcieCap: 0, pcieFlags: 0,
    l1ss: 0, aerCap: 0, ptmCap: 0, dpcCap: 0, tphCap: 0, acsCap: 0, atsCap: 0, priCap: 0, pasidCap: 0,
    aerNative: true, ltrPath: false, isVirtfn: false,
    atsEnabled: false, atsStu: 12, priEnabled: false, priReqsAlloc: 0, pasidEnabled: false, pasidFeatures: 0,
    tphEnabled: false, inD0: true, msi: undefined, msix: undefined,
    acsEnable: true, acsTranslationBlocking: false, resourceSizes: [], sriov: undefined,
  };
}

/** A device as the steps see it. `parent` is dev->bus->self (the upstream bridge), if modelled. */
export interface PciDev extends TracedFunction {
  readonly name: string;
  readonly saved: PciSavedDevState;
  readonly kernel: KernelDevState;
  readonly parent: PciDev | undefined;
}

export interface NewPciDevOptions {
  readonly name?: string;
  readonly parent?: PciDev;
  readonly kernel?: Partial<KernelDevState>;
  /** The log to record into (a step of a larger sequence: kexec-sim's enumeration); the parent's, else a new one. */
  readonly log?: WriteLog;
}

/** Wrap a backend. A child shares its parent's log so one WriteLog orders writes to both. */
export function newPciDev(access: FunctionAccess, opts: NewPciDevOptions = {}): PciDev {
  const log = opts.log ?? opts.parent?.log ?? new WriteLog();
  const name = opts.name ?? 'dev';
  return {
    name,
    access: tracedAccess(access, log, name),
    saved: newSavedDevState(),
    kernel: { ...newKernelDevState(), ...opts.kernel },
    log,
    parent: opts.parent,
  };
}

export const pciIsPcie = (dev: PciDev): boolean => dev.kernel.pcieCap !== 0;
/** pci_pcie_type: PCI_EXP_FLAGS_TYPE >> 4. */
export const pciPcieType = (dev: PciDev): number => (dev.kernel.pcieFlags & 0xf0) >> 4;
