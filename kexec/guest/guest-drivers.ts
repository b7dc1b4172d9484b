/**
 * Which driver each guest kernel binds to each device (`guest-driver=auto|none|MODULE` in a
 * --qemu-device string, kexec/topology/qemu-device.ts), and the modules the initramfs must load for it.
 *
 * - `auto`: whatever the kernel would bind with its Debian package's modules available: drivers
 *   built in bind by themselves; modules are found the way udev/modprobe find them, by matching the
 *   device's modalias (drivers/pci/pci-sysfs.c modalias_show) against each module's `alias=`
 *   modinfo strings (scripts/mod/file2alias.c do_pci_entry), plus, for virtio devices, the virtio
 *   class driver through the virtio modalias (drivers/virtio/virtio.c modalias_show; the device id
 *   as virtio_pci_modern_probe / virtio_pci_legacy_probe derive it).
 * - `none`: no module is loaded for it; a built-in driver still probes at boot (nothing on the
 *   command line can stop one driver for one device), so the session unbinds it once the agent
 *   answers and reports that it did.
 * - `MODULE`: load that module (and its dependencies) if it is not built in.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InitramfsError, moduleIndex, readModule } from './initramfs.js';
import type { KernelImage } from '../kernels/kernels.js';
import type { GuestDriverChoice } from '../topology/qemu-device.js';

/** The identity bytes of one function (PCI_VENDOR_ID ... PCI_SUBSYSTEM_ID). */
export interface FunctionIds {
  readonly id: string;
  readonly vendor: number;
  readonly device: number;
  readonly subVendor: number;
  readonly subDevice: number;
  /** class << 16 | subclass << 8 | prog-if. */
  readonly classCode: number;
}

const h8 = (v: number) => v.toString(16).toUpperCase().padStart(8, '0');
const h2 = (v: number) => v.toString(16).toUpperCase().padStart(2, '0');

/** drivers/pci/pci-sysfs.c modalias_show. */
export function pciModalias(f: FunctionIds): string {
  return `pci:v${h8(f.vendor)}d${h8(f.device)}sv${h8(f.subVendor)}sd${h8(f.subDevice)}bc${h2(f.classCode >>> 16)}sc${h2((f.classCode >>> 8) & 0xff)}i${h2(f.classCode & 0xff)}`;
}

const VIRTIO_VENDOR = 0x1af4;

/**
 * The virtio device's modalias (drivers/virtio/virtio.c modalias_show: virtio:d%08Xv%08X): modern
 * devices (0x1040-0x107f) are device - 0x1040 (virtio_pci_modern_probe), transitional ones
 * (0x1000-0x103f) the subsystem device (virtio_pci_legacy_probe); the vendor is the subsystem vendor.
 */
export function virtioModalias(f: FunctionIds): string | null {
  if (f.vendor !== VIRTIO_VENDOR || f.device < 0x1000 || f.device > 0x107f) return null;
  const id = f.device >= 0x1040 ? f.device - 0x1040 : f.subDevice;
  return `virtio:d${h8(id)}v${h8(f.subVendor)}`;
}

