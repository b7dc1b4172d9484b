/**
 * The guest's initramfs: a newc cpio (the format the kernel unpacks, init/initramfs.c) holding
 * busybox-static, the guest agent as /init, the driver modules (with modules.dep) of the devices
 * the guest has, where the kernel builds them as modules, and, when the image has kernels to
 * kexec into (each with its own initramfs and command line), kexec-tools with the libraries `ldd`
 * lists. Under TCG every byte and every insmod costs boot time (docs/real-run.md), so an image
 * carries nothing its kernel will not use.
 *
 * Images are content-addressed: `<cache>/initramfs/<sha256>.cpio`, written once. The cpio is
 * deterministic (sorted entries, mtime 0, uid/gid 0, inode = position), so the same inputs give the
 * same file name.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LusimError } from '../../devices/errors.js';
import type { HandoverRange } from '../run/handover.js';
import { cacheRoot, kernelConfig, type KernelImage } from '../kernels/kernels.js';

export type InitramfsErrorCode =
  /** A host tool or file the image needs is missing (busybox-static, kexec-tools). */
  | 'host-missing'
  /** A module or one of its dependencies is not in the kernel's package. */
  | 'module-missing'
  /** A next-kernel name or command line that the agent would refuse. */
  | 'bad-spec';

export class InitramfsError extends LusimError<InitramfsErrorCode> {}

// ---- newc cpio ---------------------------------------------------------------------------------

export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFCHR = 0o020000;

export interface CpioEntry {
  /** Path inside the archive, without a leading slash. */
  readonly path: string;
  /** st_mode: type bits | permissions. */
  readonly mode: number;
  readonly data?: Uint8Array;
  /** Device numbers of a character/block node. */
  readonly rdev?: readonly [number, number];
}

const hex8 = (n: number): string => n.toString(16).padStart(8, '0');
const pad4 = (n: number): number => (4 - (n % 4)) % 4;

/**
 * Serialize entries as a newc archive (magic 070701; 13 hex fields; name and data each padded to
 * 4 bytes; TRAILER!!! last), as init/initramfs.c parse_header/do_header read it.
 */
export function writeNewc(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  const push = (ino: number, e: CpioEntry): void => {
    const name = Buffer.from(`${e.path}\0`);
    const data = e.data ?? new Uint8Array(0);
    const nlink = (e.mode & 0o170000) === S_IFDIR ? 2 : 1;
    const fields = [ino, e.mode, 0, 0, nlink, 0, data.length, 0, 0, e.rdev?.[0] ?? 0, e.rdev?.[1] ?? 0, name.length, 0];
    parts.push(Buffer.from(`070701${fields.map(hex8).join('')}`), name, Buffer.alloc(pad4(110 + name.length)));
    parts.push(Buffer.from(data.buffer, data.byteOffset, data.length), Buffer.alloc(pad4(data.length)));
  };
  entries.forEach((e, i) => push(i + 1, e));
  push(0, { path: 'TRAILER!!!', mode: 0 });
  return Buffer.concat(parts);
}

// ---- modules -------------------------------------------------------------------------------------

/**
 * Devices lusim puts in guests, the config symbol of their driver, its module name, and the QEMU
 * devices (`-device` driver names) it binds to.
 */
export const DEVICE_DRIVERS = [
  { device: 'nvme', config: 'CONFIG_BLK_DEV_NVME', module: 'nvme', qemu: ['nvme'] },
  { device: 'e1000e', config: 'CONFIG_E1000E', module: 'e1000e', qemu: ['e1000e'] },
  { device: 'virtio (PCI transport)', config: 'CONFIG_VIRTIO_PCI', module: 'virtio_pci', qemu: ['virtio-net-pci', 'virtio-blk-pci'] },
  { device: 'virtio-net-pci', config: 'CONFIG_VIRTIO_NET', module: 'virtio_net', qemu: ['virtio-net-pci'] },
  { device: 'virtio-blk-pci', config: 'CONFIG_VIRTIO_BLK', module: 'virtio_blk', qemu: ['virtio-blk-pci'] },
  { device: 'qemu-xhci', config: 'CONFIG_USB_XHCI_PCI', module: 'xhci_pci', qemu: ['qemu-xhci'] },
] as const;

