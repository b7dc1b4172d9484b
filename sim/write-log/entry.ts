/**
 * The one shape of a config (or BAR) write, whoever reports it: the model's kernel steps record
 * it through write-log.ts, and QEMU's `pci_cfg_write` trace event reports the same facts about
 * the real kernels (hw/pci/pci_host.c pci_host_config_write_common: device model name,
 * bus:slot.fn, offset, value; no width and no kernel function). So a timeline from either side
 * is a list of these, and compare.ts aligns the two.
 */
import type { Width } from '../../devices/access.js';

export type WriteSpace = 'config' | 'bar';

export interface WriteRecord {
  /** The kernel function that made the write (innermost modelled step); null when the source cannot say (QEMU's trace). */
  readonly fn: string | null;
  /** The function written: 'dev' / 'parent' in a modelled cycle, bus:slot.fn ("00:04.0") in a real trace. */
  readonly device: string;
  readonly space: WriteSpace;
  /** BAR index for space === 'bar' (the MSI-X table). */
  readonly bar?: number;
  readonly offset: number;
  /** Access size in bytes; null when the source does not say (pci_cfg_write prints none). */
  readonly width: Width | null;
  /** The value written (masked to the width), before the device's read-only bits apply. */
  readonly value: number;
}

/** What the model records: it always knows the function and the width. */
export interface WriteLogEntry extends WriteRecord {
  readonly fn: string;
  readonly width: Width;
  /** What the register held right after the write, when the step read it back (kexec-sim steps do). */
  readonly readback?: number;
  /** Why the step wrote (kexec-sim steps say). */
  readonly why?: string;
}

/**
 * The phases a real cycle can tell apart (issue 8). The guest marks its own boundaries in QEMU's
 * trace (kexec/qemu/write-trace.ts guest markers); the host marks the steps it drives:
 *   firmware    SeaBIOS, up to its last fw_cfg select
 *   boot A      kernel A's enumeration and its built-in drivers' probes (no event separates them:
 *               built-in drivers bind at device_initcall, before userspace can mark anything)
 *   drivers A   the driver modules /init loads, and the drivers' work until the save
 *   save A      kernel A's pci_save_state and the handover write
 *   shutdown A  from the agent's kexec to kernel B's first config write: A's shutdown and the kexec
 *   boot B      kernel B's enumeration and built-in drivers, from its first write (the host bridge)
 *   drivers B   B's driver modules and the drivers' work until the unbind
 *   unbind B, restore B  the host's steps in kernel B
 */
export const WRITE_PHASES = ['firmware', 'boot A', 'drivers A', 'save A', 'shutdown A', 'boot B', 'drivers B', 'unbind B', 'restore B'] as const;
export type WritePhase = (typeof WRITE_PHASES)[number];

/** A write placed in its phase: what compareWriteLogs aligns. */
export interface PhasedWrite extends WriteRecord {
  readonly phase: WritePhase;
}

/** Place writes recorded in one phase (e.g. a kexec-sim prediction of B's unbind). */
export const inPhase = (phase: WritePhase, writes: readonly WriteRecord[]): PhasedWrite[] => writes.map((w) => ({ ...w, phase }));
