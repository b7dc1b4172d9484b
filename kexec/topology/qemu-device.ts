/**
 * `--qemu-device ARGS` and `--topology FILE`: QEMU `-device` strings as a user writes them
 * (`xio3130-downstream,id=dn,bus=up,chassis=2`), parsed into launcher DeviceSpecs and validated so
 * that nothing but one device's own options reaches QEMU's command line:
 *
 * - QemuOpts splits on ',' and '=' and reads ',,' as an escaped comma (util/qemu-option.c
 *   get_opt_value); lusim accepts neither escapes nor whitespace, and only a plain character set in
 *   keys and values, so a string cannot add a second option or another `-device`.
 * - Options that point at host resources or other backends (`drive`, `netdev`, `chardev`,
 *   `romfile`, `memdev`, ...) are refused: lusim adds the backends a device needs itself (a null
 *   block device, a restricted user-mode network), so a topology file cannot read host files or
 *   open host sockets.
 * - `guest-driver=auto|none|MODULE` is lusim's own key (QEMU has no such property): which driver
 *   the guest kernels should bind (kexec/guest/guest-drivers.ts).
 *
 * A bare built-in name (`nvme`, `e1000e`, `virtio-net-pci`, `qemu-xhci`) keeps its old meaning:
 * that device behind its own pcie-root-port.
 */
import { readFileSync } from 'node:fs';
import { LusimError } from '../../devices/errors.js';
import { SLOT_PORTS, type DeviceSpec } from '../qemu/launcher.js';
import { REAL_DEVICE_NAMES, parseRealDevices } from './real-devices.js';

export type QemuDeviceErrorCode = 'bad-device' | 'bad-topology';
export class QemuDeviceError extends LusimError<QemuDeviceErrorCode> {}

/** Which driver the guest kernels bind to a device (kexec/guest/guest-drivers.ts resolves it per kernel). */
export type GuestDriverChoice = { readonly kind: 'auto' } | { readonly kind: 'none' } | { readonly kind: 'module'; readonly name: string };

export interface TopologyDevice extends DeviceSpec {
  readonly guestDriver: GuestDriverChoice;
  /** `guest-vfs=N`: kernel A enables N VFs on this PF before the cycle (sysfs sriov_numvfs). */
  readonly guestVfs?: number;
  /** The string the user wrote (for messages and reports). */
  readonly source: string;
}

export interface QemuTopology {
  /** Every device in command-line order (ports before what sits on them). */
  readonly devices: readonly TopologyDevice[];
}

const NAME = /^[a-z][a-z0-9_.-]{0,63}$/;
const KEY = /^[a-z][a-z0-9_.-]{0,63}$/;
const VALUE = /^[A-Za-z0-9_.:+-]{1,128}$/;
const MODULE = /^[a-z0-9_-]{1,32}$/;

/** Options naming host files, host descriptors or backends: lusim supplies backends itself. */
const FORBIDDEN_KEYS = new Set(['drive', 'netdev', 'chardev', 'romfile', 'memdev', 'fsdev', 'iothread', 'vhostfd', 'vhostfds', 'fd', 'fds', 'host', 'sysfsdev', 'socket', 'audiodev', 'rng', 'file', 'spdm_socket', 'subsys']);

/** Devices that need a backend to be created at all, and which kind lusim gives them. */
const BACKENDS: Readonly<Record<string, 'block' | 'net'>> = {
  'virtio-blk-pci': 'block',
  'e1000': 'net', 'e1000e': 'net', 'e1000-82544gc': 'net', 'e1000-82545em': 'net', 'rtl8139': 'net', 'pcnet': 'net',
  'vmxnet3': 'net', 'virtio-net-pci': 'net', 'ne2k_pci': 'net', 'i82550': 'net', 'i82551': 'net', 'i82557a': 'net', 'i82557b': 'net', 'i82557c': 'net',
  'i82558a': 'net', 'i82558b': 'net', 'i82559a': 'net', 'i82559b': 'net', 'i82559c': 'net', 'i82559er': 'net', 'i82562': 'net', 'i82801': 'net', 'tulip': 'net',
};

