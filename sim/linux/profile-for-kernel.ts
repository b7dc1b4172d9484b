/**
 * The model profile for a kernel the user built: from its version (`uname -r`, the upstream part)
 * and its config. A version with a profile of its own maps to it; one without maps to the nearest
 * profile in release order, with a warning saying so.
 *
 * Release order: 6.0 ... 6.19, then 7.0 (Linux went from 6.19 to 7.0), so a release's position is
 * its major * 20 + minor. The verified boundaries inside a series (linux-pci.md section 0):
 *  - 6.1: v6.1 itself saves L1SS (4ff116d0d5fd); the revert a7152be79b62 (v6.2-rc8) reached 6.1.y
 *    by 6.1.15 (TeddyNight/linux-6.1 lacks it). 6.1.1-6.1.14 are not verified either way: they get
 *    6.1.y with a warning;
 *  - 6.12: stable 6.12.70 backported a2f1e22390ac, so 6.12.70+ is 6.12.y.
 * CONFIG_PCI_LIVEUPDATE (kernel/liveupdate + drivers/pci/liveupdate.c of the PCI core series, not
 * in any release: upstream-2026.md) means the series is applied: the lu-pci profile.
 */
import type { KconfigValue } from './kconfig.js';
import type { KernelProfileId } from './profile.js';

export interface ProfileChoice {
  readonly id: KernelProfileId;
  /** Why this profile, in one line. */
  readonly why: string;
  /** Set when the version has no profile of its own (or the boundary is unverified). */
  readonly warning?: string;
}

/** Profiles with a release of their own, by position in release order. */
const RELEASES: readonly { readonly id: KernelProfileId; readonly major: number; readonly minor: number }[] = [
  { id: '6.1.y', major: 6, minor: 1 },
  { id: '6.12.y', major: 6, minor: 12 },
  { id: '6.19', major: 6, minor: 19 },
  { id: '7.1', major: 7, minor: 1 },
  { id: '7.2', major: 7, minor: 2 },
  { id: '7.3', major: 7, minor: 3 },
];

const position = (major: number, minor: number): number => major * 20 + minor;

/** `6.12.117+deb12-cloud-amd64` -> [6, 12, 117]; `7.3.0-rc2-dirty` -> [7, 3, 0]; undefined when not a version. */
export function parseKernelVersion(release: string): readonly [number, number, number] | undefined {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? '0')] : undefined;
}

function withinSeries(major: number, minor: number, patch: number, option: string): ProfileChoice | undefined {
  const v = `${major}.${minor}.${patch}`;
  if (major === 6 && minor === 1) {
    if (patch === 0) return { id: '6.1', why: `${v} is v6.1 as released (L1SS saved, 4ff116d0d5fd)` };
    if (patch >= 15) return { id: '6.1.y', why: `${v} carries the L1SS revert a7152be79b62 (present in 6.1.15)` };
    return { id: '6.1.y', why: `${v}: 6.1.y`, warning: `kernel ${v}: whether 6.1.${patch} already has the L1SS revert a7152be79b62 is not verified (it is in 6.1.15); using 6.1.y, name 6.1 with ${option} if it saves L1SS` };
  }
  if (major === 6 && minor === 12) return patch >= 70 ? { id: '6.12.y', why: `${v} has the a2f1e22390ac backport (6.12.70+)` } : { id: '6.12', why: `${v} predates the a2f1e22390ac backport (6.12.70)` };
  const own = RELEASES.find((r) => r.major === major && r.minor === minor);
  return own ? { id: own.id, why: `${v} is ${own.id}` } : undefined;
}

/** `option` is how the caller's user names a profile instead, for the warnings. */
export function profileForKernel(release: string, config: ReadonlyMap<string, KconfigValue>, option = '--profile-a/--profile-b'): ProfileChoice {
  const v = parseKernelVersion(release);
  if (config.get('PCI_LIVEUPDATE') === 'y') return { id: 'lu-pci', why: `CONFIG_PCI_LIVEUPDATE=y: the PCI core Live Update series is applied` };
  if (!v) return { id: '7.3', why: 'no version', warning: `kernel release "${release}" has no version number; using the newest profile, 7.3 (name one with ${option})` };
  const [major, minor, patch] = v;
  const exact = withinSeries(major, minor, patch, option);
  if (exact) return exact;
  const at = position(major, minor);
  // Nearest in release order; a tie goes to the older profile (the newer one's changes are not known to be in).
  const nearest = [...RELEASES].sort((a, b) => Math.abs(position(a.major, a.minor) - at) - Math.abs(position(b.major, b.minor) - at) || position(a.major, a.minor) - position(b.major, b.minor))[0]!;
  return { id: nearest.id, why: `nearest profile to ${major}.${minor}`, warning: `kernel ${major}.${minor}.${patch} has no profile of its own; using the nearest, ${nearest.id} (name one with ${option})` };
}