export interface DriverPlan {
  /** Modules to insmod at boot (by name). */
  readonly modules: string[];
  /** Drivers compiled into the kernel. */
  readonly builtin: string[];
  /** Drivers this kernel does not have at all (e.g. the cloud kernels have no e1000e or USB). */
  readonly absent: string[];
}

/**
 * Which device drivers are built in, modules, or absent, from the kernel's own config: for the
 * drivers of `devices` (QEMU device names) when given, else for every DEVICE_DRIVERS entry.
 */
export function planDrivers(kernel: KernelImage, devices?: readonly string[]): DriverPlan {
  const cfg = kernelConfig(kernel);
  const plan: DriverPlan = { modules: [], builtin: [], absent: [] };
  const wanted = devices ? DEVICE_DRIVERS.filter((d) => d.qemu.some((q) => devices.includes(q))) : DEVICE_DRIVERS;
  for (const d of wanted) {
    const v = cfg.get(d.config);
    (v === 'm' ? plan.modules : v === 'y' ? plan.builtin : plan.absent).push(d.module);
  }
  return plan;
}

const norm = (name: string): string => name.replace(/-/g, '_');

/** Module name -> path relative to the modules dir (`kernel/drivers/...ko[.xz|.zst]`). */
export function moduleIndex(modulesDir: string): Map<string, string> {
  const out = new Map<string, string>();
  // A kernel built without modules (a user's build with every driver built in) has none.
  if (!existsSync(join(modulesDir, 'kernel'))) return out;
  const walk = (rel: string): void => {
    for (const ent of readdirSync(join(modulesDir, rel), { withFileTypes: true })) {
      const r = join(rel, ent.name);
      if (ent.isDirectory()) walk(r);
      else {
        const m = /^(.+)\.ko(\.xz|\.zst|\.gz)?$/.exec(ent.name);
        if (m) out.set(norm(m[1]!), r);
      }
    }
  };
  walk('kernel');
  return out;
}

/** Decompressed module bytes; Debian compresses 6.12+ modules with xz (CONFIG_MODULE_COMPRESS_XZ). */
export function readModule(path: string): Buffer {
  if (!/\.(xz|zst|gz)$/.test(path)) return readFileSync(path);
  const tool = path.endsWith('.xz') ? ['busybox', ['xz', '-dc', path]] : path.endsWith('.gz') ? ['busybox', ['gzip', '-dc', path]] : ['zstd', ['-dc', path]];
  const res = spawnSync(tool[0] as string, tool[1] as string[], { maxBuffer: 256 * 1024 * 1024 });
  if (res.status !== 0) throw new InitramfsError('host-missing', `could not decompress ${path} with ${String(tool[0])}: ${res.stderr?.toString().trim() || res.error?.message}. Install busybox-static (and zstd for .zst modules).`, { path });
  return res.stdout;
}

/** The module's `depends=` from its .modinfo section (scripts/mod/modpost.c add_depends). */
export function moduleDepends(ko: Uint8Array): string[] {
  const key = Buffer.from('\0depends=');
  const buf = Buffer.from(ko.buffer, ko.byteOffset, ko.length);
  const at = buf.indexOf(key);
  if (at < 0) return [];
  const start = at + key.length;
  const end = buf.indexOf(0, start);
  const list = buf.subarray(start, end < 0 ? buf.length : end).toString('latin1');
  return list.split(',').filter((s) => s.length > 0).map(norm);
}

interface ModuleFile {
  readonly name: string;
  /** Path under the modules dir, without the compression suffix. */
  readonly rel: string;
  readonly data: Buffer;
  readonly deps: string[];
}

