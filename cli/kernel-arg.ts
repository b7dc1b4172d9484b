/**
 * `--from/--to` on the model (and a suite's `kernels:`): a profile id, or the path of a kernel the
 * user built (kexec/user-kernel.ts). A path is modelled by the profile its version and config
 * choose (or `--profile-a/--profile-b`), with its own config's options applied to its side.
 */
import { readFileSync } from 'node:fs';
import { applyKconfig, parseKconfig, type AppliedKconfig } from '../sim/linux/kconfig.js';
import type { KernelProfileId } from '../sim/linux/profile.js';
import { KERNEL_PROFILE_IDS } from '../sim/linux/profiles.js';
import { isKernelPath, userKernel } from '../kexec/user-kernel.js';
import { CliError } from './input.js';

export interface ModelKernel {
  readonly id: KernelProfileId;
  /** A user's build: its release, why this profile, warnings, and its own config applied. */
  readonly build?: { readonly spec: string; readonly release: string; readonly why: string; readonly warnings: readonly string[]; readonly kconfig: AppliedKconfig & { readonly file: string } };
}

export function checkProfileId(id: string, what: string): KernelProfileId {
  if (!KERNEL_PROFILE_IDS.includes(id)) throw new CliError('bad-option', `unknown ${what} "${id}": use ${KERNEL_PROFILE_IDS.join(', ')}`, { value: id });
  return id as KernelProfileId;
}

/** `what` names the option in errors (`--from`); `profile` is --profile-a/--profile-b. */
export function modelKernel(spec: string, what: string, profile?: string): ModelKernel {
  const named = profile !== undefined ? checkProfileId(profile, `profile (${what === '--from' ? '--profile-a' : '--profile-b'})`) : undefined;
  if (!isKernelPath(spec)) {
    if (named) throw new CliError('bad-option', `${what === '--from' ? '--profile-a' : '--profile-b'} goes with a kernel path in ${what}; "${spec}" already names a profile`, { value: spec });
    return { id: checkProfileId(spec, `kernel (${what}): a profile id or a kernel image / build directory path,`) };
  }
  // The model never boots it: its modules do not matter here.
  const k = userKernel(spec, { ...(named ? { profile: named } : {}), modulesNeeded: false });
  const kconfig = { ...applyKconfig(parseKconfig(readFileSync(k.config, 'utf8'))), file: k.config };
  return { id: k.profile, build: { spec, release: k.release, why: k.build!.why, warnings: k.build!.warnings, kconfig } };
}
