/**
 * `--qemu-device ARGS` (repeatable) and `--topology FILE|NAME`: the QEMU topology of a real run
 * (kexec/topology/qemu-device.ts validates every string). Shared by `cycle --qemu`, `reset-methods` and
 * `fidelity`.
 */
import type { Command } from 'commander';
import { REAL_DEVICE_NAMES } from '../../kexec/topology/real-devices.js';
import type { QemuTopology } from '../../kexec/topology/qemu-device.js';
import { builtinTopologyNames, topologyFromOptions } from '../../kexec/topology/topologies.js';

export interface TopologyCliOptions {
  qemuDevice?: string[];
  topology?: string;
}

const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

export function registerTopologyOptions(cmd: Command): Command {
  return cmd
    .option('--qemu-device <args>', `a QEMU -device string (repeatable), e.g. "pcie-root-port,id=rp1" "nvme,serial=a,bus=rp1"; add guest-driver=auto|none|MODULE to choose the guest's driver; backends (null drive, restricted user net) are added for you; a built-in name (${REAL_DEVICE_NAMES.join(', ')}) is that device behind its own root port`, collect)
    .option('--topology <file|name>', `the same as --qemu-device, one -device string per line (# comments), or a built-in topology (${builtinTopologyNames().join(', ')})`);
}

export function topologyOf(o: TopologyCliOptions): QemuTopology | undefined {
  return topologyFromOptions(o);
}

/** Text for the report: the accelerator QEMU ran and why lusim asked for it. */
export function renderAccelerator(a: { readonly name: string; readonly why: string }): string {
  return `${a.name.toUpperCase()}: ${a.why}`;
}

/** Text for the report: which driver each function got in each kernel. */
export function renderDrivers(drivers: readonly { release: string; bound: readonly { id: string; bdf: string; driver: string | null }[]; unbound: readonly string[] }[]): string[] {
  return drivers.map((k) => `  drivers in ${k.release}: ${k.bound.map((b) => `${b.id} ${b.bdf} ${b.driver ?? '-'}`).join('; ')}${k.unbound.length ? ` (unbound for guest-driver=none: ${k.unbound.join(', ')})` : ''}`);
}
