/**
 * What a BAR's low dword says of the BAR (probe.c decode_bar): a memory BAR of type 64 takes the
 * next dword as its upper half. The one predicate for every BAR walk (firmware assignment,
 * pci_read_bases, pci_enable_resources, the header's register layout).
 */
import { PCI_BASE_ADDRESS_MEM_TYPE_64, PCI_BASE_ADDRESS_MEM_TYPE_MASK, PCI_BASE_ADDRESS_SPACE_IO } from './pci-regs.js';

export const isMem64Bar = (lo: number): boolean => !(lo & PCI_BASE_ADDRESS_SPACE_IO) && (lo & PCI_BASE_ADDRESS_MEM_TYPE_MASK) === PCI_BASE_ADDRESS_MEM_TYPE_64;
