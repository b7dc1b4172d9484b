/**
 * What the model says kernel A's own boot makes of the state the firmware left: the first point
 * of `lusim fidelity` (the state after boot A). The kernel enumerates the function as it does
 * after a kexec (probe.c pci_setup_device, pci_configure_device, pci_init_capabilities:
 * sim/kexec-sim kernelEnumerate, and kernelScanBridge on a bridge; no previous kernel, so no shutdown), then its driver binds
 * (sim/predict/driver-bind.ts). The firmware's state is captured at the kernel's entry
 * (kexec/qemu/firmware-state.ts).
 */
import { kernelEnumerate, kernelScanBridge, type BelowBridge, type PlatformOptions } from '../kexec-sim/index.js';
import { predictionAfterBinding, type DriverBinding } from './driver-bind.js';
import type { KexecPrediction, ModelledFunction } from './post-kexec.js';

/** The function's surroundings the boot reads: the first function below a bridge, as firmware left it, and what is above. */
export interface BootSurroundings {
  readonly below?: BelowBridge;
  readonly platform?: Partial<PlatformOptions>;
}

/**
 * Kernel A's boot: its enumeration (on a bridge, its bus scan, reading `around.below`), then the
 * driver `o` names binding (o.kernel is kernel A).
 */
export async function predictAfterBoot(m: ModelledFunction, o: DriverBinding, around: BootSurroundings = {}): Promise<KexecPrediction> {
  const log = await kernelEnumerate(m.access, o.kernel, around.platform);
  await kernelScanBridge(m.access, o.kernel, around.below, log);
  return predictionAfterBinding(m, log, o, { shutdown: 0, enumeration: log.writes.length });
}
