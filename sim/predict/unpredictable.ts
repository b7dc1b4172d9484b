/**
 * Register values no model of the kernel's PCI code can predict, because another subsystem chooses
 * them at run time. A prediction marks them, and the fidelity comparison counts them apart from
 * agreements and disagreements.
 *
 * - 'vector-allocator': an enabled MSI's Message Address and Data: the x86 vector domain picks
 *   the destination APIC and the vector (arch/x86/kernel/apic/vector.c assign_irq_vector via
 *   msi_domain_alloc_irqs; the message is composed by x86_vector_msi_compose_msg), depending on
 *   which vectors every other device took first. The model writes a plausible message
 *   (0xfee00000 | apic << 12, vector 0x22 + i), not the real one.
 * - 'resource-allocator': a bridge window (I/O, memory, prefetchable) the firmware left closed
 *   (base above limit) and the kernel opened: pci_assign_unassigned_root_bus_resources
 *   (drivers/pci/setup-bus.c) sizes every window of the hierarchy at once (pbus_size_io/_mem, with
 *   pci_hotplug_io_size/mmio_size reserved behind hotplug bridges: QEMU's root and downstream ports
 *   have hotplug slots) and places them in the host bridge's apertures in allocation order, so the
 *   addresses depend on every bridge and device of the machine, not on the function alone. Seen
 *   on every boot A here: SeaBIOS leaves the I/O window of a port with no I/O BAR below closed
 *   (0xc0/0xb0) and Linux opens a 4 KiB one (0x10/0x10, the next port 0x20/0x20).
 */
import { readLE } from '../../devices/bytes.js';
import { walkCapabilities } from '../../devices/walker.js';
import {
  PCI_CAP_ID_MSI, PCI_HEADER_TYPE, PCI_HEADER_TYPE_BRIDGE, PCI_IO_BASE, PCI_IO_BASE_UPPER16, PCI_IO_LIMIT, PCI_IO_LIMIT_UPPER16,
  PCI_IO_RANGE_TYPE_32, PCI_IO_RANGE_TYPE_MASK, PCI_MEMORY_BASE, PCI_MEMORY_LIMIT, PCI_MSI_FLAGS_ENABLE, PCI_PREF_BASE_UPPER32,
  PCI_PREF_LIMIT_UPPER32, PCI_PREF_MEMORY_BASE, PCI_PREF_MEMORY_LIMIT, PCI_PREF_RANGE_TYPE_64, PCI_PREF_RANGE_TYPE_MASK,
} from '../../devices/pci-regs.js';

export type UnpredictableClass = 'vector-allocator' | 'resource-allocator';

export const UNPREDICTABLE_CLASSES: Readonly<Record<UnpredictableClass, string>> = {
  'vector-allocator': 'MSI Message Address/Data of an enabled MSI: chosen by the x86 vector allocator at run time',
  'resource-allocator': 'a bridge window the function started with closed: opened and placed by the kernel\'s resource allocator (setup-bus.c) for the whole hierarchy',
};

/** The 'vector-allocator' registers (while MSI is enabled). */
export const MSI_MESSAGE: ReadonlySet<string> = new Set(['PCI_MSI_ADDRESS_LO', 'PCI_MSI_ADDRESS_HI', 'PCI_MSI_DATA_32', 'PCI_MSI_DATA_64']);

/** A type-1 header's windows, each as [base, limit] from its registers (PCI-to-PCI Bridge spec 3.2.5.6-9). */
const WINDOWS: readonly { readonly registers: readonly string[]; readonly range: (b: Uint8Array) => readonly [number, number] }[] = [
  {
    registers: ['PCI_IO_BASE', 'PCI_IO_LIMIT', 'PCI_IO_BASE_UPPER16', 'PCI_IO_LIMIT_UPPER16'],
    range: (b) => {
      const io32 = (b[PCI_IO_BASE]! & PCI_IO_RANGE_TYPE_MASK) === PCI_IO_RANGE_TYPE_32;
      const hi = (off: number) => (io32 ? readLE(b, off, 2) * 0x10000 : 0);
      return [hi(PCI_IO_BASE_UPPER16) + ((b[PCI_IO_BASE]! & 0xf0) << 8), hi(PCI_IO_LIMIT_UPPER16) + ((b[PCI_IO_LIMIT]! & 0xf0) << 8) + 0xfff];
    },
  },
  {
    registers: ['PCI_MEMORY_BASE', 'PCI_MEMORY_LIMIT'],
    range: (b) => [(readLE(b, PCI_MEMORY_BASE, 2) & 0xfff0) * 0x10000, (readLE(b, PCI_MEMORY_LIMIT, 2) & 0xfff0) * 0x10000 + 0xfffff],
  },
  {
    registers: ['PCI_PREF_MEMORY_BASE', 'PCI_PREF_MEMORY_LIMIT', 'PCI_PREF_BASE_UPPER32', 'PCI_PREF_LIMIT_UPPER32'],
    range: (b) => {
      const pref64 = (b[PCI_PREF_MEMORY_BASE]! & PCI_PREF_RANGE_TYPE_MASK) === PCI_PREF_RANGE_TYPE_64;
      const hi = (off: number) => (pref64 ? readLE(b, off, 4) * 2 ** 32 : 0);
      return [hi(PCI_PREF_BASE_UPPER32) + (readLE(b, PCI_PREF_MEMORY_BASE, 2) & 0xfff0) * 0x10000, hi(PCI_PREF_LIMIT_UPPER32) + (readLE(b, PCI_PREF_MEMORY_LIMIT, 2) & 0xfff0) * 0x10000 + 0xfffff];
    },
  },
];

function closedWindow(register: string, before: Uint8Array): boolean {
  if ((before[PCI_HEADER_TYPE]! & 0x7f) !== PCI_HEADER_TYPE_BRIDGE) return false;
  const w = WINDOWS.find((x) => x.registers.includes(register));
  if (!w) return false;
  const [base, limit] = w.range(before);
  return base > limit;
}

/**
 * The class of `register` in `config` (the state it ends in), or undefined when predictable.
 * `before` is the state the function started from (a window closed there may be opened).
 */
export function unpredictableClass(register: string, config: Uint8Array, offset: number, o: { readonly msiCap?: number; readonly before?: Uint8Array } = {}): UnpredictableClass | undefined {
  if (o.before && closedWindow(register, o.before)) return 'resource-allocator';
  if (!MSI_MESSAGE.has(register)) return undefined;
  const msiCap = o.msiCap;
  const cap = msiCap ?? findMsiCap(config);
  if (cap === undefined || offset < cap) return undefined;
  return (readLE(config, cap + 2, 2) & PCI_MSI_FLAGS_ENABLE) !== 0 ? 'vector-allocator' : undefined;
}

function findMsiCap(config: Uint8Array): number | undefined {
  return walkCapabilities(config).capabilities.find((c) => !c.extended && c.id === PCI_CAP_ID_MSI && !c.overlaps)?.offset;
}
