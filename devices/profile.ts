/**
 * A device profile says how a function's implementation departs from the spec, explicitly:
 * attribute overrides (QEMU 7.2's e1000e and nvme have a read-only Device Control; its AER
 * uncorrectable mask is read-only 0: qemu.md section 2.1), what unclaimed bytes do (QEMU leaves
 * every byte from 0x40 up that no capability claims as RW scratch: pci.c pci_init_wmask), BAR
 * sizes, and which reset behaviour applies ('spec', or the implementation's where it differs).
 * The spec behaviour is the default; a real-hardware dump gets SPEC_PROFILE.
 */
import type { UnclaimedPolicy } from './compile.js';
import type { AttributeOverride } from './registers.js';

export type ResetPersonality = 'spec' | 'qemu-7.2';

export interface DeviceProfile {
  readonly name: string;
  readonly description: string;
  readonly personality: ResetPersonality;
  readonly overrides: readonly AttributeOverride[];
  readonly unclaimed: UnclaimedPolicy;
  /** BAR sizes in bytes by BAR index (undefined: unknown, all address bits writable). */
  readonly barSizes?: readonly (number | undefined)[];
  /** Where the profile's facts come from. */
  readonly source: string;
}

export const SPEC_PROFILE: DeviceProfile = {
  name: 'spec',
  description: 'PCI/PCIe specification behaviour (default for real-hardware dumps)',
  personality: 'spec',
  overrides: [],
  unclaimed: { kind: 'readonly' },
  source: 'PCI Local Bus r3.0, PCI-PCI Bridge r1.2, PCIe Base r6.0',
};
