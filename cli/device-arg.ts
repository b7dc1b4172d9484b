/**
 * The DEVICE argument of model commands: a built-in QEMU 7.2 fixture by name (e1000e, nvme,
 * virtio-net, ...: fixtures/qemu/NAME.lspci, with its BAR sizes from NAME.json), or a dump file.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DumpDevice } from '../devices/dump/types.js';
import { CliError, pickDevices, readDumpFile } from './input.js';

export const FIXTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'qemu');
/** Hand-built devices for behaviour no QEMU 7.2 device has (scripts/make-synthetic.ts). */
export const SYNTHETIC_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'synthetic');

const names = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.lspci')).map((f) => f.slice(0, -'.lspci'.length));

export function builtinDevices(): string[] {
  return [...names(FIXTURE_DIR), ...names(SYNTHETIC_DIR)].sort();
}

export interface ResolvedDevice {
  readonly dump: DumpDevice;
  readonly label: string;
  readonly barSizes?: readonly (number | undefined)[];
}

export function resolveDevice(arg: string, bdf: string | undefined): ResolvedDevice {
  const synthetic = join(SYNTHETIC_DIR, `${arg}.lspci`);
  if (!arg.includes('/') && !arg.includes('.') && existsSync(synthetic)) {
    return { dump: readDumpFile(synthetic)[0], label: `${arg} (synthetic)` };
  }
  const fixture = join(FIXTURE_DIR, `${arg}.lspci`);
  if (!arg.includes('/') && !arg.includes('.') && existsSync(fixture)) {
    const [dump] = readDumpFile(fixture);
    const metaFile = join(FIXTURE_DIR, `${arg}.json`);
    // BAR sizes probed from QEMU by scripts/gen-fixtures.ts: [{ bar: index | 'rom', size }].
    const meta = existsSync(metaFile) ? (JSON.parse(readFileSync(metaFile, 'utf8')) as { barSizes?: { bar: number | string; size: number }[] }) : {};
    const barSizes = meta.barSizes ? barSizeTable(meta.barSizes) : undefined;
    return { dump, label: `${arg} (QEMU 7.2 fixture)`, ...(barSizes ? { barSizes } : {}) };
  }
  if (!existsSync(arg)) {
    throw new CliError('file-not-found', `"${arg}" is neither a built-in device (${builtinDevices().join(', ')}) nor a dump file`, { device: arg });
  }
  const devices = pickDevices(readDumpFile(arg), bdf);
  if (devices.length > 1) {
    throw new CliError('bad-option', `${arg} holds ${devices.length} functions; pick one with --device (${devices.map((d) => `${d.bdf.bus.toString(16).padStart(2, '0')}:${d.bdf.device.toString(16).padStart(2, '0')}.${d.bdf.fn}`).join(', ')})`);
  }
  return { dump: devices[0], label: arg };
}

function barSizeTable(entries: readonly { bar: number | string; size: number }[]): (number | undefined)[] {
  const out: (number | undefined)[] = [undefined, undefined, undefined, undefined, undefined, undefined];
  for (const e of entries) if (typeof e.bar === 'number' && e.bar >= 0 && e.bar < 6 && e.size > 0) out[e.bar] = e.size;
  return out;
}
