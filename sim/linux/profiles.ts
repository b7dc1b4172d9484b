/** Look up a kernel profile by its command-line id. */
import { LinuxModelError } from './errors.js';
import { KERNEL_PROFILES, type KernelConfig, type KernelProfile } from './profile.js';

export const KERNEL_PROFILE_IDS: readonly string[] = KERNEL_PROFILES.map((p) => p.id);

export function kernelProfile(id: string, kconfig?: Partial<KernelConfig>): KernelProfile {
  const p = KERNEL_PROFILES.find((k) => k.id === id);
  if (!p) {
    throw new LinuxModelError('unknown-kernel-profile', `unknown kernel profile "${id}"; use one of: ${KERNEL_PROFILE_IDS.join(', ')}`, { id, known: KERNEL_PROFILE_IDS });
  }
  return kconfig ? { ...p, kconfig: { ...p.kconfig, ...kconfig } } : p;
}
