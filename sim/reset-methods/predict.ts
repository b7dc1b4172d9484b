/** One device's reset-method prediction for one kernel profile: what `lusim reset-methods` prints. */
import { formatBdf } from '../../devices/dump/bdf.js';
import { atEnumeration, type ResetProbeDevice } from './device.js';
import type { KernelResetProfile, ResetMethodName } from './kernels.js';
import { withQuirkFlags } from './quirk-flags.js';
import { CANNOT_TELL, rcName } from './result.js';
import { pciInitResetMethods, pciResetFunctionLocked, pciTryResetFunction, vfioResetWorks, type MethodProbe } from './select.js';

export interface ResetMethodsPrediction {
  readonly bdf: string;
  readonly kernel: string;
  /** sysfs reset_method: the list in priority order, Linux spelling. */
  readonly resetMethods: readonly ResetMethodName[];
  /** The method pci_reset_function would use (after pci_dev_save_and_disable put it in D0), or null. */
  readonly resetFunctionMethod: ResetMethodName | null;
  /** __pci_reset_function_locked called directly with the device in its given power state. */
  readonly lockedResetMethod: ResetMethodName | null;
  readonly lockedResetRc: string;
  /** VFIO's vdev->reset_works. */
  readonly resetWorks: boolean;
  readonly probes: readonly MethodProbe[];
  readonly reasons: readonly string[];
  /**
   * Set when the dump lacks what a probe needs: resetMethods is then only the start of the list,
   * and resetFunctionMethod / resetWorks hold only if that start already decides them.
   */
  readonly cannotTell?: string;
}

export function predictResetMethods(given: ResetProbeDevice, k: KernelResetProfile): ResetMethodsPrediction {
  const quirked = withQuirkFlags(given, k);
  const dev = quirked.dev;
  const list = pciInitResetMethods(atEnumeration(dev), k);
  const tried = pciTryResetFunction(dev, list.methods, k);
  const locked = pciResetFunctionLocked(dev, list.methods, k);
  const vfio = vfioResetWorks(tried);
  const reasons = [
    ...quirked.reasons,
    ...list.probes.map((p) => `${p.method}: ${p.probed ? rcName(p.rc ?? 0) : 'not probed'}: ${p.reason}`),
    ...(dev.parentInDump ? [] : ['topology: the bridge above this bus is not in the dump; it is assumed to exist (non-root bus)']),
    tried.reason,
    ...(locked.rc !== tried.rc ? [`__pci_reset_function_locked in D${dev.currentState === 4 ? '3cold' : dev.currentState}: ${locked.method ?? 'none'} -> ${rcName(locked.rc)}`] : []),
    vfio.reason,
  ];
  const unknown = list.probes.find((p) => p.rc === CANNOT_TELL);
  // pci_try_reset_function tries the list in order: with nothing before the undecided probe the
  // dump cannot tell what it does, so neither its rc nor reset_works is a prediction.
  if (unknown && list.methods.length === 0) {
    reasons.splice(reasons.indexOf(tried.reason), 1, `pci_try_reset_function: cannot tell from this dump: the first method it could try is ${unknown.method}, which the dump cannot decide`);
    reasons.splice(reasons.indexOf(vfio.reason), 1, 'vfio_pci_core_enable: reset_works = !pci_try_reset_function(): cannot tell from this dump');
  }
  return {
    ...(unknown ? { cannotTell: `${unknown.method}: ${unknown.reason}` } : {}),
    bdf: formatBdf(dev.bdf), kernel: k.version, resetMethods: list.methods,
    resetFunctionMethod: tried.rc === 0 ? tried.method : null,
    lockedResetMethod: locked.method, lockedResetRc: rcName(locked.rc),
    resetWorks: vfio.resetWorks, probes: list.probes, reasons,
  };
}

/**
 * Whether the prediction decides what pci_reset_function uses and VFIO's reset_works: always for
 * a whole dump; for a partial one only when a method comes before the probe it cannot decide (the
 * first method tried is then known). resetMethods itself is only a start whenever cannotTell is set.
 */
export function decidesResetFunction(p: ResetMethodsPrediction): boolean {
  return p.cannotTell === undefined || p.resetMethods.length > 0;
}
