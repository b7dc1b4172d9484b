/**
 * Profile selection. `spec` is the default for any dump; `auto` picks a known implementation's
 * profile by vendor:device (QEMU 7.2 devices: devices/profiles/qemu-7.2.ts) and falls back to spec.
 */
import { DeviceError } from '../errors.js';
import type { DumpDevice } from '../dump/types.js';
import { SPEC_PROFILE, type DeviceProfile } from '../profile.js';
import { QEMU_72_PROFILES, withQemuProperties } from './qemu-7.2.js';

export const PROFILES: readonly DeviceProfile[] = [SPEC_PROFILE, ...QEMU_72_PROFILES.map((p) => p.profile)];

/**
 * `qemuProps`: the -device properties the function was started with, when known (a real run's
 * topology): some change which bits are writable without changing the layout the dump shows.
 */
export function profileForDump(dump: DumpDevice, name: string, qemuProps?: Readonly<Record<string, string>>): DeviceProfile {
  if (name === 'spec') return SPEC_PROFILE;
  if (name === 'auto') {
    const b = dump.bytes;
    const vendor = b[0] | (b[1] << 8);
    const device = b[2] | (b[3] << 8);
    const known = QEMU_72_PROFILES.find((p) => p.vendor === vendor && p.device === device);
    if (!known) return SPEC_PROFILE;
    return qemuProps ? withQemuProperties(known, qemuProps) : known.profile;
  }
  const named = PROFILES.find((p) => p.name === name);
  if (!named) throw new DeviceError('bad-profile', `unknown profile "${name}": use auto or one of ${PROFILES.map((p) => p.name).join(', ')}`, { name });
  return named;
}
