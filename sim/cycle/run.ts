/**
 * `lusim cycle`: save -> serialize -> kexec -> deserialize -> restore on a modelled device, then a
 * field-by-field account of what came back wrong and why (issue 4, "The cycle").
 *
 * Flows:
 *   plain      kernel A's pci_save_state on the operational device; the state crosses the kexec in
 *              the chosen format; kernel B loads it and runs pci_restore_state (preserved device).
 *   rfc-2025   VFIO Live Update RFC (Oct 2025): A's vfio open-time pci_saved_state is carried; B's
 *              vfio_pci_core_enable skips reset/save and uses it; B's close (vfio_pci_core_disable)
 *              loads it, resets if reset_works, restores.
 *   lu-series  The later series: A's freeze loads the open-time state, resets and restores in the old
 *              kernel; nothing is carried; B inherits reset_works and saves what it finds.
 *   vfio-lu    The VFIO series v5: A's freeze() refuses with interrupts still enabled or outside D0,
 *              else loads the open-time state, clears bus master, resets only when reset_works and
 *              restores (sim/cycle/vfio-lu.ts); only the device's identity crosses; B saves what
 *              it finds and decides reset_works itself (v5 carries none).
 *   vfio       No Live Update: VFIO owns the device in A, the device is not preserved, B re-opens and
 *              closes it (vfio_pci_core_enable/_disable) with its own reset_works.
 * For the VFIO flows the reference state is the device as A's vfio open left it (what its saved
 * state describes); for plain it is the operational state.
 *
 * With `parent`, the device's upstream port is modelled too (sim/cycle/upstream.ts): each kernel
 * enumerates it before the device, kernel B's restore of the device writes it (L1SS, LTR), its
 * Secondary Bus Reset resets the device (devices/reset/hooks.ts connectSecondaryBus), and its
 * fields are judged with the device's. Without it the device is modelled alone.
 */
import type { FunctionAccess, Width } from '../../devices/access.js';
import type { PciFunction } from '../../devices/device.js';
import type { ResetKind } from '../../devices/reset/apply.js';
import type { KernelConfig } from '../linux/profile.js';
import type { ShutdownDriver } from '../kexec-sim/index.js';
import type { SaveFormat } from './carry.js';
import type { CycleFunction, FieldOutcome, Verdict } from './verdict.js';
import type { FreezeConditions, FreezeGate } from './vfio-lu.js';
import { startCycle } from './start.js';
import { finishCycle, kernelB } from './finish.js';

export type Flow = 'plain' | 'rfc-2025' | 'lu-series' | 'vfio-lu' | 'vfio';
export const FLOWS: readonly Flow[] = ['plain', 'rfc-2025', 'lu-series', 'vfio-lu', 'vfio'];

