/**
 * The DEVICE argument of model commands: a built-in QEMU 7.2 fixture by name (e1000e, nvme,
 * virtio-net, ...: fixtures/qemu/NAME.lspci, with its BAR sizes from NAME.json), or a dump file.
 * Each comes with its upstream port when one is known: the port a built-in device was captured
 * behind, or, in a dump file, the bridge whose secondary bus the device sits on (sim/topology.ts).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatBdf } from '../../devices/dump/bdf.js';
import type { DumpDevice, DumpFormat } from '../../devices/dump/types.js';
import { Topology } from '../../sim/topology.js';
import { dumpName, pickDevices, readDumpFile, STDIN } from './dump-file.js';
import { CliError } from '../errors.js';

export const FIXTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'qemu');
/** Hand-built devices for behaviour no QEMU 7.2 device has (scripts/make-synthetic.ts). */
export const SYNTHETIC_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'synthetic');

const names = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.lspci')).map((f) => f.slice(0, -'.lspci'.length));

export function builtinDevices(): string[] {
  return [...names(FIXTURE_DIR), ...names(SYNTHETIC_DIR)].sort();
}

/**
 * The port each built-in device sits behind: fixtures/qemu/README.md "placement" (one QEMU per
 * fixture, endpoints at 01:00.0 below a pcie-root-port whose secondary bus is 1), and
 * scripts/make-synthetic.ts (endpoint-l1ss at 02:00.0 below root-port-l1ss).
 */
const BUILTIN_PARENTS: Readonly<Record<string, string>> = {
  e1000e: 'pcie-root-port', nvme: 'pcie-root-port', 'virtio-net': 'pcie-root-port', 'virtio-net-aer': 'pcie-root-port',
  'qemu-xhci': 'pcie-root-port', 'x3130-upstream': 'pcie-root-port', 'xio3130-downstream': 'x3130-upstream',
  'endpoint-l1ss': 'root-port-l1ss',
};

export interface ResolvedDevice {
  readonly dump: DumpDevice;
  readonly label: string;
  readonly barSizes?: readonly (number | undefined)[];
  /** The upstream port by default (dev->bus->self), when known. */
  readonly parent?: ResolvedDevice;
}

/** A dump file read as `format` (--input-format) or as detected. */
const readArgDump = (arg: string, format: DumpFormat | undefined) => readDumpFile(arg, { ...(format ? { format } : {}), formatOption: '--input-format' });

export function resolveDevice(arg: string, bdf: string | undefined, format?: DumpFormat): ResolvedDevice {
  const builtin = resolveBuiltin(arg);
  if (builtin) {
    const port = BUILTIN_PARENTS[arg];
    return port ? { ...builtin, parent: resolveBuiltin(port)! } : builtin;
  }
  if (arg !== STDIN && !existsSync(arg)) {
    throw new CliError('file-not-found', `"${arg}" is neither a built-in device (${builtinDevices().join(', ')}) nor a dump file`, { device: arg });
  }
  const all = readArgDump(arg, format);
  const devices = pickDevices(all, bdf);
  const label = dumpName(arg);
  if (devices.length > 1) {
    throw new CliError('bad-option', `${label} holds ${devices.length} functions; pick one with --device (${devices.map((d) => formatBdf(d.bdf)).join(', ')})`);
  }
  const port = new Topology(all).place(devices[0].bdf).parent;
  return { dump: devices[0], label, ...(port ? { parent: { dump: port.dump, label: `${label} ${formatBdf(port.bdf)}` } } : {}) };
}

/**
 * The --parent option: undefined = the device's default port, 'none' = no port, else a built-in
 * device or a dump file holding the bridge (with several functions, the bridge whose secondary
 * bus is the device's bus). The port must be a bridge whose secondary bus is the device's bus.
 */
export function resolveParent(dev: ResolvedDevice, arg: string | undefined, format?: DumpFormat): ResolvedDevice | undefined {
  if (arg === 'none') return undefined;
  if (arg === undefined) return dev.parent;
  const bus = dev.dump.bdf.bus;
  let port = resolveBuiltin(arg);
  if (!port) {
    if (arg !== STDIN && !existsSync(arg)) throw new CliError('file-not-found', `--parent "${arg}" is neither none, a built-in device (${builtinDevices().join(', ')}) nor a dump file`, { parent: arg });
    const all = readArgDump(arg, format);
    const bridges = new Topology(all).nodes.filter((n) => all.length === 1 || (n.isBridge && n.secondary === bus));
    if (bridges.length !== 1) throw new CliError('bad-option', `--parent ${dumpName(arg)} holds ${all.length} functions and ${bridges.length} bridges with secondary bus ${bus.toString(16)}: give a dump holding the port alone, or --parent none`, { parent: arg });
    port = { dump: bridges[0].dump, label: `${dumpName(arg)} ${formatBdf(bridges[0].bdf)}` };
  }
  const node = new Topology([port.dump]).nodes[0];
  if (!node.isBridge) throw new CliError('bad-option', `--parent ${port.label} is not a bridge (header type ${node.headerType}): give the port above the device, or none`, { parent: arg });
  if (node.secondary !== bus) throw new CliError('bad-option', `--parent ${port.label} has secondary bus ${node.secondary?.toString(16)}, but the device is on bus ${bus.toString(16)}: give the bridge the device sits below, or none`, { parent: arg });
  return port;
}

function resolveBuiltin(arg: string): ResolvedDevice | undefined {
  if (arg.includes('/') || arg.includes('.')) return undefined;
  const synthetic = join(SYNTHETIC_DIR, `${arg}.lspci`);
  if (existsSync(synthetic)) {
    return { dump: readDumpFile(synthetic)[0], label: `${arg} (synthetic)` };
  }
  const fixture = join(FIXTURE_DIR, `${arg}.lspci`);
  if (existsSync(fixture)) {
    const [dump] = readDumpFile(fixture);
    const metaFile = join(FIXTURE_DIR, `${arg}.json`);
    // BAR sizes probed from QEMU by scripts/gen-fixtures.ts: [{ bar: index | 'rom', size }].
    const meta = existsSync(metaFile) ? (JSON.parse(readFileSync(metaFile, 'utf8')) as { barSizes?: { bar: number | string; size: number }[] }) : {};
    const barSizes = meta.barSizes ? barSizeTable(meta.barSizes) : undefined;
    return { dump, label: `${arg} (QEMU 7.2 fixture)`, ...(barSizes ? { barSizes } : {}) };
  }
  return undefined;
}

function barSizeTable(entries: readonly { bar: number | string; size: number }[]): (number | undefined)[] {
  const out: (number | undefined)[] = [undefined, undefined, undefined, undefined, undefined, undefined];
  for (const e of entries) if (typeof e.bar === 'number' && e.bar >= 0 && e.bar < 6 && e.size > 0) out[e.bar] = e.size;
  return out;
}
