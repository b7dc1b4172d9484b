/**
 * `lusim capture`: every PCI function of a running Linux system, read from sysfs
 * (Documentation/ABI/testing/sysfs-bus-pci): `config` (the whole config space as root; an
 * unprivileged read gets the first 64 bytes: drivers/pci/pci-sysfs.c pci_read_config), with
 * `reset_method`, the bound `driver`, `current_link_speed` and the file size of `config` (the
 * cfg_size Linux gave the function), plus the kernel release and version (`uname -r`, `uname -v`). The result is a lusim snapshot
 * (devices/dump/json.ts) every command reads.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { release, version } from 'node:os';
import { basename, join } from 'node:path';
import { parseBdf } from '../devices/dump/bdf.js';
import type { CaptureFacts, DumpDevice } from '../devices/dump/types.js';
import { LusimError, fsErrorReason } from '../devices/errors.js';
import { PCI_CFG_SPACE_EXP_SIZE } from '../devices/pci-regs.js';

export class CaptureError extends LusimError<'no-sysfs' | 'no-devices'> {}

const BDF_DIR = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/;

export interface CaptureOptions {
  /** The sysfs mount (default /sys). */
  readonly sysfs?: string;
  /** Whether the reader is root (default: process.getuid() === 0). */
  readonly root?: boolean;
  /** The captured system's kernel release (default: this machine's, when sysfs is /sys). */
  readonly kernelRelease?: string;
  /** The captured system's `uname -v` (default: this machine's, when sysfs is /sys). */
  readonly kernelVersion?: string;
  /** How a config file is read (default readFileSync; tests stand in for an unprivileged read). */
  readonly readConfig?: (file: string) => Uint8Array;
}

export interface Capture {
  readonly devices: readonly DumpDevice[];
  /** Functions whose config read stopped short of the size Linux gave them (not root). */
  readonly partial: readonly string[];
  /**
   * Functions listed in sysfs whose `config` could not be read: removed between the listing and
   * the read (a hot unplug), or a copied tree that lacks the file. The others are still captured.
   */
  readonly unreadable: readonly { readonly name: string; readonly reason: string }[];
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function driverOf(dir: string): string | null {
  try {
    return basename(readlinkSync(join(dir, 'driver')));
  } catch {
    return null;
  }
}

export function captureSysfs(opts: CaptureOptions = {}): Capture {
  const sysfs = opts.sysfs ?? '/sys';
  const base = join(sysfs, 'bus', 'pci', 'devices');
  if (!existsSync(base)) throw new CaptureError('no-sysfs', `${base} does not exist: give the sysfs mount of a Linux system with --sysfs (default /sys)`, { sysfs });
  const root = opts.root ?? process.getuid?.() === 0;
  const kernelRelease = opts.kernelRelease ?? (sysfs === '/sys' ? release() : undefined);
  const kernelVersion = opts.kernelVersion ?? (sysfs === '/sys' ? version() : undefined);
  const names = readdirSync(base).filter((n) => BDF_DIR.test(n)).sort();
  if (names.length === 0) throw new CaptureError('no-devices', `no PCI functions under ${base}`, { sysfs });
  const devices: DumpDevice[] = [];
  const partial: string[] = [];
  const unreadable: { name: string; reason: string }[] = [];
  for (const name of names) {
    const dir = join(base, name);
    const config = join(dir, 'config');
    let bytes: Uint8Array;
    let configSize: number;
    try {
      bytes = (opts.readConfig ?? ((f: string) => new Uint8Array(readFileSync(f))))(config);
      configSize = statSync(config).size;
    } catch (e) {
      unreadable.push({ name, reason: `config: ${fsErrorReason(e)}` });
      continue;
    }
    // Nothing read is nothing captured, and no function has more than 4 KiB (PCIe r6.0 7.2.2): a
    // snapshot holds 1 to 4096 bytes of a function, so either would be a capture lusim cannot read.
    if (bytes.length === 0 || bytes.length > PCI_CFG_SPACE_EXP_SIZE) {
      unreadable.push({ name, reason: bytes.length === 0 ? 'config: 0 bytes read' : `config: ${bytes.length} bytes, more than the ${PCI_CFG_SPACE_EXP_SIZE} a function has` });
      continue;
    }
    if (bytes.length < configSize) partial.push(name);
    const resetMethod = readText(join(dir, 'reset_method'));
    const speed = readText(join(dir, 'current_link_speed'));
    const capture: CaptureFacts = {
      ...(kernelRelease ? { kernelRelease } : {}),
      ...(kernelVersion ? { kernelVersion } : {}),
      root,
      configSize,
      // The attribute exists only when Linux found a method (pci-sysfs.c reset_method_attr_is_visible).
      resetMethod: resetMethod ? resetMethod.split(/\s+/) : [],
      driver: driverOf(dir),
      ...(speed && speed !== 'Unknown' ? { currentLinkSpeed: speed } : {}),
    };
    devices.push({ bdf: parseBdf(name), bytes, capture });
  }
  if (devices.length === 0) throw new CaptureError('no-devices', `no PCI function under ${base} could be read (${unreadable.map((u) => `${u.name}: ${u.reason}`).join(', ')}): give the sysfs mount of a Linux system with --sysfs (default /sys)`, { sysfs });
  return { devices, partial, unreadable };
}