/** `names` and their dependencies, dependencies first (the order insmod needs). */
export function resolveModules(modulesDir: string, names: readonly string[]): ModuleFile[] {
  const index = moduleIndex(modulesDir);
  const done = new Map<string, ModuleFile>();
  const order: ModuleFile[] = [];
  const visit = (name: string, chain: string[]): void => {
    if (done.has(name)) return;
    const rel = index.get(name);
    if (!rel) throw new InitramfsError('module-missing', `module ${name} (needed by ${chain.join(' <- ') || 'the device list'}) is not in ${modulesDir}: the kernel package is incomplete; fetch it again (lusim kernels fetch --refresh).`, { module: name, modulesDir });
    const data = readModule(join(modulesDir, rel));
    const file: ModuleFile = { name, rel: rel.replace(/\.(xz|zst|gz)$/, ''), data, deps: moduleDepends(data) };
    done.set(name, file);
    for (const d of file.deps) visit(d, [name, ...chain]);
    order.push(file);
  };
  for (const n of names) visit(norm(n), []);
  return order;
}

/** modules.dep as depmod writes it: each module followed by all its dependencies. */
export function modulesDep(mods: readonly ModuleFile[]): string {
  const byName = new Map(mods.map((m) => [m.name, m]));
  const closure = (m: ModuleFile, seen = new Set<string>()): string[] =>
    m.deps.flatMap((d) => (seen.has(d) ? [] : (seen.add(d), [byName.get(d)!.rel, ...closure(byName.get(d)!, seen)])));
  return mods.map((m) => `${m.rel}: ${closure(m).join(' ')}`.trimEnd()).join('\n') + '\n';
}

// ---- the image ---------------------------------------------------------------------------------

/** A kernel the agent can kexec into, with the initramfs and command line it boots with. */
export interface NextKernel {
  /** Name the host uses in `KLOAD <name>`: [a-z0-9_-], 1..32 (the agent's is_name). */
  readonly name: string;
  readonly kernel: KernelImage;
  readonly initrd: string;
  /** Command line, without lusim.nonce= (the agent appends it). */
  readonly cmdline: string;
  /**
   * Lowest guest-physical address kexec-tools may place a segment at (its --mem-min): the end
   * of the handover range, so that loading this kernel cannot overwrite the range.
   */
  readonly memMin: number;
  /** Load it with kexec_file_load (the LUO route: KHO data crosses only there; agent.sh kload). */
  readonly kexecFile?: boolean;
}

export interface InitramfsSpec {
  /** The kernel that boots this image: its driver modules go in. */
  readonly kernel: KernelImage;
  /** QEMU devices (`-device` driver names) the guest has: their drivers' modules go in. */
  readonly devices?: readonly string[];
  /** Modules to load at boot; default: those of planDrivers(kernel, devices). */
  readonly modules?: readonly string[];
  readonly next?: readonly NextKernel[];
  /** lusim's guest module built for this kernel (kexec/guest-module), loaded by the agent's KMOD. */
  readonly guestModule?: { readonly ko: Uint8Array; readonly handover: HandoverRange };
  /** The LUO route: lusim_luo (kexec/luo-helper) and the range it carries (agent KLUO). */
  readonly luo?: { readonly helper: Uint8Array; readonly handover: HandoverRange };
}

export interface BuiltInitramfs {
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly cached: boolean;
  readonly modules: readonly string[];
  readonly drivers: DriverPlan;
}

const AGENT_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'agent');
const BUSYBOX = '/bin/busybox';
const KEXEC = '/usr/sbin/kexec';
const NAME = /^[a-z0-9_-]{1,32}$/;
/** Characters the agent passes through to kexec --command-line unchanged (no quotes, no newlines). */
const CMDLINE = /^[A-Za-z0-9_.,:=/@$+ -]{0,2000}$/;