function bad(source: string, part: string, why: string): never {
  throw new QemuDeviceError('bad-device', `--qemu-device "${source}": ${part} ${why}`, { device: source, part });
}

function parseGuestDriver(source: string, v: string): GuestDriverChoice {
  if (v === 'auto') return { kind: 'auto' };
  if (v === 'none') return { kind: 'none' };
  if (!MODULE.test(v)) bad(source, `guest-driver=${v}`, 'must be auto, none or a module name ([a-z0-9_-], up to 32 characters).');
  return { kind: 'module', name: v.replace(/-/g, '_') };
}

function parseGuestVfs(source: string, v: string): number {
  if (!/^[1-9][0-9]{0,2}$/.test(v) || Number(v) > 255) bad(source, `guest-vfs=${v}`, 'must be a VF count from 1 to 255 (kernel A writes it to the function\'s sriov_numvfs).');
  return Number(v);
}

/** One `-device` string (not a built-in shortcut) to a spec; `n` numbers ids lusim invents. */
export function parseDeviceString(source: string, n: number): TopologyDevice {
  const s = source.trim();
  if (s === '') bad(source, 'the string', 'is empty: give a QEMU -device string such as "nvme,serial=a,bus=rp1".');
  if (/\s/.test(s)) bad(source, 'the string', 'contains whitespace; QEMU options have none (quote the whole string for the shell).');
  if (s.includes(',,')) bad(source, '",,"', 'is QemuOpts\' escaped comma, which lusim does not accept: values cannot contain commas.');
  const parts = s.split(',');
  let driver: string | undefined;
  const props: Record<string, string> = {};
  let guestDriver: GuestDriverChoice = { kind: 'auto' };
  let guestVfs: number | undefined;
  parts.forEach((p, i) => {
    if (p === '') bad(source, `option ${i + 1}`, 'is empty (a leading, trailing or doubled comma).');
    const eq = p.indexOf('=');
    if (eq < 0) {
      if (i === 0) return void (driver = p);
      bad(source, `"${p}"`, `has no value: write ${p}=on (or ${p}=VALUE).`);
    }
    const key = p.slice(0, eq);
    const value = p.slice(eq + 1);
    if (!KEY.test(key)) bad(source, `key "${key}"`, 'must start with a lower-case letter and hold only [a-z0-9_.-].');
    if (!VALUE.test(value)) bad(source, `value "${value}" of ${key}`, 'must be 1-128 characters of [A-Za-z0-9_.:+-].');
    if (key === 'driver') return void (driver = value);
    if (key === 'guest-driver') return void (guestDriver = parseGuestDriver(source, value));
    if (key === 'guest-vfs') return void (guestVfs = parseGuestVfs(source, value));
    if (FORBIDDEN_KEYS.has(key)) bad(source, `option ${key}=`, 'points at a host resource or backend; lusim adds the backends a device needs (null block device, restricted user network) itself: leave it out.');
    if (key in props) bad(source, `option ${key}`, 'is given twice.');
    props[key] = value;
  });
  if (driver === undefined) bad(source, 'the string', 'names no device: start it with the QEMU device name (e.g. "pcie-root-port,id=rp1").');
  if (!NAME.test(driver)) bad(source, `device name "${driver}"`, 'must be a QEMU device name ([a-z][a-z0-9_.-]*); see qemu-system-x86_64 -device help.');
  const { id: given, bus, addr, ...rest } = props;
  const id = given ?? `${driver.replace(/[^A-Za-z0-9]/g, '')}${n}`;
  const backend = backendFor(driver, id, rest);
  return {
    driver,
    id,
    ...(bus !== undefined ? { bus } : {}),
    ...(addr !== undefined ? { addr } : {}),
    // An nvme's serial, when not given, is the launcher's (kexec/qemu/launcher.ts deviceArgs: one per controller).
    props: rest,
    guestDriver,
    ...(guestVfs !== undefined ? { guestVfs } : {}),
    source,
    ...(backend ? { backend } : {}),
  };
}

