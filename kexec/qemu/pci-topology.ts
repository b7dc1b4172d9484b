/**
 * What firmware would do to the PCI hierarchy before lusim can reach devices in a hermetic (-S)
 * QEMU: number the bridges, enable ECAM, size and assign memory BARs; plus the map from qdev ids
 * to bus/device/function through QMP query-pci (qapi/pci.json, hw/pci/pci.c qmp_query_pci_device).
 */
import type { ConfigAccess } from '../../devices/access.js';
import { KexecError } from '../errors.js';
import type { QemuInstance } from './launcher.js';
import type { QmpClient } from './qmp.js';
import type { QtestClient } from './qtest.js';
import { type Bdf, QtestConfigAccess, ecamBase, enableEcam, formatBdf } from './qtest-config-access.js';
import {
  PCI_BASE_ADDRESS_0, PCI_BASE_ADDRESS_MEM_PREFETCH, PCI_BASE_ADDRESS_MEM_TYPE_64, PCI_BASE_ADDRESS_SPACE_IO,
  PCI_COMMAND, PCI_COMMAND_MEMORY, PCI_HEADER_TYPE, PCI_HEADER_TYPE_BRIDGE, PCI_HEADER_TYPE_MFD,
  PCI_MEMORY_BASE, PCI_MEMORY_LIMIT, PCI_PRIMARY_BUS, PCI_ROM_ADDRESS, PCI_ROM_ADDRESS1, PCI_VENDOR_ID,
} from '../../devices/pci-regs.js';

/** Where hermetic BAR assignment starts: above q35's ECAM window (0xb0000000-0xbfffffff). */
export const HERMETIC_MMIO_BASE = 0xc0000000;
const HERMETIC_MMIO_END = 0xfec00000;
const BRIDGE_WINDOW_ALIGN = 0x100000;

export interface BarInfo {
  /** BAR index 0-5, or 6 for the expansion ROM (PCI_ROM_ADDRESS / PCI_ROM_ADDRESS1 on bridges). */
  readonly index: number;
  readonly size: number;
  readonly io: boolean;
  readonly is64: boolean;
  readonly prefetch: boolean;
}

export interface PciFunction {
  readonly bdf: Bdf;
  readonly qdevId: string;
  readonly vendor: number;
  readonly device: number;
  readonly isBridge: boolean;
  /** The bridge this function sits behind (undefined on bus 0). */
  readonly parent?: PciFunction;
  readonly children: PciFunction[];
}

/**
 * Number every bridge depth-first through CF8, the way firmware does (SeaBIOS pci_bios_init_bus_rec,
 * Linux pci_scan_bridge): secondary = next free bus, subordinate = 0xff while scanning below, then
 * the highest bus found. Writes PCI_PRIMARY_BUS as primary | secondary<<8 | subordinate<<16.
 * Returns the highest bus number used.
 */
export async function numberBridges(qtest: QtestClient): Promise<number> {
  let last = 0;
  const scan = async (bus: number): Promise<void> => {
    for (let dev = 0; dev < 32; dev++) {
      for (let fn = 0; fn < 8; fn++) {
        const cfg = QtestConfigAccess.cf8(qtest, { bus, dev, fn });
        const id = await cfg.readl(PCI_VENDOR_ID);
        if (id === 0xffffffff || id === 0) {
          if (fn === 0) break;
          continue;
        }
        const hdr = await cfg.readb(PCI_HEADER_TYPE);
        if ((hdr & 0x7f) === PCI_HEADER_TYPE_BRIDGE) {
          const secondary = ++last;
          if (secondary > 255) throw new KexecError('pci-access', 'more than 255 buses below the root; cannot number bridges.');
          await cfg.writel(PCI_PRIMARY_BUS, bus | (secondary << 8) | (0xff << 16));
          await scan(secondary);
          await cfg.writel(PCI_PRIMARY_BUS, bus | (secondary << 8) | (last << 16));
        }
        if (fn === 0 && (hdr & PCI_HEADER_TYPE_MFD) === 0) break;
      }
    }
  };
  await scan(0);
  return last;
}

interface QueryPciDevice {
  bus: number;
  slot: number;
  function: number;
  qdev_id: string;
  id: { vendor: number; device: number };
  pci_bridge?: { devices?: QueryPciDevice[] };
}

