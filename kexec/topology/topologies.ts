/**
 * The built-in topologies (fixtures/topologies/*.txt: switch, PCIe-to-PCI bridge, multifunction,
 * RCiEP, MSI-only with ioh3420, no-driver devices, virtio) and the `--topology` argument, which
 * names one of them or a file of -device lines.
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { QemuDeviceError, parseTopology, readTopologyFile, type QemuTopology } from './qemu-device.js';

export const TOPOLOGY_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'topologies');

export interface NamedTopology {
  readonly name: string;
  readonly topology: QemuTopology;
}

export function builtinTopologyNames(): string[] {
  return readdirSync(TOPOLOGY_DIR).filter((f) => f.endsWith('.txt')).map((f) => basename(f, '.txt')).sort();
}

export function builtinTopologies(): NamedTopology[] {
  return builtinTopologyNames().map((name) => ({ name, topology: readTopologyFile(join(TOPOLOGY_DIR, `${name}.txt`)) }));
}

/**
 * A `--topology` value: a file when one exists at that path, else a built-in name. A file wins,
 * so a user's own `switch` file in the working directory is never shadowed.
 */
export function topologyArg(arg: string): NamedTopology {
  if (existsSync(arg)) return { name: basename(arg).replace(/\.[^.]*$/, ''), topology: readTopologyFile(arg) };
  const names = builtinTopologyNames();
  if (names.includes(arg)) return { name: arg, topology: readTopologyFile(join(TOPOLOGY_DIR, `${arg}.txt`)) };
  throw new QemuDeviceError('bad-topology', `--topology ${arg}: no such file, and not a built-in topology (${names.join(', ')}): give one of those or a file with one QEMU -device string per line`, { topology: arg });
}

/** `--qemu-device` values plus a `--topology` file or built-in name, in that order. */
export function topologyFromOptions(o: { qemuDevice?: readonly string[]; topology?: string }): QemuTopology | undefined {
  const fromFile = o.topology ? topologyArg(o.topology).topology.devices : [];
  const fromArgs = o.qemuDevice?.length ? parseTopology(o.qemuDevice, { listedBefore: fromFile }).devices : [];
  if (fromFile.length === 0 && fromArgs.length === 0) return undefined;
  return { devices: [...fromFile, ...fromArgs] };
}
