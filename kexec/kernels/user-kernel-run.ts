/**
 * The real run's side of a user's builds (kexec/kernels/user-kernel.ts): the per-side options that go with
 * `--from PATH` / `--to PATH`, and what the report says about each kernel.
 */
import type { KconfigUse } from '../../sim/linux/kconfig.js';
import type { KernelProfileId } from '../../sim/linux/profile.js';
import type { KernelImage } from './kernels.js';
import type { RealKernel } from '../run/real-cycle-report.js';
import type { KernelRequest } from '../run/real-session.js';

export interface UserKernelSides {
  /** Modules of kernel A / B: `make modules_install INSTALL_MOD_PATH=DIR`'s DIR. */
  readonly modulesA?: string;
  readonly modulesB?: string;
  /** The model profile of kernel A / B instead of the one from its version and config. */
  readonly profileA?: KernelProfileId;
  readonly profileB?: KernelProfileId;
}

export function kernelRequests(from: string, to: string, u: UserKernelSides = {}): KernelRequest[] {
  const side = (spec: string, modules?: string, profile?: KernelProfileId): KernelRequest => ({ spec, ...(modules ? { modules } : {}), ...(profile ? { profile } : {}) });
  return [side(from, u.modulesA, u.profileA), side(to, u.modulesB, u.profileB)];
}

export function realKernel(k: KernelImage, kconfig: readonly KconfigUse[]): RealKernel {
  return { release: k.release, profile: k.profile, kconfig, ...(k.build ? { build: { spec: k.build.spec, why: k.build.why, warnings: k.build.warnings } } : {}) };
}