/** Every function QEMU knows, keyed by qdev id (functions without an id get their BDF as key). */
export async function listFunctions(qmp: QmpClient): Promise<Map<string, PciFunction>> {
  const buses = await qmp.execute<{ bus: number; devices: QueryPciDevice[] }[]>('query-pci');
  const out = new Map<string, PciFunction>();
  const walk = (devices: QueryPciDevice[], parent?: PciFunction): void => {
    for (const d of devices) {
      const bdf = { bus: d.bus, dev: d.slot, fn: d.function };
      const f: PciFunction = { bdf, qdevId: d.qdev_id, vendor: d.id.vendor, device: d.id.device, isBridge: d.pci_bridge !== undefined, parent, children: [] };
      parent?.children.push(f);
      out.set(d.qdev_id || formatBdf(bdf), f);
      if (d.pci_bridge?.devices) walk(d.pci_bridge.devices, f);
    }
  };
  for (const b of buses) walk(b.devices);
  return out;
}

/**
 * Size every BAR the way Linux's __pci_read_base does: write all-ones, read back, restore the
 * original value. Memory decode is turned off meanwhile so the half-written BAR is never mapped.
 */
export async function probeBars(cfg: ConfigAccess): Promise<BarInfo[]> {
  const bridge = ((await cfg.readb(PCI_HEADER_TYPE)) & 0x7f) === PCI_HEADER_TYPE_BRIDGE;
  const count = bridge ? 2 : 6;
  const cmd = await cfg.readw(PCI_COMMAND);
  await cfg.writew(PCI_COMMAND, cmd & ~PCI_COMMAND_MEMORY & ~0x1);
  const bars: BarInfo[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const off = PCI_BASE_ADDRESS_0 + 4 * i;
      const orig = await cfg.readl(off);
      await cfg.writel(off, 0xffffffff);
      const lo = await cfg.readl(off);
      await cfg.writel(off, orig);
      if (lo === 0) continue;
      if (lo & PCI_BASE_ADDRESS_SPACE_IO) {
        const mask = (lo & ~0x3) & 0xffff;
        bars.push({ index: i, size: (~mask & 0xffff) + 1, io: true, is64: false, prefetch: false });
        continue;
      }
      const is64 = (lo & PCI_BASE_ADDRESS_MEM_TYPE_64) !== 0;
      let size: number;
      if (is64) {
        const origHi = await cfg.readl(off + 4);
        await cfg.writel(off + 4, 0xffffffff);
        const hi = await cfg.readl(off + 4);
        await cfg.writel(off + 4, origHi);
        const mask = BigInt(hi) << 32n | BigInt((lo & ~0xf) >>> 0);
        size = Number((~mask & 0xffffffffffffffffn) + 1n);
      } else {
        size = ((~(lo & ~0xf)) >>> 0) + 1;
      }
      bars.push({ index: i, size, io: false, is64, prefetch: (lo & PCI_BASE_ADDRESS_MEM_PREFETCH) !== 0 });
      if (is64) i++;
    }
    const romOff = bridge ? PCI_ROM_ADDRESS1 : PCI_ROM_ADDRESS;
    const romOrig = await cfg.readl(romOff);
    await cfg.writel(romOff, 0xfffff800);
    const rom = await cfg.readl(romOff);
    await cfg.writel(romOff, romOrig);
    if (rom & 0xfffff800) bars.push({ index: 6, size: ((~(rom & 0xfffff800)) >>> 0) + 1, io: false, is64: false, prefetch: false });
  } finally {
    await cfg.writew(PCI_COMMAND, cmd);
  }
  return bars;
}

interface Item {
  size: number;
  align: number;
  place(addr: number): Promise<void>;
}

function alignUp(v: number, a: number): number {
  return Math.ceil(v / a) * a;
}

/** Sequential placement, largest alignment first, so every item is naturally aligned. */
function layout(items: Item[]): { size: number; align: number; placeAll(base: number): Promise<void> } {
  const sorted = [...items].sort((a, b) => b.align - a.align);
  let end = 0;
  const offsets = sorted.map((it) => {
    const at = alignUp(end, it.align);
    end = at + it.size;
    return at;
  });
  return {
    size: end,
    align: sorted[0]?.align ?? 1,
    placeAll: async (base) => {
      for (let i = 0; i < sorted.length; i++) await sorted[i].place(base + offsets[i]);
    },
  };
}

