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
import type { KexecPrediction, ModelledFunction } from './post-kexec.js';

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

const configWrites = (log: WriteLog, prefix = ''): AttributedWrite[] => log.writes.filter((w) => w.space === 'config').map((w) => ({ step: `${prefix}${w.fn}`, offset: w.offset, width: w.width }));

async function bindDriver(access: FunctionAccess, b: DriverBinding): Promise<{ writes: WriteLogEntry[]; attributed: AttributedWrite[]; notes: string[]; classDriverFrom?: number }> {
  const writes: WriteLogEntry[] = [];
  let classDriverFrom: number | undefined;
  const attributed: AttributedWrite[] = [];
  const notes: string[] = [];
  if (b.driver) {
    const noVectors = b.driver === 'virtio-pci' && b.virtioClassDriver === false;
    const driver = b.driver === 'pcieport' || b.driver === 'nvme' ? b.driver : b.driver === 'virtio-pci' ? 'virtio' : 'other';
    const probe = await driverProbe(access, { kernel: b.kernel, driver, ...(noVectors ? { irq: 'intx' as const } : {}) });
    if (probe.classDriverFrom !== undefined) classDriverFrom = probe.classDriverFrom;
    writes.push(...probe.log.writes);
    attributed.push(...configWrites(probe.log, `${b.driver}:`));
    notes.push(`${b.driver} bound: its probe modelled by driverProbe (${probe.irq}, ${probe.vectors.length} vectors)`);
  }
  if (b.enabledBelow) {
    const en = await pciEnableBridge(access);
    writes.push(...en.writes);
    attributed.push(...configWrites(en));
  }
  return { writes, attributed, notes, ...(classDriverFrom !== undefined ? { classDriverFrom } : {}) };
}

/**
 * The prediction once the kernel enumerated the function (`log`: its steps so far, split where
 * the kernels change) and the driver in `b` bound: config and MSI-X table as the model ends,
 * every write, each config write with its step, and the notes (the binding's with `notePrefix`).
 */
export async function predictionAfterBinding(m: ModelledFunction, log: WriteLog, b: DriverBinding, split: KexecPrediction['split'], notePrefix = ''): Promise<KexecPrediction> {
  const bound = await bindDriver(m.access, b);
  const attributed = [...configWrites(log), ...bound.attributed];
  return {
    config: m.fn.space.snapshot(), msixTable: m.msix?.table.snapshot(), writes: [...log.writes, ...bound.writes], attributed,
    steps: attributed.map((w) => `${w.step}@0x${w.offset.toString(16)}`),
    notes: [...log.notes.map((n) => `${n.step}: ${n.why}`), ...bound.notes.map((n) => `${notePrefix}${n}`)],
    ...(split ? { split: bound.classDriverFrom !== undefined ? { ...split, classDriver: log.writes.length + bound.classDriverFrom } : split } : {}),
  };
}
