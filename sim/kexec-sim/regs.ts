/**
 * Kernel constants the kexec steps use that pci_regs.h does not define; they are built from the
 * pci_regs.h bits in devices/pci-regs.ts.
 */
import { PCI_EXP_DEVCTL_CERE, PCI_EXP_DEVCTL_FERE, PCI_EXP_DEVCTL_NFERE, PCI_EXP_DEVCTL_URRE } from '../../devices/pci-regs.js';

/** drivers/pci/pcie/aer.c PCI_EXP_AER_FLAGS: the four error reporting enables. */
export const PCI_EXP_AER_FLAGS = PCI_EXP_DEVCTL_CERE | PCI_EXP_DEVCTL_NFERE | PCI_EXP_DEVCTL_FERE | PCI_EXP_DEVCTL_URRE;

