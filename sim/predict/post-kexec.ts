/**
 * What the model says a function's config space is after kernel A's shutdown, the kexec, kernel
 * B's enumeration and kernel B's driver probe: the prediction `lusim predict` prints and that
 * the real run (kexec/run/real-model.ts) compares with QEMU.
 *
 * Steps, in the order the kernels run them: the driver A had bound runs its ->shutdown, then
 * pci_device_shutdown clears bus master unless the device is preserved (sim/kexec-sim
 * kernelShutdown); kernel B enumerates (kernelEnumerate via simulateKexec, sriov_init at its
 * place: sim/linux/iov.ts pciIovInitAt), and on a bridge B's bus scan (kernelScanBridge: both
 * pci_scan_bridge_extend passes, what scanning the bus below writes to it, pci_setup_bridge); if B binds a driver,
 * its probe (driverProbe: pci_enable_device, pci_set_master, MSI-X/MSI; pcieport as
 * pcie_port_device_register); if B enables a device below a bridge, pci_enable_bridge on it.
 * No firmware runs across a kexec, and B's enumeration ran once already: the probe is the
 * driver's own writes only (QEMU's trace of B's boot has no second enumeration).
 */
import type { FunctionAccess } from '../../devices/access.js';
import { buildFunction, type PciFunction } from '../../devices/device.js';
import type { DumpDevice } from '../../devices/dump/types.js';
import { MsixBarModel, msixGeometry } from '../../devices/msix-table.js';
import { profileForDump } from '../../devices/profiles/index.js';
import { walkCapabilities } from '../../devices/walker.js';
import type { KernelProfileId } from '../linux/profile.js';
import { KEXEC_VERSION_DATA, kernelScanBridge, probeAboveWalk, removeAboveWalk, simulateKexec, type BelowBridge, type PlatformOptions, type ShutdownDriver } from '../kexec-sim/index.js';
import { predictionAfterBinding, type AttributedWrite } from './driver-bind.js';
import type { WriteLogEntry } from '../write-log/entry.js';
import type { WriteLog } from '../write-log/write-log.js';
import { pciIovInitAt } from '../linux/iov.js';
import { PCI_CAP_ID_MSIX } from '../../devices/pci-regs.js';

export interface ModelledFunction {
  readonly fn: PciFunction;
  readonly access: FunctionAccess;
  readonly msix: MsixBarModel | undefined;
}

/**
 * A model of a dumped function (QEMU 7.2 register behaviour for QEMU devices: profile 'auto'), with
 * its MSI-X table if known, and the QEMU -device properties it was started with if known.
 */
export function modelFunction(dump: DumpDevice, msixTable?: { tableBytes: Uint8Array; pbaBytes: Uint8Array }, qemuProps?: Readonly<Record<string, string>>): ModelledFunction {
  const fn = buildFunction(dump, profileForDump(dump, 'auto', qemuProps));
  const cap = walkCapabilities(dump.bytes).capabilities.find((c) => !c.extended && c.id === PCI_CAP_ID_MSIX && !c.overlaps);
  let msix: MsixBarModel | undefined;
  if (cap) {
    const s = fn.space;
    msix = new MsixBarModel(msixGeometry(s.read(cap.offset + 2, 2), s.read(cap.offset + 4, 4), s.read(cap.offset + 8, 4)), msixTable ?? {});
  }
  return { fn, access: msix ? { config: fn.space.access(), bars: msix } : { config: fn.space.access() }, msix };
}

/** Linux driver names (sysfs driver link) to the ->shutdown the model knows. */
export function shutdownDriverFor(driver: string | null): ShutdownDriver {
  switch (driver) {
    case 'nvme': return 'nvme';
    case 'e1000e': return 'e1000e';
    case 'virtio-pci': return 'virtio';
    case 'xhci_hcd': return 'xhci';
    case 'pcieport': return 'pcieport';
    default: return 'none';
  }
}