function hostFile(path: string, pkg: string): Buffer {
  if (!existsSync(path)) throw new InitramfsError('host-missing', `${path} is missing: install it with \`apt-get install ${pkg}\`.`, { path, package: pkg });
  return readFileSync(path);
}

/** Shared libraries of a dynamic binary, from `ldd` (path as the loader will look it up). */
export function sharedLibraries(binary: string): string[] {
  const res = spawnSync('ldd', [binary], { encoding: 'utf8' });
  if (res.status !== 0) return [];
  return res.stdout.split('\n').flatMap((line) => {
    const m = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    return m ? [m[1]!] : [];
  });
}

function dirsOf(paths: readonly string[]): string[] {
  const out = new Set<string>();
  for (const p of paths) for (let d = dirname(p); d !== '.' && d !== '/'; d = dirname(d)) out.add(d);
  return [...out];
}

function intactImage(path: string, image: Buffer): boolean {
  return existsSync(path) && statSync(path).size === image.length && readFileSync(path).equals(image);
}

/** Build (or reuse) the initramfs for `spec`. */
export function buildInitramfs(spec: InitramfsSpec, root: string = cacheRoot()): BuiltInitramfs {
  const drivers = planDrivers(spec.kernel, spec.devices);
  const wanted = spec.modules ?? drivers.modules;
  const mods = resolveModules(spec.kernel.modulesDir, wanted);
  const modRoot = `lib/modules/${spec.kernel.release}`;

  const files = new Map<string, { mode: number; data: Uint8Array }>();
  const file = (path: string, data: Uint8Array | string, mode = 0o644): void => {
    files.set(path, { mode: S_IFREG | mode, data: typeof data === 'string' ? Buffer.from(data) : data });
  };
  file('init', readFileSync(join(AGENT_DIR, 'init')), 0o755);
  file('lusim/agent.sh', readFileSync(join(AGENT_DIR, 'agent.sh')), 0o644);
  file('bin/busybox', hostFile(BUSYBOX, 'busybox-static'), 0o755);
  const next = spec.next ?? [];
  // The last kernel of a chain kexecs nowhere: kexec-tools and its ~2.5 MiB of libraries stay out.
  if (next.length > 0) {
    file('sbin/kexec', hostFile(KEXEC, 'kexec-tools'), 0o755);
    for (const lib of sharedLibraries(KEXEC)) file(lib.slice(1), readFileSync(realpathSync(lib)), 0o755);
  }
  for (const m of mods) file(`${modRoot}/${m.rel}`, m.data);
  file(`${modRoot}/modules.dep`, modulesDep(mods));
  file('lusim/modules.load', mods.map((m) => `/${modRoot}/${m.rel}\n`).join(''));
  file('lusim/release', `${spec.kernel.release}\n`);
  if (spec.guestModule) {
    const { ko, handover } = spec.guestModule;
    file('lusim/lusim_pci.ko', ko);
    file('lusim/lusim_pci.params', `handover_base=0x${handover.base.toString(16)} handover_size=0x${handover.size.toString(16)}\n`);
  }
  if (spec.luo) {
    file('lusim/lusim_luo', spec.luo.helper, 0o755);
    file('lusim/luo.params', `0x${spec.luo.handover.base.toString(16)} 0x${spec.luo.handover.size.toString(16)}\n`);
  }
  for (const n of next) {
    if (!NAME.test(n.name)) throw new InitramfsError('bad-spec', `next-kernel name "${n.name}" must match ${NAME} (the agent refuses anything else).`, { name: n.name });
    if (!CMDLINE.test(n.cmdline)) throw new InitramfsError('bad-spec', `command line for ${n.name} may only contain ${CMDLINE.source}: "${n.cmdline}".`, { cmdline: n.cmdline });
    if (!Number.isSafeInteger(n.memMin) || n.memMin < 0x10_0000 || n.memMin % 4096 !== 0) throw new InitramfsError('bad-spec', `memMin 0x${n.memMin.toString(16)} for ${n.name} must be a page-aligned address at or above 1 MiB (the end of the handover range).`, { memMin: n.memMin });
    file(`lusim/next/${n.name}/vmlinuz`, readFileSync(n.kernel.vmlinuz));
    file(`lusim/next/${n.name}/initrd`, readFileSync(n.initrd));
    file(`lusim/next/${n.name}/cmdline`, `${n.cmdline}\n`);
    file(`lusim/next/${n.name}/mem-min`, `0x${n.memMin.toString(16)}\n`);
    file(`lusim/next/${n.name}/release`, `${n.kernel.release}\n`);
    if (n.kexecFile) file(`lusim/next/${n.name}/kexec-file`, '');
  }

  const dirs = new Set([...dirsOf([...files.keys()]), 'bin', 'sbin', 'dev', 'proc', 'sys', 'tmp', 'lib64']);
  const entries: CpioEntry[] = [
    ...[...dirs].sort().map((path) => ({ path, mode: S_IFDIR | 0o755 })),
    // The kernel opens /dev/console for init's stdio before devtmpfs is mounted (init/main.c console_on_rootfs).
    { path: 'dev/console', mode: S_IFCHR | 0o600, rdev: [5, 1] as const },
    ...[...files.keys()].sort().map((path) => ({ path, ...files.get(path)! })),
  ];
  const image = writeNewc(entries);
  const sha256 = createHash('sha256').update(image).digest('hex');
  const dir = join(root, 'initramfs');
  const path = join(dir, `${sha256}.cpio`);
  // Content-addressed: a cached image is used only while its bytes are still the image it is named
  // after (a truncated or damaged file is rewritten, never booted); the size is checked first.
  const cached = intactImage(path, image);
  if (!cached) {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, image, { mode: 0o644 });
    renameSync(tmp, path);
  }
  return { path, sha256, bytes: image.length, cached, modules: mods.map((m) => m.name), drivers };
}