/** fnmatch(3) as modprobe matches aliases (libkmod: fnmatch(alias, modalias, 0)). */
export function aliasMatches(pattern: string, modalias: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        re += `[${pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`${re}$`).test(modalias);
}

/** Module name -> its pci:/virtio: aliases, from the modules' .modinfo sections. */
export type AliasIndex = ReadonlyMap<string, readonly string[]>;

function modinfoAliases(ko: Uint8Array): string[] {
  const text = Buffer.from(ko.buffer, ko.byteOffset, ko.length).toString('latin1');
  const out: string[] = [];
  const re = /\0alias=((?:pci|virtio):[^\0]*)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[1]!);
  return out;
}

const INDEX_FILE = 'lusim-device-aliases.json';

/**
 * The alias index of a kernel's modules, built once (every module decompressed: several seconds)
 * and kept beside the kernel in the cache.
 */
export function aliasIndex(kernel: KernelImage): AliasIndex {
  const file = join(kernel.dir, INDEX_FILE);
  if (existsSync(file)) return new Map(Object.entries(JSON.parse(readFileSync(file, 'utf8')) as Record<string, string[]>));
  const out: Record<string, string[]> = {};
  for (const [name, rel] of moduleIndex(kernel.modulesDir)) {
    // Only device drivers carry pci:/virtio: aliases; reading the others would only cost time.
    if (!rel.startsWith('kernel/drivers/') && !rel.startsWith('kernel/sound/')) continue;
    const aliases = modinfoAliases(readModule(join(kernel.modulesDir, rel)));
    if (aliases.length > 0) out[name] = aliases;
  }
  writeFileSync(file, `${JSON.stringify(out)}\n`);
  return new Map(Object.entries(out));
}

/**
 * Whether the PCI driver `driver` (its sysfs name) is built into a kernel whose modules.builtin
 * names are `builtin` (builtinModules), so that it probes at boot, before any userspace marker.
 * pcieport always is: CONFIG_PCIEPORTBUS is a bool (drivers/pci/pcie/Kconfig), and
 * modules.builtin lists only tristate code built in, so it never names pcieportdrv.
 */
export function probesAtBoot(driver: string, builtin: ReadonlySet<string>): boolean {
  return driver === 'pcieport' || builtin.has(driver.replace(/-/g, '_'));
}

/** Names in modules.builtin (kernel/drivers/nvme/host/nvme.ko -> nvme). */
export function builtinModules(kernel: KernelImage): Set<string> {
  const path = join(kernel.modulesDir, 'modules.builtin');
  if (!existsSync(path)) return new Set();
  return new Set(readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => l.replace(/^.*\//, '').replace(/\.ko$/, '').replace(/-/g, '_')));
}

export interface DevicePlan {
  readonly id: string;
  readonly choice: GuestDriverChoice;
  /** Modules loaded for this device (empty: built in, none, or no driver in this kernel). */
  readonly modules: readonly string[];
  readonly why: string;
}

export interface KernelDriverPlan {
  readonly release: string;
  /** Every module to load, in first-needed order (dependencies are added by the initramfs). */
  readonly modules: readonly string[];
  readonly devices: readonly DevicePlan[];
}

/** Modules `auto` loads for one function: every module with a matching alias. */
function autoModules(f: FunctionIds, index: AliasIndex): string[] {
  const aliases = [pciModalias(f), virtioModalias(f)].filter((a): a is string => a !== null);
  return [...index].filter(([, pats]) => pats.some((p) => aliases.some((a) => aliasMatches(p, a)))).map(([m]) => m);
}

/** The module plan of one kernel for the devices and their choices. */
export function planGuestDrivers(kernel: KernelImage, functions: readonly FunctionIds[], choices: ReadonlyMap<string, GuestDriverChoice>): KernelDriverPlan {
  let index: AliasIndex | undefined;
  const builtin = builtinModules(kernel);
  const devices = functions.map((f): DevicePlan => {
    const choice = choices.get(f.id) ?? { kind: 'auto' };
    if (choice.kind === 'none') return { id: f.id, choice, modules: [], why: 'guest-driver=none: no module loaded (a built-in driver is unbound after boot)' };
    if (choice.kind === 'module') {
      if (builtin.has(choice.name)) return { id: f.id, choice, modules: [], why: `${choice.name} is built into ${kernel.release}` };
      index ??= aliasIndex(kernel);
      if (!moduleIndex(kernel.modulesDir).has(choice.name)) throw new InitramfsError('module-missing', `guest-driver=${choice.name} for ${f.id}: ${kernel.release} has no module ${choice.name} (neither built in nor in its package); pick another or use auto/none.`, { module: choice.name, kernel: kernel.release });
      return { id: f.id, choice, modules: [choice.name], why: `guest-driver=${choice.name}` };
    }
    index ??= aliasIndex(kernel);
    const mods = autoModules(f, index);
    return { id: f.id, choice, modules: mods, why: mods.length > 0 ? `modalias matches ${mods.join(', ')}` : 'no module of the package matches (a built-in driver may bind)' };
  });
  const modules = [...new Set(devices.flatMap((d) => d.modules))];
  return { release: kernel.release, modules, devices };
}
