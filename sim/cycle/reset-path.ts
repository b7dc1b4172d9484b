/**
 * The reset path as the kernel runs it around a reset method, over the model (linux-pci.md 6.3):
 *   pci_reset_function / pci_try_reset_function:
 *     pci_dev_save_and_disable: pci_set_power_state(D0); pci_save_state; COMMAND = INTX_DISABLE
 *     __pci_reset_function_locked: the first method in reset_methods[] (applied with devices/reset/apply.ts)
 *     pci_dev_restore: pci_restore_state
 * and which method the kernel would pick (sim/reset-methods: pci_init_reset_methods on this device).
 */
import type { PciFunction } from '../../devices/device.js';
import { applyReset, type ResetKind, type ResetReport } from '../../devices/reset/apply.js';
import type { DumpDevice } from '../../devices/dump/types.js';
import { probeDeviceFromDump } from '../reset-methods/device.js';
import { kernelProfile as kernelResetProfile, type ResetMethodName } from '../reset-methods/kernels.js';
import { predictResetMethods, type ResetMethodsPrediction } from '../reset-methods/predict.js';
import { Topology } from '../topology.js';
import type { PciDev } from '../linux/dev.js';
import { pciFindCapability } from '../linux/find-cap.js';
import { pciRestoreState } from '../linux/restore.js';
import { pciSaveState } from '../linux/save.js';
import type { KernelProfile } from '../linux/profile.js';
import type { WriteLogEntry } from '../write-log/entry.js';
import {
  PCI_CAP_ID_PM, PCI_COMMAND, PCI_COMMAND_INTX_DISABLE, PCI_PM_CTRL, PCI_PM_CTRL_STATE_MASK,
} from '../../devices/pci-regs.js';

/** Which reset the device model applies for a Linux reset method. */
export function resetKindOf(method: ResetMethodName): ResetKind {
  switch (method) {
    case 'flr': case 'af_flr': case 'device_specific': case 'acpi': return 'flr';
    case 'pm': return 'pm';
    case 'bus': case 'cxl_bus': return 'bus';
  }
}

/** Predict kernel `id`'s reset methods for the function as it is now (its bytes, alone on its bus). */
export function predictFor(fn: PciFunction, id: string): ResetMethodsPrediction {
  const dump: DumpDevice = { bdf: fn.bdf, bytes: fn.space.snapshot() };
  return predictResetMethods(probeDeviceFromDump(new Topology([dump]), fn.bdf), kernelResetProfile(id));
}

export interface ResetRun {
  readonly method: ResetMethodName | null;
  /** The reset's field-by-field report (devices/reset/apply.ts), when a method ran. */
  readonly report?: ResetReport;
  readonly notes: string[];
  readonly log: readonly WriteLogEntry[];
}

/** pci_dev_save_and_disable (without the D0 transition when already in D0). */
export async function pciDevSaveAndDisable(profile: KernelProfile, dev: PciDev): Promise<void> {
  await dev.log.run('pci_dev_save_and_disable', async () => {
    const pm = await pciFindCapability(dev, PCI_CAP_ID_PM);
    if (pm) {
      const pmcsr = await dev.access.config.readw(pm + PCI_PM_CTRL);
      if ((pmcsr & PCI_PM_CTRL_STATE_MASK) !== 0) await dev.access.config.writew(pm + PCI_PM_CTRL, pmcsr & ~PCI_PM_CTRL_STATE_MASK & 0xffff); // pci_set_power_state(D0)
    }
    await pciSaveState(profile, dev);
    await dev.access.config.writew(PCI_COMMAND, PCI_COMMAND_INTX_DISABLE);
  });
}

/** __pci_reset_function_locked with the chosen method, applied to the model. */
export function resetLocked(fn: PciFunction, method: ResetMethodName | null, notes: string[]): ResetReport | undefined {
  if (!method) { notes.push('no reset method: -ENOTTY, nothing reset'); return undefined; }
  const report = applyReset(fn, resetKindOf(method));
  notes.push(`reset via ${method} (${report.personality ?? fn.profile.personality} behaviour): ${report.changedFields} fields changed`);
  return report;
}

/** pci_try_reset_function: save_and_disable, reset, restore; returns the method used (null: -ENOTTY). */
export async function pciTryResetFunction(profile: KernelProfile, dev: PciDev, fn: PciFunction): Promise<ResetRun> {
  const notes: string[] = [];
  const from = dev.log.writes.length;
  const prediction = predictFor(fn, profile.id);
  const method = prediction.resetFunctionMethod;
  if (!method) {
    notes.push(`pci_try_reset_function: -ENOTTY (${prediction.resetMethods.length ? `methods ${prediction.resetMethods.join(' ')} unusable` : 'no reset methods'})`);
    return { method: null, notes, log: [] };
  }
  await pciDevSaveAndDisable(profile, dev);
  const report = resetLocked(fn, method, notes);
  await dev.log.run('pci_dev_restore', () => pciRestoreState(profile, dev));
  return { method, ...(report ? { report } : {}), notes, log: dev.log.writes.slice(from) };
}
