/**
 * VFIO's open and close paths over the model (drivers/vfio/pci/vfio_pci_core.c, linux-pci.md 7):
 * vfio_pci_core_enable and vfio_pci_core_disable, with the variants the Live Update work adds
 * (the October 2025 RFC skips reset/save/store on a restored device and uses the carried blob;
 * the later series freezes in the old kernel and lets the new kernel inherit reset_works).
 */
import type { PciFunction } from '../../devices/device.js';
import type { PciDev } from '../linux/dev.js';
import type { KernelProfile } from '../linux/profile.js';
import { barResources, pciClearMaster, pciEnableDevice } from '../linux/enable.js';
import { pciFindCapability } from '../linux/find-cap.js';
import { pciRestoreState } from '../linux/restore.js';
import { pciSaveState } from '../linux/save.js';
import { pciLoadSavedState, pciStoreSavedState } from '../formats/linux-blob.js';
import type { PciSavedState } from '../saved-state.js';
import { predictFor, pciTryResetFunction, resetLocked } from './reset-path.js';
import { PCI_CAP_ID_PM, PCI_COMMAND, PCI_COMMAND_INTX_DISABLE } from '../../devices/pci-regs.js';

/** pci_enable_device on the device vfio-pci owns: its resources are what its BARs hold. */
async function enableDevice(dev: PciDev): Promise<void> {
  await pciEnableDevice(dev, await barResources(dev), await pciFindCapability(dev, PCI_CAP_ID_PM));
}

export interface VfioOpen {
  readonly resetWorks: boolean;
  /** vdev->pci_saved_state (pci_store_saved_state at open), or null. */
  readonly savedState: PciSavedState | null;
  readonly notes: string[];
}

/** vfio_pci_core_enable: clear master, enable, try reset (reset_works = !ret), save, store. */
export async function vfioPciCoreEnable(profile: KernelProfile, dev: PciDev, fn: PciFunction, opts: { liveupdateRestore?: { resetWorks: boolean; savedState: PciSavedState | null } } = {}): Promise<VfioOpen> {
  return dev.log.run('vfio_pci_core_enable', async () => {
    const notes: string[] = [];
    if (opts.liveupdateRestore) {
      // RFC patches 11-14: no BME clear, no reset, no save/store on a restored device; reset_works
      // and the saved state come from the serialized data.
      await enableDevice(dev);
      notes.push(`${profile.id} vfio_pci_core_enable (liveupdate_restore): reset, pci_save_state and pci_store_saved_state skipped; reset_works=${opts.liveupdateRestore.resetWorks} inherited`);
      return { resetWorks: opts.liveupdateRestore.resetWorks, savedState: opts.liveupdateRestore.savedState, notes };
    }
    await pciClearMaster(dev);
    await enableDevice(dev);
    const run = await pciTryResetFunction(profile, dev, fn);
    notes.push(...run.notes);
    const resetWorks = run.method !== null;
    notes.push(`${profile.id} vfio_pci_core_enable: reset_works=${resetWorks}`);
    await pciSaveState(profile, dev);
    return { resetWorks, savedState: pciStoreSavedState(dev.saved), notes };
  });
}

/**
 * vfio_pci_core_disable from step 5: load the open-time state; on failure without reset_works,
 * stop; on failure with reset_works, snapshot the current state; INTx off; reset; restore.
 */
export async function vfioPciCoreDisable(profile: KernelProfile, dev: PciDev, fn: PciFunction, open: VfioOpen, load?: () => Promise<{ ret: number; error?: string }>): Promise<string[]> {
  return dev.log.run('vfio_pci_core_disable', async () => {
    const notes: string[] = [];
    await pciClearMaster(dev);
    const res = load ? await load() : pciLoadSavedState(dev.saved, open.savedState);
    if (res.ret !== 0) {
      notes.push(`Couldn't reload saved state (${'error' in res && res.error ? res.error : res.ret})`);
      if (!open.resetWorks) { notes.push('reset_works=false: no reset and no restore (goto out)'); return notes; }
      await pciSaveState(profile, dev);
    }
    await dev.access.config.writew(PCI_COMMAND, PCI_COMMAND_INTX_DISABLE);
    if (open.resetWorks) resetLocked(fn, predictFor(fn, profile.id).lockedResetMethod, notes);
    await pciRestoreState(profile, dev);
    return notes;
  });
}
