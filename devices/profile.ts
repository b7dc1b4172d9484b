/**
 * A device profile says how a function's implementation departs from the spec, explicitly:
 * attribute overrides (QEMU 7.2's e1000e and nvme have a read-only Device Control; its AER
 * uncorrectable mask is read-only 0: qemu.md section 2.1), what unclaimed bytes do (QEMU leaves
 * every byte from 0x40 up that no capability claims as RW scratch: pci.c pci_init_wmask), BAR
 * sizes, and which reset behaviour applies ('spec', or the implementation's where it differs).
 * The spec behaviour is the default; a real-hardware dump gets SPEC_PROFILE.
 */
import type { UnclaimedPolicy } from './compile.js';
import type { WriteHook } from './config-space.js';
import type { AttributeOverride } from './registers.js';
import type { WalkResult } from './walker.js';

export type ResetPersonality = 'spec' | 'qemu-7.2';

/** The QEMU 7.2 device reset handlers devices/reset/qemu.ts models (QEMU_72_RESET_HANDLERS). */
export type QemuResetHandlerKey = 'pcie-root-port' | 'ioh3420' | 'x3130-upstream' | 'xio3130-downstream' | 'virtio-pci';

export interface DeviceProfile {
  readonly name: string;
  readonly description: string;
  readonly personality: ResetPersonality;
  readonly overrides: readonly AttributeOverride[];
  readonly unclaimed: UnclaimedPolicy;
  /** BAR sizes in bytes by BAR index (undefined: unknown, all address bits writable). */
  readonly barSizes?: readonly (number | undefined)[];
  /**
   * The implementation's own reset handler (QEMU's dc->reset), applied besides the generic
   * reset under the 'qemu-7.2' personality. None: the handler touches no config register.
   */
  readonly resetHandler?: QemuResetHandlerKey;
  /**
   * Write side effects beyond the masked store (QEMU's config_write steps), installed on the
   * function's ConfigSpace by buildFunction; given the capabilities found and the space size.
   */
  readonly writeHooks?: (walk: WalkResult, size: number) => readonly WriteHook[];
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
