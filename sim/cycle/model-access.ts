/**
 * The model backend for a cycle: a modelled function's config space plus, when it has MSI-X, the
 * table and PBA modelled in their BAR (devices/msix-table.ts), as one FunctionAccess.
 */
import type { FunctionAccess } from '../../devices/access.js';
import { capabilityById } from '../../devices/capability-lookup.js';
import { PCI_CAP_ID_MSIX } from '../../devices/pci-regs.js';
import type { PciFunction } from '../../devices/device.js';
import { DeviceError } from '../../devices/errors.js';
import { MsixBarModel, msixGeometry } from '../../devices/msix-table.js';

export interface ModelUnderTest {
  readonly fn: PciFunction;
  readonly access: FunctionAccess;
  readonly msix: MsixBarModel | undefined;
}

export function modelUnderTest(fn: PciFunction): ModelUnderTest {
  const cap = capabilityById(fn, PCI_CAP_ID_MSIX, false);
  let msix: MsixBarModel | undefined;
  if (cap) {
    const s = fn.space;
    try {
      msix = new MsixBarModel(msixGeometry(s.read(cap.offset + 2, 2), s.read(cap.offset + 4, 4), s.read(cap.offset + 8, 4)));
    } catch (e) {
      // A malformed MSI-X capability (table overlapping its PBA) has no usable table: model config only.
      if (!(e instanceof DeviceError)) throw e;
    }
  }
  return { fn, access: msix ? { config: fn.space.access(), bars: msix } : { config: fn.space.access() }, msix };
}