export interface ChainOptions {
  /** The command line of each kernel the chain kexecs into (without lusim.nonce=). */
  readonly cmdline: (k: KernelImage) => string;
  /** QEMU devices the guest has (see InitramfsSpec.devices). */
  readonly devices: readonly string[];
  /** The handover range: kexec loads nothing below its end (NextKernel.memMin). */
  readonly handover: HandoverRange;
  /** Guest modules by kernel release: each image of the chain carries its own kernel's. */
  readonly guestModules?: ReadonlyMap<string, Uint8Array>;
  /** Modules each kernel loads at boot (kexec/guest/guest-drivers.ts); default: planDrivers for `devices`. */
  readonly modules?: (k: KernelImage) => readonly string[];
  /** The LUO route for the whole chain: every image carries lusim_luo, every kexec is kexec_file_load. */
  readonly luoHelper?: Uint8Array;
}

/**
 * Initramfs images for booting `chain[0]` and kexec-ing through the rest in order: built from the
 * last kernel back, each image carrying the next kernel (as `next`) with its own image.
 */
export function buildChain(chain: readonly KernelImage[], o: ChainOptions, root: string = cacheRoot()): BuiltInitramfs[] {
  const out: BuiltInitramfs[] = [];
  let next: NextKernel | undefined;
  for (let i = chain.length - 1; i >= 0; i--) {
    const ko = o.guestModules?.get(chain[i]!.release);
    const built = buildInitramfs({ kernel: chain[i]!, devices: o.devices, ...(o.modules ? { modules: o.modules(chain[i]!) } : {}), next: next ? [next] : [], ...(ko ? { guestModule: { ko, handover: o.handover } } : {}), ...(o.luoHelper ? { luo: { helper: o.luoHelper, handover: o.handover } } : {}) }, root);
    out.unshift(built);
    next = { name: `k${i}`, kernel: chain[i]!, initrd: built.path, cmdline: o.cmdline(chain[i]!), memMin: o.handover.base + o.handover.size, ...(o.luoHelper ? { kexecFile: true } : {}) };
  }
  return out;
}
