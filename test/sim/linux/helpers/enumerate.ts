/** Enumerate a synthetic function under a kernel profile: pci_setup_device + buffer allocation. */
import type { FunctionAccess } from '../../../../devices/access.js';
import { allocateSaveBuffers, type AllocateOptions } from '../../../../sim/linux/alloc.js';
import { newPciDev, type KernelDevState, type PciDev } from '../../../../sim/linux/dev.js';
import { pciSetupDevice } from '../../../../sim/linux/find-cap.js';
import type { KernelProfile } from '../../../../sim/linux/profile.js';

export interface EnumerateOptions extends AllocateOptions {
  readonly name?: string;
  readonly parent?: PciDev;
  readonly kernel?: Partial<KernelDevState>;
}

export async function enumerate(profile: KernelProfile, access: FunctionAccess, opts: EnumerateOptions = {}): Promise<PciDev> {
  const dev = newPciDev(access, { name: opts.name ?? 'dev', ...(opts.parent ? { parent: opts.parent } : {}), ...(opts.kernel ? { kernel: opts.kernel } : {}) });
  await pciSetupDevice(dev);
  await allocateSaveBuffers(profile, dev, opts);
  return dev;
}

/** Short names of saved_cap_space in hlist order, with sizes: "ERR:16". */
export function capList(dev: PciDev): string[] {
  const names: Record<string, string> = {
    'false:16': 'EXP', 'false:7': 'PCIX', 'true:1': 'ERR', 'true:2': 'VC', 'true:8': 'MFVC', 'true:9': 'VC9',
    'true:13': 'ACS', 'true:23': 'TPH', 'true:24': 'LTR', 'true:29': 'DPC', 'true:30': 'L1SS', 'true:31': 'PTM',
  };
  return dev.saved.savedCapSpace.map((b) => `${names[`${b.extended}:${b.capNr}`] ?? b.capNr}:${b.data.length}`);
}
