/**
 * What the model says kernel A's own boot makes of the state the firmware left: the first point
 * of `lusim fidelity` (the state after boot A). The kernel enumerates the function as it does
 * after a kexec (probe.c pci_setup_device, pci_configure_device, pci_init_capabilities:
 * sim/kexec-sim kernelEnumerate; no previous kernel, so no shutdown), then its driver binds
 * (sim/predict/driver-bind.ts). The firmware's state is captured at the kernel's entry
 * (kexec/firmware-state.ts).
 */
import type { KernelProfileId } from '../linux/profile.js';
import { kernelEnumerate } from '../kexec-sim/index.js';
import { bindDriver, configWrites } from './driver-bind.js';
import type { KexecPrediction, ModelledFunction } from './post-kexec.js';

export interface BootOptions {
  readonly kernel: KernelProfileId;
  /** The driver the kernel bound (sysfs name), or null. */
  readonly driver: string | null;
  readonly enabledBelow?: boolean;
  readonly virtioClassDriver?: boolean;
}

export async function predictAfterBoot(m: ModelledFunction, o: BootOptions): Promise<KexecPrediction> {
  const log = await kernelEnumerate(m.access, o.kernel);
  const bound = await bindDriver(m.access, { kernel: o.kernel, driver: o.driver, ...(o.enabledBelow ? { enabledBelow: true } : {}), ...(o.virtioClassDriver !== undefined ? { virtioClassDriver: o.virtioClassDriver } : {}) });
  const attributed = [...configWrites(log), ...bound.attributed];
  return {
    config: m.fn.space.snapshot(), msixTable: m.msix?.table.snapshot(), writes: [...log.writes, ...bound.writes], attributed,
    steps: attributed.map((w) => `${w.step}@0x${w.offset.toString(16)}`), notes: [...log.notes.map((n) => `${n.step}: ${n.why}`), ...bound.notes], split: { shutdown: 0, enumeration: log.writes.length },
  };
}
