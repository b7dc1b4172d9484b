/**
 * A small synthetic-device builder for the sim/linux step tests: header bytes, a chained standard
 * and extended capability list, and a ConfigSpace compiled from a minimal header table plus any
 * extra registers (compileLayout with unclaimed bytes from 0x40 as scratch). To be replaced by
 * devices/device.ts once the capability tables land.
 */
import type { BarAccess, ConfigAccess, FunctionAccess, Width } from '../../../../devices/access.js';
import { compileLayout } from '../../../../devices/compile.js';
import { ConfigSpace } from '../../../../devices/config-space.js';
import { f, r, whole, type RegisterDef } from '../../../../devices/registers.js';

export interface SynthCap {
  readonly id: number;
  readonly at: number;
}

export interface SynthSpec {
  readonly headerType?: 0 | 1;
  /** PCIe capability: at 0x40 unless `at` is given; FLAGS = version | type << 4 | slot. */
  readonly pcie?: { readonly type: number; readonly version?: number; readonly slot?: boolean; readonly at?: number };
  readonly std?: readonly SynthCap[];
  readonly ext?: readonly SynthCap[];
  /** Initial register values: [offset, width, value]. */
  readonly init?: readonly (readonly [number, Width, number])[];
  /** Extra absolute registers (e.g. RW1C status) compiled with the header table. */
  readonly registers?: readonly RegisterDef[];
  readonly size?: 256 | 4096;
}

function headerTable(type: 0 | 1): RegisterDef[] {
  const common: RegisterDef[] = [
    whole('PCI_VENDOR_ID', 0x00, 2, 'RO'),
    whole('PCI_DEVICE_ID', 0x02, 2, 'RO'),
    whole('PCI_COMMAND', 0x04, 2, 'RW'),
    r('PCI_STATUS', 0x06, 2, [f('PCI_STATUS_CAP_LIST', 4, 'RO'), f('PCI_STATUS_DETECTED_PARITY', 15, 'RW1C')]),
    whole('PCI_CLASS_REVISION', 0x08, 4, 'RO'),
    whole('PCI_CACHE_LINE_SIZE', 0x0c, 1, 'RW'),
    whole('PCI_LATENCY_TIMER', 0x0d, 1, 'RW'),
    whole('PCI_HEADER_TYPE', 0x0e, 1, 'RO'),
    whole('PCI_BIST', 0x0f, 1, 'RO'),
    whole('PCI_CAPABILITY_LIST', 0x34, 1, 'RO'),
    whole('PCI_INTERRUPT_LINE', 0x3c, 1, 'RW'),
    whole('PCI_INTERRUPT_PIN', 0x3d, 1, 'RO'),
  ];
  if (type === 0) {
    return [
      ...common,
      ...[0x10, 0x14, 0x18, 0x1c, 0x20, 0x24].map((o, i) => whole(`PCI_BASE_ADDRESS_${i}`, o, 4, 'RW')),
      whole('PCI_SUBSYSTEM_VENDOR_ID', 0x2c, 4, 'RO'),
      whole('PCI_ROM_ADDRESS', 0x30, 4, 'RW'),
    ];
  }
  return [
    ...common,
    ...[0x10, 0x14, 0x18, 0x1c, 0x20, 0x24, 0x28, 0x2c, 0x30, 0x38].map((o) => whole(`PCI_BRIDGE_DW_${o.toString(16)}`, o, 4, 'RW')),
    whole('PCI_BRIDGE_CONTROL', 0x3e, 2, 'RW'),
  ];
}

export interface SynthDevice {
  readonly space: ConfigSpace;
  readonly access: FunctionAccess;
}

export function buildSynthetic(spec: SynthSpec): SynthDevice {
  const size = spec.size ?? 4096;
  const type = spec.headerType ?? 0;
  const bytes = new Uint8Array(size);
  const put = (o: number, w: Width, v: number): void => { for (let i = 0; i < w; i++) bytes[o + i] = (v >>> (8 * i)) & 0xff; };
  put(0x00, 2, 0x1b36);
  put(0x02, 2, 0x0001);
  put(0x0e, 1, type);
  const std: SynthCap[] = [];
  if (spec.pcie) std.push({ id: 0x10, at: spec.pcie.at ?? 0x40 });
  std.push(...(spec.std ?? []));
  if (std.length) {
    put(0x06, 2, 0x0010); // PCI_STATUS_CAP_LIST
    put(0x34, 1, std[0].at);
    std.forEach((c, i) => { put(c.at, 1, c.id); put(c.at + 1, 1, std[i + 1]?.at ?? 0); });
  }
  if (spec.pcie) {
    const p = spec.pcie;
    put((p.at ?? 0x40) + 2, 2, (p.version ?? 2) | (p.type << 4) | (p.slot ? 0x100 : 0));
  }
  const ext = spec.ext ?? [];
  ext.forEach((c, i) => put(c.at, 4, (c.id | (1 << 16) | ((ext[i + 1]?.at ?? 0) << 20)) >>> 0));
  for (const [o, w, v] of spec.init ?? []) put(o, w, v);
  const layout = compileLayout(size, [...headerTable(type), ...(spec.registers ?? [])], { kind: 'scratch', from: 0x40 });
  const space = new ConfigSpace(bytes, layout);
  return { space, access: { config: space.access() } };
}

/** BAR memory as a sparse map of dwords (the MSI-X table). */
export function memoryBars(): BarAccess & { readonly mem: Map<string, number> } {
  const mem = new Map<string, number>();
  return {
    mem,
    readl: async (bar, o) => mem.get(`${bar}:${o}`) ?? 0,
    writel: async (bar, o, v) => { mem.set(`${bar}:${o}`, v >>> 0); },
  };
}

/**
 * A config space that drops every write and whose reads return `read(offset)`: makes
 * pci_restore_config_space write every dword and exhaust its retries.
 */
export function deafAccess(read: (offset: number, width: Width) => number): ConfigAccess {
  return {
    size: 4096,
    readb: async (o) => read(o, 1),
    readw: async (o) => read(o, 2),
    readl: async (o) => read(o, 4),
    writeb: async () => {},
    writew: async () => {},
    writel: async () => {},
  };
}
