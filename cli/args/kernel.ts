/**
 * `--from/--to` on the model (and a suite's `kernels:`): a profile id, or the path of a kernel the
 * user built (kexec/kernels/user-kernel.ts). A path is modelled by the profile its version and config
 * choose (or `--profile-a/--profile-b`), with its own config's options applied to its side.
 */
import { readFileSync } from 'node:fs';
import { applyKconfig, parseKconfig, type AppliedKconfig } from '../../sim/linux/kconfig.js';
import type { KernelProfileId } from '../../sim/linux/profile.js';
import { KERNEL_PROFILE_IDS } from '../../sim/linux/profiles.js';
import { isKernelPath, userKernel } from '../../kexec/kernels/user-kernel.js';
import { debianPackageVersion, upstreamOf } from '../../kexec/kernels/kernels.js';
import type { CaptureFacts } from '../../devices/dump/types.js';
import { parseKernelVersion, profileForKernel, type ProfileChoice } from '../../sim/linux/profile-for-kernel.js';
import { CliError } from '../errors.js';

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

/**
 * The profile of the kernel a capture was taken on, mapped as a user's own kernel is
 * (sim/linux/profile-for-kernel.ts: its own profile, the stable-series boundaries, else the
 * nearest, with a warning); undefined when the capture names no release. `option` is how the
 * caller's user names another kernel. Debian's release name (6.1.0-N) hides the upstream version,
 * which its `uname -v` names: without that, a warning says the name was all there was.
 */
export function profileOfCapture(capture: CaptureFacts | undefined, option: string): (ProfileChoice & { readonly release: string; readonly warnings: readonly string[] }) | undefined {
  const release = capture?.kernelRelease;
  if (!release || !parseKernelVersion(release)) return undefined;
  const debian = capture?.kernelVersion ? debianPackageVersion(capture.kernelVersion) : undefined;
  const choice = profileForKernel(debian ? upstreamOf(debian) : release, new Map(), option);
  const hidden = !debian && /^\d+\.\d+\.0-\d+-/.test(release)
    ? [`${release} is a Debian-style release name, which hides the upstream version, and the capture has no kernel version (uname -v) to say it: judged as ${release.replace(/-.*$/, '')}; recapture with this lusim or name ${option}`] : [];
  return { ...choice, why: debian ? `Debian ${debian}: ${choice.why}` : choice.why, release, warnings: [...hidden, ...(choice.warning ? [choice.warning] : [])] };
}
