/**
 * drivers/pci/pci.c pcie_reset_flr (6.1, 6.12, 7.1): -ENOTTY with PCI_DEV_FLAGS_NO_FLR_RESET or
 * when the cached dev->devcap lacks PCI_EXP_DEVCAP_FLR; 0 in probe mode.
 */
import type { ResetProbeDevice } from './device.js';
import { CANNOT_TELL, ENOTTY, type ProbeResult } from './result.js';

export function pcieResetFlr(dev: ResetProbeDevice): ProbeResult {
  if (dev.flags.has('no-flr')) return { rc: ENOTTY, reason: 'pcie_reset_flr: PCI_DEV_FLAGS_NO_FLR_RESET set' };
  if (dev.unknown?.devcap) return { rc: CANNOT_TELL, reason: `pcie_reset_flr reads dev->devcap: ${dev.unknown.devcap}` };
  if (!dev.devcapFlr) {
    return { rc: ENOTTY, reason: dev.isPcie ? 'pcie_reset_flr: DEVCAP lacks PCI_EXP_DEVCAP_FLR' : 'pcie_reset_flr: not PCIe (dev->devcap is 0)' };
  }
  return { rc: 0, reason: 'pcie_reset_flr: DEVCAP has PCI_EXP_DEVCAP_FLR' };
}
