/**
 * Host-side capture of a running guest's PCI functions through qtest: each function's 4 KiB of
 * config space over ECAM (the firmware's PCIEXBAR and bus numbers: the guest's own view) and, when
 * memory decode is on, its MSI-X table and PBA from the BAR. Nothing is written.
 *
 * The virtio PCI_CFG window's data dword is not read: an access there performs a BAR access of the
 * window's length (hw/virtio/virtio-pci.c virtio_read_config, qemu.md 2.1), which could clear ISR.
 * Its 4 bytes are reported as 0xff and listed in `skipped`.
 */
import { readMsixGeometry, pbaBytes } from '../../devices/msix-table.js';
import { walkCapabilities } from '../../devices/walker.js';
import type { QemuInstance } from '../qemu/launcher.js';
import type { PciFunction, PciView } from '../qemu/pci-topology.js';
import { ecamAddress, formatBdf, QtestBarAccess, type QtestConfigAccess } from '../qemu/qtest-config-access.js';
import {
  PCI_CAPABILITY_LIST, PCI_CAP_ID_MSIX, PCI_CAP_ID_VNDR, PCI_COMMAND, PCI_COMMAND_MEMORY,
  PCI_MSIX_ENTRY_SIZE,
} from '../../devices/pci-regs.js';

const VIRTIO_VENDOR = 0x1af4;
const VIRTIO_PCI_CAP_PCI_CFG = 5;
/** struct virtio_pci_cfg_cap: pci_cfg_data follows the 16-byte virtio_pci_cap. */
const VIRTIO_PCI_CFG_DATA = 16;

interface Counter {
  reads: number;
  bytes: number;
}

export interface MsixCapture {
  readonly cap: number;
  readonly entries: number;
  readonly tableBir: number;
  readonly tableOffset: number;
  /** The table's bytes, or null with the reason it could not be read (decode off, BAR unassigned). */
  readonly table: Uint8Array | null;
  readonly pba: Uint8Array | null;
  readonly unreadable?: string;
}

export interface FunctionCapture {
  /** qdev id (the launcher's device id). */
  readonly id: string;
  /** Bus:device.function as the guest numbered it, e.g. `01:00.0`. */
  readonly bdf: string;
  readonly vendor: number;
  readonly device: number;
  readonly isBridge: boolean;
  /** qdev id of the port above, if any. */
  readonly parent?: string;
  readonly config: Uint8Array;
  readonly msix?: MsixCapture;
  /** Config offsets not read (side effects), reported as 0xff. */
  readonly skipped: readonly number[];
  /** The -device properties QEMU started it with (some change its register behaviour: devices/profiles). */
  readonly qemuProps?: Readonly<Record<string, string>>;
}

/** Per qdev id, the properties of its `-device` argument on QEMU's command line. */
export function deviceProperties(args: readonly string[]): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  args.forEach((a, i) => {
    if (i === 0 || args[i - 1] !== '-device') return;
    const props = Object.fromEntries(a.split(',').slice(1).filter((kv) => kv.indexOf('=') > 0).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    if (props.id) out.set(props.id, props);
  });
  return out;
}

export interface Capture {
  readonly functions: readonly FunctionCapture[];
  /** Wall time of the capture (ms). */
  readonly ms: number;
  /** qtest round trips and bytes read, for throughput figures. */
  readonly reads: number;
  readonly bytes: number;
}

/**
 * The virtio PCI_CFG data dwords of a function: walk the standard capability list with single-byte
 * reads (ids, next pointers and cfg_type only, never the data dword) before any bulk read.
 */
async function virtioCfgData(cfg: QtestConfigAccess): Promise<number[]> {
  if ((await cfg.readw(0)) !== VIRTIO_VENDOR) return [];
  const out: number[] = [];
  const seen = new Set<number>();
  for (let p = (await cfg.readb(PCI_CAPABILITY_LIST)) & 0xfc; p >= 0x40 && !seen.has(p); p = (await cfg.readb(p + 1)) & 0xfc) {
    seen.add(p);
    if ((await cfg.readb(p)) === PCI_CAP_ID_VNDR && (await cfg.readb(p + 3)) === VIRTIO_PCI_CAP_PCI_CFG) out.push(p + VIRTIO_PCI_CFG_DATA);
  }
  return out.sort((a, b) => a - b);
}