/** The backend arguments (before the -device) and the option that links the device to them. */
function backendFor(driver: string, id: string, props: Readonly<Record<string, string>>): DeviceSpec['backend'] {
  const kind = BACKENDS[driver];
  const node = `lusim-be-${id}`.replace(/[^A-Za-z0-9_-]/g, '');
  // hw/nvme/ctrl.c nvme_check_params: an SR-IOV controller (sriov_max_vfs > 0) must belong to an
  // NVM subsystem ("subsystem is required for the use of SR-IOV"), a bus-less nvme-subsys device.
  if (driver === 'nvme' && props.sriov_max_vfs !== undefined && props.sriov_max_vfs !== '0') return { args: ['-device', `nvme-subsys,id=${node}`], option: ['subsys', node] };
  if (kind === 'block') return { args: ['-blockdev', `driver=null-co,node-name=${node},read-zeroes=on`], option: ['drive', node] };
  // restrict=on: the guest can reach nothing outside (net/slirp.c); the NIC has a peer, so QEMU
  // does not warn and the link is up as on a real host.
  if (kind === 'net') return { args: ['-netdev', `user,id=${node},restrict=on`], option: ['netdev', node] };
  return undefined;
}

/**
 * `--qemu-device` values in order: built-in names expand to the device behind its own root port
 * (as before), anything else is a -device string. `listedBefore`: devices these follow (a
 * --topology file's), checked with them as one list (checkTopology).
 */
export function parseTopology(values: readonly string[], o: { readonly listedBefore?: readonly TopologyDevice[] } = {}): QemuTopology {
  if (values.length === 0) throw new QemuDeviceError('bad-topology', `no device given: pass --qemu-device ARGS (a QEMU -device string, or one of ${REAL_DEVICE_NAMES.join(', ')}) or --topology FILE.`);
  const devices: TopologyDevice[] = [];
  values.forEach((v, i) => {
    const name = v.trim();
    if (/^[a-z0-9-]+$/.test(name) && isBuiltin(name)) {
      const [ep] = parseRealDevices(name);
      devices.push({ driver: 'pcie-root-port', id: `rp-${ep!.id}`, guestDriver: { kind: 'auto' }, source: name });
      // Exactly the device the shortcut always meant (no backend), so old results stay comparable.
      devices.push({ ...ep!, bus: `rp-${ep!.id}`, guestDriver: { kind: 'auto' }, source: name });
      return;
    }
    devices.push(parseDeviceString(v, i));
  });
  checkTopology([...(o.listedBefore ?? []), ...devices], o.listedBefore?.length ?? 0);
  return { devices };
}

/**
 * What holds for the whole device list, whose first `fromFile` came from a --topology file: unique
 * ids, every bus= a device listed before (QEMU resolves it when it creates the device; deviceArgs
 * checks it again for DeviceSpecs that never pass through here), and only functions Linux scans.
 */
function checkTopology(devices: readonly TopologyDevice[], fromFile: number): void {
  const seen = new Set<string>();
  for (const [i, d] of devices.entries()) {
    if (seen.has(d.id)) {
      const inFile = i >= fromFile && devices.findIndex((x) => x.id === d.id) < fromFile;
      throw new QemuDeviceError('bad-topology', inFile ? `device id "${d.id}" is in both --topology and --qemu-device: rename one.` : `device id "${d.id}" is used twice (in "${d.source}"): give each device its own id=.`, { id: d.id });
    }
    if (d.bus !== undefined && d.bus !== 'pcie.0' && !seen.has(d.bus)) throw new QemuDeviceError('bad-topology', `device ${d.id} (in "${d.source}") sits on bus "${d.bus}", which is not the id of a port or bridge listed before it: list that port first, or use bus=pcie.0.`, { id: d.id, bus: d.bus });
    seen.add(d.id);
  }
  checkScanned(devices);
}

/**
 * Functions Linux would never enumerate, refused before anything boots (the guest kernels could
 * not save them; a second nvme below one root port, on 6.12: the guest module's pci_save_state
 * found no device, -ENODEV). drivers/pci/probe.c pci_scan_slot, in every kernel lusim models:
 *
 * - a PCIe Root Port or Downstream Port leads to a link with only device 0 on it, and Linux scans
 *   only device 0 below one (`only_one_child(bus) && devfn > 0`; pcie_downstream_port() since v5.2);
 * - a slot is scanned from function 0, and one without it is skipped ("function 0 is required",
 *   hypervisor_isolated_pci_functions() aside, which no q35 guest sets).
 *
 * A device without addr= takes the first slot whose function 0 is free (hw/pci/pci.c
 * do_pci_register_device), as simulated here below ports; on pcie.0, whose slots q35's own
 * devices share, only the addresses given count.
 */
