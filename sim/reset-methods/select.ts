/**
 * Method selection and use (linux-pci.md 6.2, 6.3, 7.1):
 *  - pci_init_reset_methods: probe each method in table order; 0 -> append, -ENOTTY -> skip, any
 *    other error -> stop probing;
 *  - __pci_reset_function_locked: walk reset_methods[]; 0 -> done, -ENOTTY -> next, any other
 *    error -> return it; end of list -> -ENOTTY;
 *  - pci_reset_function / pci_try_reset_function: -ENOTTY if the list is empty
 *    (pci_reset_supported), else pci_dev_save_and_disable (which first puts the device in D0),
 *    __pci_reset_function_locked, pci_dev_restore;
 *  - VFIO (vfio_pci_core.c vfio_pci_core_enable, 6.1/6.12/7.1): reset_works = !pci_try_reset_function().
 */
import type { ResetProbeDevice } from './device.js';
import type { KernelResetProfile, ResetMethodName } from './kernels.js';
import { runMethod } from './probes.js';
import { CANNOT_TELL, ENOTTY, rcName, type ResetRc } from './result.js';

export interface MethodProbe {
  readonly method: ResetMethodName;
  /** False when an earlier probe's non-ENOTTY error stopped probing. */
  readonly probed: boolean;
  readonly rc?: ResetRc;
  readonly reason: string;
}

export interface MethodList {
  readonly methods: readonly ResetMethodName[];
  readonly probes: readonly MethodProbe[];
}

export function pciInitResetMethods(dev: ResetProbeDevice, k: KernelResetProfile): MethodList {
  const methods: ResetMethodName[] = [];
  const probes: MethodProbe[] = [];
  let stopped: { method: ResetMethodName; rc: ResetRc } | undefined;
  for (const m of k.methods) {
    if (stopped) {
      probes.push({ method: m, probed: false, reason: stopped.rc === CANNOT_TELL ? `not decided: whether Linux probes it depends on ${stopped.method}, which this dump cannot tell` : `pci_init_reset_methods: not probed, ${stopped.method} returned an error other than -ENOTTY` });
      continue;
    }
    const r = runMethod(m, dev, 'probe', k);
    probes.push({ method: m, probed: true, rc: r.rc, reason: r.reason });
    if (r.rc === 0) methods.push(m);
    else if (r.rc !== ENOTTY) stopped = { method: m, rc: r.rc };
  }
  return { methods, probes };
}

export interface LockedResult {
  readonly rc: ResetRc;
  /** The method that returned 0, or that stopped the chain with an error. */
  readonly method: ResetMethodName | null;
  readonly steps: readonly { readonly method: ResetMethodName; readonly rc: ResetRc; readonly reason: string }[];
}

export function pciResetFunctionLocked(dev: ResetProbeDevice, list: readonly ResetMethodName[], k: KernelResetProfile): LockedResult {
  const steps: { method: ResetMethodName; rc: ResetRc; reason: string }[] = [];
  for (const m of list) {
    const r = runMethod(m, dev, 'reset', k);
    steps.push({ method: m, rc: r.rc, reason: r.reason });
    if (r.rc !== ENOTTY) return { rc: r.rc, method: m, steps };
  }
  return { rc: ENOTTY, method: null, steps };
}

export interface ResetFunctionResult extends LockedResult {
  readonly reason: string;
}

/** pci_try_reset_function (same method walk as pci_reset_function, without the bridge lock). */
export function pciTryResetFunction(dev: ResetProbeDevice, list: readonly ResetMethodName[], k: KernelResetProfile): ResetFunctionResult {
  if (list.length === 0) return { rc: ENOTTY, method: null, steps: [], reason: 'pci_try_reset_function: no reset methods (pci_reset_supported is false) -> -ENOTTY' };
  // pci_dev_save_and_disable puts the device in D0 before the walk, so pm's D0 check passes.
  const inD0: ResetProbeDevice = { ...dev, currentState: 0 };
  const r = pciResetFunctionLocked(inD0, list, k);
  const how = r.rc === 0 ? `reset via ${r.method}` : r.method ? `${r.method} returned ${rcName(r.rc)}` : 'every method returned -ENOTTY';
  return { ...r, reason: `pci_try_reset_function: pci_dev_save_and_disable (D0, save, COMMAND=INTX_DISABLE), then ${how}, then pci_dev_restore` };
}

export interface VfioResetWorks {
  readonly resetWorks: boolean;
  readonly reason: string;
}

export function vfioResetWorks(tryResult: ResetFunctionResult): VfioResetWorks {
  return {
    resetWorks: tryResult.rc === 0,
    reason: `vfio_pci_core_enable: reset_works = !pci_try_reset_function() = ${tryResult.rc === 0 ? 'true' : 'false'} (returned ${rcName(tryResult.rc)})`,
  };
}