/**
 * Hermetic mode: give every memory BAR below the root an address from HERMETIC_MMIO_BASE up,
 * open each bridge's memory window over its subtree, and turn on memory decode (COMMAND.MEMORY) on
 * every function that got an address. QEMU routes through a bridge by its window only
 * (hw/pci/pci_bridge.c pci_bridge_region_init), so prefetchable BARs are placed in the plain
 * memory window too. I/O BARs and ROMs are left unassigned.
 */
export async function assignBars(functions: Iterable<PciFunction>, configOf: (f: PciFunction) => ConfigAccess): Promise<void> {
  // Only devices given on the command line (they have a qdev id): the MCH and ICH9 functions
  // (0:0.0, 0:1f.x) are left as the machine made them.
  const roots = [...functions].filter((f) => f.parent === undefined && f.qdevId !== '');
  const itemsFor = async (fns: PciFunction[]): Promise<Item[]> => {
    const items: Item[] = [];
    for (const f of fns) {
      const cfg = configOf(f);
      const bars = (await probeBars(cfg)).filter((b) => !b.io && b.index < 6);
      const enable = async (): Promise<void> => cfg.writew(PCI_COMMAND, (await cfg.readw(PCI_COMMAND)) | PCI_COMMAND_MEMORY);
      for (const b of bars) {
        items.push({
          size: b.size,
          align: b.size,
          place: async (addr) => {
            await cfg.writel(PCI_BASE_ADDRESS_0 + 4 * b.index, addr >>> 0);
            if (b.is64) await cfg.writel(PCI_BASE_ADDRESS_0 + 4 * b.index + 4, Math.floor(addr / 2 ** 32));
            await enable();
          },
        });
      }
      if (f.isBridge && f.children.length > 0) {
        const inner = layout(await itemsFor(f.children));
        if (inner.size === 0) continue;
        items.push({
          size: alignUp(inner.size, BRIDGE_WINDOW_ALIGN),
          align: Math.max(BRIDGE_WINDOW_ALIGN, inner.align),
          place: async (addr) => {
            const limit = addr + alignUp(inner.size, BRIDGE_WINDOW_ALIGN) - 1;
            await cfg.writew(PCI_MEMORY_BASE, (addr >>> 16) & 0xfff0);
            await cfg.writew(PCI_MEMORY_LIMIT, (limit >>> 16) & 0xfff0);
            await enable();
            await inner.placeAll(addr);
          },
        });
      }
    }
    return items;
  };
  const top = layout(await itemsFor(roots));
  if (HERMETIC_MMIO_BASE + top.size > HERMETIC_MMIO_END) {
    throw new KexecError('pci-access', `BARs need ${top.size} bytes, more than the ${HERMETIC_MMIO_END - HERMETIC_MMIO_BASE} bytes below the IOAPIC; use fewer or smaller devices.`, { size: top.size });
  }
  await top.placeAll(HERMETIC_MMIO_BASE);
}

export interface PciView {
  readonly ecamBase: number;
  readonly functions: Map<string, PciFunction>;
  /** 4 KiB config access over ECAM for a qdev id. */
  config(id: string): QtestConfigAccess;
}

/**
 * Make the PCI hierarchy reachable and describe it. Hermetic: enable ECAM, number bridges and
 * (with `assign`) give BARs addresses. With firmware or a guest: use the PCIEXBAR and bus numbers
 * it set, and change nothing.
 */
export async function preparePci(q: QemuInstance, opts: { assign?: boolean } = {}): Promise<PciView> {
  let base = await ecamBase(q.qtest);
  if (q.hermetic) {
    base ??= await enableEcam(q.qtest);
    await numberBridges(q.qtest);
  } else if (base === null) {
    throw new KexecError('pci-access', 'ECAM is disabled (PCIEXBAR enable bit clear) on a booted guest; wait for firmware to finish or use CF8 access.');
  }
  const functions = await listFunctions(q.qmp);
  const ecam = base;
  const config = (id: string): QtestConfigAccess => {
    const f = functions.get(id);
    if (!f) throw new KexecError('pci-access', `no PCI function with id "${id}"; known: ${[...functions.keys()].join(', ')}.`, { id });
    return QtestConfigAccess.ecam(q.qtest, f.bdf, ecam);
  };
  if (q.hermetic && opts.assign) await assignBars(functions.values(), (f) => QtestConfigAccess.ecam(q.qtest, f.bdf, ecam));
  return { ecamBase: ecam, functions, config };
}
