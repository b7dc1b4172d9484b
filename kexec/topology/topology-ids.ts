/**
 * The identity of every function a topology creates, read from QEMU itself before any guest boots:
 * a hermetic (-S) instance of the same -device list, bridges numbered and ECAM enabled as firmware
 * would (kexec/qemu/pci-topology.ts preparePci). Multifunction devices and bridges are covered, and the
 * ids are QEMU's own, so the module plan (kexec/guest/guest-drivers.ts) never relies on a table of what
 * QEMU devices report.
 */
import type { FunctionIds } from '../guest/guest-drivers.js';
import { withQemu, type DeviceSpec } from '../qemu/launcher.js';
import { preparePci } from '../qemu/pci-topology.js';
import { PCI_CLASS_REVISION, PCI_SUBSYSTEM_VENDOR_ID, PCI_HEADER_TYPE } from '../../devices/pci-regs.js';

export interface ProbedFunction extends FunctionIds {
  readonly bdf: string;
  readonly headerType: number;
}

export async function probeTopologyIds(devices: readonly DeviceSpec[]): Promise<ProbedFunction[]> {
  return withQemu({ devices: [...devices] }, async (q) => {
    const pci = await preparePci(q);
    const out: ProbedFunction[] = [];
    for (const f of pci.functions.values()) {
      if (f.qdevId === '') continue;
      const cfg = pci.config(f.qdevId);
      const headerType = (await cfg.readb(PCI_HEADER_TYPE)) & 0x7f;
      // Type 1 headers have no subsystem ids at 0x2c (that is the prefetchable upper base).
      const sub = headerType === 0 ? await cfg.readl(PCI_SUBSYSTEM_VENDOR_ID) : 0;
      out.push({
        id: f.qdevId, bdf: `${f.bdf.bus.toString(16).padStart(2, '0')}:${f.bdf.dev.toString(16).padStart(2, '0')}.${f.bdf.fn}`,
        vendor: f.vendor, device: f.device, subVendor: sub & 0xffff, subDevice: sub >>> 16,
        classCode: (await cfg.readl(PCI_CLASS_REVISION)) >>> 8, headerType,
      });
    }
    return out;
  }, 30_000);
}