/** The whole config space in as few `b64read`s as the virtio windows allow. */
async function snapshot(q: QemuInstance, ecam: number, f: PciFunction, cfg: QtestConfigAccess, counter: Counter): Promise<{ bytes: Uint8Array; skipped: number[] }> {
  const skipped = await virtioCfgData(cfg);
  const out = new Uint8Array(cfg.size).fill(0xff);
  let at = 0;
  for (const stop of [...skipped, cfg.size]) {
    if (stop > at) {
      out.set(await q.qtest.b64read(ecamAddress(ecam, f.bdf, at), stop - at), at);
      counter.reads++;
    }
    at = stop + 4;
  }
  counter.bytes += cfg.size;
  return { bytes: out, skipped };
}

async function captureMsix(q: QemuInstance, cfg: QtestConfigAccess, bytes: Uint8Array, counter: Counter): Promise<MsixCapture | undefined> {
  const cap = walkCapabilities(bytes).capabilities.find((c) => !c.extended && c.id === PCI_CAP_ID_MSIX && !c.overlaps);
  if (!cap) return undefined;
  const g = await readMsixGeometry(cfg, cap.offset);
  const base = { cap: cap.offset, entries: g.entries, tableBir: g.tableBir, tableOffset: g.tableOffset };
  const cmd = bytes[PCI_COMMAND]! | (bytes[PCI_COMMAND + 1]! << 8);
  if ((cmd & PCI_COMMAND_MEMORY) === 0) return { ...base, table: null, pba: null, unreadable: 'memory decode off (COMMAND.MEMORY clear): the BAR is not mapped' };
  const bars = new QtestBarAccess(q.qtest, cfg);
  try {
    const table = await bars.readRange(g.tableBir, g.tableOffset, g.entries * PCI_MSIX_ENTRY_SIZE);
    const pba = await bars.readRange(g.pbaBir, g.pbaOffset, pbaBytes(g.entries));
    counter.reads += 2;
    counter.bytes += table.length + pba.length;
    return { ...base, table, pba };
  } catch (e) {
    return { ...base, table: null, pba: null, unreadable: (e as Error).message };
  }
}

/**
 * Capture every function started with a qdev id (the devices lusim put on the command line), in
 * QEMU's query-pci order. The bus numbers are the ones the guest programmed.
 */
export async function captureAll(q: QemuInstance, pci: PciView): Promise<Capture> {
  const t0 = performance.now();
  const counter = { reads: 0, bytes: 0 };
  const functions: FunctionCapture[] = [];
  const mine = [...pci.functions.values()].filter((f: PciFunction) => f.qdevId !== '');
  const props = deviceProperties(q.args);
  for (const f of mine) {
    const cfg = pci.config(f.qdevId);
    const { bytes, skipped } = await snapshot(q, pci.ecamBase, f, cfg, counter);
    const msix = await captureMsix(q, cfg, bytes, counter);
    functions.push({
      id: f.qdevId,
      bdf: formatBdf(f.bdf),
      vendor: f.vendor,
      device: f.device,
      isBridge: f.isBridge,
      ...(f.parent?.qdevId ? { parent: f.parent.qdevId } : {}),
      config: bytes,
      ...(msix ? { msix } : {}),
      skipped,
      ...(props.has(f.qdevId) ? { qemuProps: props.get(f.qdevId)! } : {}),
    });
  }
  return { functions, ms: performance.now() - t0, reads: counter.reads, bytes: counter.bytes };
}

export function findCapture(c: Capture, id: string): FunctionCapture | undefined {
  return c.functions.find((f) => f.id === id);
}