export interface PostKexecOptions {
  readonly from: KernelProfileId;
  readonly to: KernelProfileId;
  /** Drivers bound (sysfs names) in kernel A before the kexec and in kernel B after it. */
  readonly driverA: string | null;
  readonly driverB: string | null;
  /** Preserved for Live Update: bus master survives A's shutdown. */
  readonly preserved?: boolean;
  /** A driver in kernel B enables a device below this bridge (pci_enable_bridge runs on it). */
  readonly enabledBelow?: boolean;
  /**
   * virtio-pci in kernel B with a virtio class driver bound (virtio_net, virtio_blk, ...): only the
   * class driver's find_vqs allocates interrupt vectors (vp_find_vqs); virtio_pci_probe alone
   * enables the device and sets bus master. Default true.
   */
  readonly virtioClassDriverB?: boolean;
  /** The port above as kernel A left it (sriov_init reads its ARI Forwarding Enable). */
  readonly parent?: FunctionAccess;
  /** An SR-IOV PF precedes the function on its bus (sriov_init then sets no ARI: sim/linux/iov.ts pciIovInit). */
  readonly physfnBefore?: boolean;
  /** For a bridge: the first function on its secondary bus, as kernel A left it (kernel B's bus scan reads it: kernelScanBridge). */
  readonly below?: BelowBridge;
  /** What enumeration reads above the function (default: a q35 pcie-root-port, DEFAULT_PLATFORM). */
  readonly platform?: Partial<PlatformOptions>;
  /**
   * Kernel A's shutdown of a Root Port above walks the bus below it after the function's own
   * shutdown (device_shutdown runs children first; v6.1 aer_remove: removeWalksBelow).
   */
  readonly walkedFromAboveAtShutdown?: boolean;
  /** Kernel B's probe of that Root Port walks the bus again, after the function's enumeration and before its driver binds (v6.1 aer_enable_rootport). */
  readonly walkedFromAboveAtProbe?: boolean;
}

export interface KexecPrediction {
  readonly config: Uint8Array;
  readonly msixTable: Uint8Array | undefined;
  /** Every write as the one write log records it (sim/write-log), to set beside QEMU's trace. */
  readonly writes: readonly WriteLogEntry[];
  /** The config writes in order, each with its kernel step (a driver's probe steps prefixed `driver:`). */
  readonly attributed: readonly AttributedWrite[];
  /** Kernel functions the prediction ran, with the registers they wrote (step@offset). */
  readonly steps: readonly string[];
  readonly notes: readonly string[];
  /**
   * Where `writes` changes kernel: the first `shutdown` are kernel A's shutdown, the next
   * `enumeration` kernel B's enumeration, the rest kernel B's driver probe (and the bridge enable).
   * Absent for an unbind prediction (kexec/run/real-model.ts predictUnbind), which is one step.
   */
  readonly split?: {
    readonly shutdown: number;
    readonly enumeration: number;
    /** virtio-pci: where in `writes` the virtio class driver's find_vqs begins (DriverConfigureResult.classDriverFrom). */
    readonly classDriver?: number;
  };
}

export async function predictAfterKexec(m: ModelledFunction, o: PostKexecOptions): Promise<KexecPrediction> {
  let shutdown = 0;
  // sriov_init at its place in B's enumeration, with the captured port above for ARI (pci_ari_enabled).
  const pciIovInit = async (l: WriteLog) => { await pciIovInitAt(m.access, l, KEXEC_VERSION_DATA[o.to].barSizing, o.parent, o.physfnBefore); };
  const log = await simulateKexec(m.access, { preserved: o.preserved ?? false, driver: shutdownDriverFor(o.driverA), enabled: o.driverA !== null, from: o.from, to: o.to, ...(o.platform ? { platform: o.platform } : {}) }, { betweenKernels: async (fn, l) => { if (o.walkedFromAboveAtShutdown) await removeAboveWalk(fn, o.platform, l); shutdown = l.writes.length; }, pciIovInit, afterEnumeration: async (fn, l) => {
    await kernelScanBridge(fn, o.to, o.below, l);
    if (o.walkedFromAboveAtProbe) await probeAboveWalk(fn, o.platform, l);
  } });
  const binding = { kernel: o.to, driver: o.driverB, ...(o.enabledBelow ? { enabledBelow: true } : {}), ...(o.virtioClassDriverB !== undefined ? { virtioClassDriver: o.virtioClassDriverB } : {}) };
  return predictionAfterBinding(m, log, binding, { shutdown, enumeration: log.writes.length - shutdown }, 'kernel B: ');
}