function checkScanned(devices: readonly TopologyDevice[]): void {
  const ports = new Map(devices.filter((d) => SLOT_PORTS.has(d.driver)).map((d) => [d.id, d]));
  const taken = new Map<string, Set<number>>();
  const takenOn = (bus: string) => taken.get(bus) ?? taken.set(bus, new Set()).get(bus)!;
  const given = devices.map((d) => ({ d, bus: d.bus ?? 'pcie.0', devfn: d.addr !== undefined ? parseAddr(d.addr) : undefined }));
  for (const g of given) if (g.devfn !== undefined) takenOn(g.bus).add(g.devfn);
  const placed = given.map((g) => {
    if (g.devfn !== undefined || !ports.has(g.bus)) return g;
    let at = 0;
    while (takenOn(g.bus).has(at)) at += 8;
    takenOn(g.bus).add(at);
    return { ...g, devfn: at };
  });
  for (const { d, bus, devfn } of placed) {
    if (devfn === undefined) continue;
    const port = ports.get(bus);
    if (port && devfn >> 3 !== 0) {
      throw new QemuDeviceError('bad-topology', `device ${d.id} (in "${d.source}") would sit at slot ${devfn >> 3} below ${port.driver} ${port.id}: Linux scans only device 0 below a PCIe Root or Downstream Port (probe.c only_one_child), so no kernel would see it; put it behind a port of its own, or make it a function of a multifunction device at slot 0 (addr=0.N)`, { id: d.id, bus });
    }
    if ((devfn & 7) !== 0 && !takenOn(bus).has(devfn & ~7)) {
      const slot = (devfn >> 3).toString(16);
      throw new QemuDeviceError('bad-topology', `device ${d.id} (in "${d.source}") is function ${devfn & 7} of slot ${slot} on ${bus}, which has no function 0: Linux scans a slot from function 0 (probe.c pci_scan_slot), so no kernel would see it; add function 0 (addr=${slot}.0,multifunction=on)`, { id: d.id, bus });
    }
  }
}

/** QEMU's addr= property: "slot[.function]", hex (hw/core/qdev-properties-system.c set_pci_devfn); undefined if unreadable (QEMU says so). */
function parseAddr(addr: string): number | undefined {
  const m = /^([0-9a-fA-F]{1,2})(?:\.([0-7]))?$/.exec(addr);
  return m ? (parseInt(m[1], 16) << 3) | Number(m[2] ?? 0) : undefined;
}

function isBuiltin(name: string): boolean {
  try {
    parseRealDevices(name);
    return true;
  } catch {
    return false;
  }
}

/**
 * A topology file: one -device string (or built-in name) per line; blank lines and lines starting
 * with '#' are ignored. The line number is in every error.
 */
export function readTopologyFile(path: string): QemuTopology {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new QemuDeviceError('bad-topology', `cannot read topology file ${path}: ${(e as Error).message}`, { path });
  }
  return parseTopologyText(text, path);
}

export function parseTopologyText(text: string, where = 'topology'): QemuTopology {
  const lines = text.split('\n').map((l, i) => ({ l: l.trim(), n: i + 1 })).filter((x) => x.l !== '' && !x.l.startsWith('#'));
  if (lines.length === 0) throw new QemuDeviceError('bad-topology', `${where} lists no device: write one QEMU -device string per line.`, { where });
  try {
    return parseTopology(lines.map((x) => x.l));
  } catch (e) {
    if (!(e instanceof QemuDeviceError)) throw e;
    const hit = lines.find((x) => e.message.includes(`"${x.l}"`));
    throw new QemuDeviceError(e.code, hit ? `${where}:${hit.n}: ${e.message}` : `${where}: ${e.message}`, { ...e.details, where, line: hit?.n });
  }
}
