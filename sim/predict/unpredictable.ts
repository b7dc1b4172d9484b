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
 */
import { readLE } from '../../devices/bytes.js';
import { walkCapabilities } from '../../devices/walker.js';
import { PCI_CAP_ID_MSI, PCI_MSI_FLAGS_ENABLE } from '../../devices/pci-regs.js';

export type UnpredictableClass = 'vector-allocator';

export const UNPREDICTABLE_CLASSES: Readonly<Record<UnpredictableClass, string>> = {
  'vector-allocator': 'MSI Message Address/Data of an enabled MSI: chosen by the x86 vector allocator at run time',
};

/** The 'vector-allocator' registers (while MSI is enabled). */
export const MSI_MESSAGE: ReadonlySet<string> = new Set(['PCI_MSI_ADDRESS_LO', 'PCI_MSI_ADDRESS_HI', 'PCI_MSI_DATA_32', 'PCI_MSI_DATA_64']);

/**
 * The class of `register` in `config` (the state it ends in), or undefined when predictable.
 */
export function unpredictableClass(register: string, config: Uint8Array, offset: number, msiCap?: number): UnpredictableClass | undefined {
  if (!MSI_MESSAGE.has(register)) return undefined;
  const cap = msiCap ?? findMsiCap(config);
  if (cap === undefined || offset < cap) return undefined;
  return (readLE(config, cap + 2, 2) & PCI_MSI_FLAGS_ENABLE) !== 0 ? 'vector-allocator' : undefined;
}

function findMsiCap(config: Uint8Array): number | undefined {
  return walkCapabilities(config).capabilities.find((c) => !c.extended && c.id === PCI_CAP_ID_MSI && !c.overlaps)?.offset;
}
