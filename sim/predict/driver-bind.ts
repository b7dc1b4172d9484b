/**
 * What binding a driver does to a function after its kernel enumerated it, for both boots the
 * model predicts (kernel A's from the firmware's state, sim/predict/boot.ts; kernel B's after a
 * kexec, sim/predict/post-kexec.ts): the driver's probe (driverProbe: pci_enable_device,
 * pci_set_master, MSI-X/MSI; pcieport as pcie_port_device_register), then pci_enable_bridge on a
 * bridge when a driver below it enables its device.
 */
import type { FunctionAccess } from '../../devices/access.js';
import type { KernelProfileId } from '../linux/profile.js';
import { driverProbe, pciEnableBridge } from '../kexec-sim/index.js';
import type { WriteLogEntry } from '../write-log/entry.js';
import type { WriteLog } from '../write-log/write-log.js';

export interface DriverBinding {
  readonly kernel: KernelProfileId;
  /** The driver bound (sysfs name), or null. */
  readonly driver: string | null;
  /** A driver enables a device below this bridge (pci_enable_bridge runs on it). */
  readonly enabledBelow?: boolean;
  /**
   * virtio-pci with a virtio class driver bound (virtio_net, virtio_blk, ...): only the class
   * driver's find_vqs allocates interrupt vectors (vp_find_vqs); virtio_pci_probe alone enables
   * the device and sets bus master. Default true.
   */
  readonly virtioClassDriver?: boolean;
}

export interface AttributedWrite {
  readonly step: string;
  readonly offset: number;
  readonly width: number;
}

export const configWrites = (log: WriteLog, prefix = ''): AttributedWrite[] => log.writes.filter((w) => w.space === 'config').map((w) => ({ step: `${prefix}${w.fn}`, offset: w.offset, width: w.width }));

export async function bindDriver(access: FunctionAccess, b: DriverBinding): Promise<{ writes: WriteLogEntry[]; attributed: AttributedWrite[]; notes: string[] }> {
  const writes: WriteLogEntry[] = [];
  const attributed: AttributedWrite[] = [];
  const notes: string[] = [];
  if (b.driver) {
    const noVectors = b.driver === 'virtio-pci' && b.virtioClassDriver === false;
    const probe = await driverProbe(access, { kernel: b.kernel, driver: b.driver === 'pcieport' || b.driver === 'nvme' ? b.driver : 'other', ...(noVectors ? { irq: 'intx' as const } : {}) });
    writes.push(...probe.log.writes);
    attributed.push(...configWrites(probe.log, `${b.driver}:`));
    notes.push(`${b.driver} bound: its probe modelled by driverProbe (${probe.irq}, ${probe.vectors.length} vectors)`);
  }
  if (b.enabledBelow) {
    const en = await pciEnableBridge(access);
    writes.push(...en.writes);
    attributed.push(...configWrites(en));
  }
  return { writes, attributed, notes };
}
