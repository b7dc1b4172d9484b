/**
 * Kernel A's save and kernel B's load + restore as the model's profiles run them, on any
 * FunctionAccess: the real device over qtest (`--saver host`, the kernels imitated from the host)
 * or a model of the captured device (the prediction set beside the guest kernels' own, `--saver
 * kernel`). One sequence for both, so the imitation and the prediction cannot drift apart.
 *
 * The real run's q35 has no IOMMU (no intel-iommu device, no DMAR table), so no IOMMU driver calls
 * pci_request_acs and pci_acs_enable stays clear: pci_restore_state's pci_enable_acs writes no
 * ACS controls (drivers/pci/pci.c pci_enable_acs; sim/linux/restore.ts). The model's default
 * dev state assumes an IOMMU; here it must not (the fidelity campaign measured it on Root Ports:
 * real ACS_CTRL 0 after 6.1's restore, the model's 0x1d before this).
 */
const NO_IOMMU = { kernel: { acsEnable: false } } as const;
import type { FunctionAccess } from '../../devices/access.js';
import type { PciFunction } from '../../devices/device.js';
import { loadCarried, serializeSaved, type Carried, type LoadOutcome, type SaveFormat } from '../../sim/cycle/carry.js';
import type { ConfigWrite } from '../../sim/cycle/classify.js';
import { attributeRestoreWrites, savedBits } from '../../sim/cycle/provenance.js';
import { allocateSaveBuffers } from '../../sim/linux/alloc.js';
import { newPciDev } from '../../sim/linux/dev.js';
import { pciSetupDevice } from '../../sim/linux/find-cap.js';
import { sriovStateFound } from '../../sim/linux/iov.js';
import type { KernelProfile } from '../../sim/linux/profile.js';
import { readKernelIrqState } from '../../sim/linux/msi.js';
import { pciRestoreState } from '../../sim/linux/restore.js';
import { pciBusAddDevice, pciSaveState } from '../../sim/linux/save.js';
import type { WriteLogEntry } from '../../sim/write-log/entry.js';

export interface KernelASave {
  readonly ret: number;
  readonly carried: Carried;
  /** Bits kernel A saved, for the verdicts. */
  readonly savedByOld: Uint8Array;
  /** Every write from setup to the save (allocation included), and where the save's own start. */
  readonly writes: readonly WriteLogEntry[];
  readonly saveFrom: number;
}

/** pci_setup_device, the save buffers, pci_save_state, then the blob in `format`. */
export async function saveAsKernelA(access: FunctionAccess, fn: PciFunction, A: KernelProfile, format: SaveFormat): Promise<KernelASave> {
  const dev = newPciDev(access, NO_IOMMU);
  await pciSetupDevice(dev);
  await allocateSaveBuffers(A, dev);
  const saveFrom = dev.log.writes.length;
  const ret = await pciSaveState(A, dev);
  return { ret, carried: serializeSaved(format, fn, A, dev.saved), savedByOld: savedBits(fn, A, dev.saved), writes: dev.log.writes, saveFrom };
}

export interface KernelBRestore {
  readonly load: LoadOutcome;
  /** pci_restore_state's writes. */
  readonly log: readonly WriteLogEntry[];
  readonly restoreWrites: readonly ConfigWrite[];
}

/**
 * Kernel B enumerates the device (its own buffers and, 6.12.y+, its own save at
 * pci_bus_add_device, which stale linux-blob buffers keep: as sim/cycle/run.ts), loads `carried`
 * and runs pci_restore_state. The real kernel B ran sriov_init at its enumeration already; the
 * dev->sriov it left (what sriov_restore_state writes back) is read from the bytes.
 */
export async function restoreAsKernelB(access: FunctionAccess, fn: PciFunction, A: KernelProfile, B: KernelProfile, carried: Carried): Promise<KernelBRestore> {
  const dev = newPciDev(access, NO_IOMMU);
  await pciSetupDevice(dev);
  if (B.kconfig.PCI_IOV) dev.kernel.sriov = await sriovStateFound(dev);
  await allocateSaveBuffers(B, dev);
  await pciBusAddDevice(B, dev);
  // A driver kernel B bound may have enabled MSI/MSI-X: pci_restore_msi_state rewrites them.
  await readKernelIrqState(dev);
  const load = await loadCarried(carried, fn, B, dev.saved, access.config);
  const log = await pciRestoreState(B, dev);
  return { load, log, restoreWrites: attributeRestoreWrites(fn, A, B, log, load.fills, load.ret === 0 && carried.bytes !== null) };
}
