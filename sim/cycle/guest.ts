/**
 * The guest driving a VFIO-owned device: what a guest driver does through vfio-pci's config and
 * BAR emulation once the device is open, modelled as the same steps a host driver takes
 * (sim/kexec-sim irq.ts): bus master on, MSI-X enabled with vectors allocated (reserved on CPU 0)
 * and requested.
 */
import type { FunctionAccess } from '../../devices/access.js';
import { kexecDev } from '../kexec-sim/dev.js';
import { msixCapabilityInit, requestIrq, x86MsiAddressLo, type MsiVector } from '../kexec-sim/irq.js';
import { stepClearAndSet, stepRead } from '../write-log/steps.js';
import { WriteLog } from '../write-log/write-log.js';
import { PCI_COMMAND, PCI_COMMAND_MASTER } from '../../devices/pci-regs.js';

export async function guestConfigure(fn: FunctionAccess, vectors = 3, log = new WriteLog()): Promise<{ log: WriteLog; vectors: MsiVector[] }> {
  const d = await kexecDev(fn, log);
  await stepClearAndSet(d, 'guest: pci_set_master', PCI_COMMAND, 2, 0, PCI_COMMAND_MASTER, 'the guest driver does DMA');
  if (!d.msixCap || !fn.bars) return { log, vectors: [] };
  const size = ((await stepRead(d, d.msixCap + 2, 2)) & 0x7ff) + 1;
  const vs: MsiVector[] = Array.from({ length: Math.min(size, vectors) }, (_, i) => ({ index: i, addressLo: 0xfee00000, addressHi: 0, data: 0x30 + i }));
  await msixCapabilityInit(d, vs, x86MsiAddressLo('physical', 0));
  for (const v of vs) await requestIrq(d, 'msix', v);
  return { log, vectors: vs };
}