export interface CycleOptions {
  readonly from: string;
  readonly to: string;
  readonly format: SaveFormat;
  readonly flow: Flow;
  /** Layout drift applied to kernel B (sim/linux/drift.ts syntax). */
  readonly drift?: string;
  /** A reset during the kexec window (platform reset between the kernels). */
  readonly reset?: ResetKind;
  /** The device is preserved (bus master kept at shutdown). Default: true except for the vfio flow. */
  readonly preserved?: boolean;
  /** The driver bound in kernel A whose ->shutdown runs. Default: none for a preserved device, else chosen from the vendor:device. */
  readonly driver?: ShutdownDriver;
  readonly barSizes?: readonly (number | undefined)[];
  /**
   * How the device reaches its operational state before kernel A saves (plain flow):
   *   'driver'     firmware, kernel A's enumeration, then a driver configures it (default);
   *   'enumerated' firmware and kernel A's enumeration only: no driver binds (Debian's cloud
   *                kernels have no e1000e driver);
   *   'as-found'   the dump already is the operational state (captured from a running system).
   */
  readonly operational?: 'driver' | 'enumerated' | 'as-found';
  /** Extra configuration after the driver's (plain flow) or the guest's (VFIO flows), before the save. */
  readonly operate?: (access: FunctionAccess) => Promise<void>;
  /** The upstream port (dev->bus->self), modelled with the device; undefined: the device alone. */
  readonly parent?: PciFunction;
  /** An SR-IOV PF precedes the device on its bus (kernel B's sriov_init sets no ARI: sim/linux/iov.ts). */
  readonly physfnBefore?: boolean;
  /** Extra configuration of the upstream port, with `operate`. */
  readonly operateParent?: (access: FunctionAccess) => Promise<void>;
  /**
   * How the state crosses the kexec: 'memmap' (default) a reserved range, as lusim's real run does
   * with Debian kernels (no compatible strings; for vfio-lu the series is taken as applied to both
   * kernels); 'luo' through LUO (a memfd in a session, or the vfio-pci file and the pci FLB for
   * vfio-lu), refused as kernel B refuses strings it does not speak (sim/linux/handover-abi.ts).
   */
  readonly handover?: 'memmap' | 'luo';
  /** Kconfig of both kernels (sim/linux/kconfig.ts applyKconfig), replacing Debian's. */
  readonly kconfig?: Partial<KernelConfig>;
  /** Kconfig of kernel A / B alone (a user's build: its own .config), in place of `kconfig` for that side. */
  readonly kconfigFrom?: Partial<KernelConfig>;
  readonly kconfigTo?: Partial<KernelConfig>;
  /** vfio-lu: what userspace left behind at the kexec (interrupts still on, D3hot). */
  readonly freeze?: FreezeConditions;
  /**
   * Whether the platform has an IOMMU (default false), one assumption for both kernels and every
   * step: pci_request_acs sets pci_acs_enable, which pci_enable_acs / pci_std_enable_acs read at
   * enumeration and pci_restore_acs_state at restore.
   */
  readonly iommu?: boolean;
}

/**
 * One write of the cycle, in order. Phases: 'enumerate A' (the port's firmware and enumeration,
 * the device's pci_device_add), 'operate' (firmware, kernel A's enumeration and driver or VFIO
 * and its guest), 'save A', 'kexec' (kernel A's shutdown and a reset during the kexec),
 * 'enumerate B' (kernel B's enumeration), 'restore B'. sim/cycle/write-phases.ts groups them into
 * the phases a real run can tell apart.
 */
export interface TimelineEntry {
  readonly phase: 'enumerate A' | 'operate' | 'save A' | 'kexec' | 'enumerate B' | 'restore B';
  readonly target: CycleFunction;
  readonly step: string;
  readonly offset: number;
  readonly width: Width;
  readonly value: number;
  readonly space: 'config' | 'bar';
  /** BAR index of a space === 'bar' write. */
  readonly bar?: number;
}

export interface CycleResult {
  readonly bdf: string;
  readonly profile: string;
  /** The modelled upstream port, if any. */
  readonly parent?: { readonly bdf: string; readonly profile: string };
  readonly options: Required<Pick<CycleOptions, 'from' | 'to' | 'format' | 'flow'>> & { drift?: string; reset?: ResetKind; preserved: boolean; driver: ShutdownDriver };
  readonly kernels: { readonly from: string; readonly to: string };
  readonly reference: 'operational' | 'vfio-open';
  readonly carried: { readonly format: SaveFormat | 'none'; readonly bytes: number | null };
  readonly load: { readonly ret: number; readonly error?: string };
  readonly resetWorks?: { readonly old: boolean; readonly new: boolean };
  /** --handover luo: the strings kernel A wrote and kernel B's verdict on them. */
  readonly handover?: { readonly route: 'luo'; readonly written: readonly string[]; readonly ok: boolean };
  /** vfio-lu: each check of kernel A's freeze(), in order. */
  readonly freeze?: readonly FreezeGate[];
  readonly fields: readonly FieldOutcome[];
  readonly counts: Record<Verdict, number>;
  readonly notes: readonly string[];
  readonly timeline: readonly TimelineEntry[];
}

/**
 * One cycle: kernel A's side (sim/cycle/start.ts), then kernel B's (sim/cycle/finish.ts). Kernel B
 * is resolved first, so a bad kernel name or drift is refused before any step runs.
 */
export async function runCycle(fn: PciFunction, opts: CycleOptions): Promise<CycleResult> {
  const B = kernelB(opts);
  return finishCycle(await startCycle(fn, { ...opts, formats: [opts.format] }), opts, B);
}
