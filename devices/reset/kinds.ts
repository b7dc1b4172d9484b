/**
 * The reset kinds lusim models (PCIe Base r6.0 6.6):
 *  - flr:  Function Level Reset (6.6.2), initiated by PCI_EXP_DEVCTL_BCR_FLR;
 *  - pm:   the D3hot->D0 transition (5.3.1.4; PCI PM r1.2 5.4.1), a reset unless No_Soft_Reset=1;
 *  - bus:  hot reset, as a bridge's secondary bus reset (PCI_BRIDGE_CTL_BUS_RESET) delivers it;
 *  - cold: conventional reset with main power removed (6.6.1).
 */
export type ResetKind = 'flr' | 'pm' | 'bus' | 'cold';

export const RESET_KINDS: readonly ResetKind[] = ['flr', 'pm', 'bus', 'cold'];
