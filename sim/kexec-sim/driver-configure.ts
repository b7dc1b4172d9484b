/**
 * Bring a freshly modelled function into the state a bound driver leaves it in, through config
 * writes only, so the device profile's attributes apply (on a QEMU 7.2 e1000e or nvme the Device
 * Control writes are dropped: qemu.md 2.1; the read-back in each logged write shows it).
 *
 * The order is the boot order:
 *  1. firmware (SeaBIOS src/fw/pciinit.c, the firmware of the qemu.md 5.2 run):
 *     pci_region_map_one_entry assigns BARs (only when their sizes are known: the device profile's
 *     barSizes or options.barSizes; otherwise BARs stay as found), pci_bios_init_device sets
 *     COMMAND IO|MEMORY|SERR whatever the BARs are (hence 0x0507, not 0x0506, on nvme).
 *     What a BIOS also sets and Linux keeps: LTR max latencies, ASPM L1 in LNKCTL when LNKCAP
 *     offers it (CONFIG_PCIEASPM_DEFAULT keeps firmware's choice), AER masks and severities at
 *     their spec defaults (PCIe r6.0 7.8.4).
 *  2. kernel A's enumeration (enumerate.ts kernelEnumerate; a bridge's bus scan, scan-bridge.ts): MPS matched to the upstream port
 *     (pci_configure_mps; Debian's CONFIG_PCIE_BUS_DEFAULT=y makes pcie_bus_configure_settings a
 *     no-op, so MRRS keeps its reset value), Extended Tags, LTR_EN, AER status cleared and error
 *     reporting enabled, PME off.
 *  3. driver probe: pci_enable_device (D0, IO/MEM for assigned BARs), pci_set_master, then
 *     MSI-X (msix_capability_init) or MSI (msi_capability_init), which set INTX_DISABLE.
 */
import type { FunctionAccess } from '../../devices/access.js';
import { PCI_ERR_COR_MASK_DEFAULT, PCI_ERR_UNC_SEVERITY_DEFAULT } from '../../devices/caps/aer.js';
import type { KernelProfileId } from '../linux/profile.js';
import { kexecDev, pcieClearAndSet, pcieRead, type KexecDev } from './dev.js';
import { kernelEnumerate, pciDmaConfigure } from './enumerate.js';
import { msiCapabilityInit, msixCapabilityInit, pciFreeIrqVectors, requestIrq, x86MsiAddressLo, type IrqMode, type MsiVector } from './irq.js';
import { platformOptions, type PlatformOptions } from './options.js';
import { kernelScanBridge, type BelowBridge } from './scan-bridge.js';
import { KEXEC_VERSION_DATA } from './versions.js';
import { portCapabilityWrites, portServices, portServicesProbe } from './pcieport.js';
import { barResources, pciEnableDevice, type Resources } from '../linux/enable.js';
import { isMem64Bar } from '../../devices/bar.js';
import { stepClearAndSet, stepRead, stepWrite } from '../write-log/steps.js';
import { WriteLog } from '../write-log/write-log.js';
import {
  PCI_BASE_ADDRESS_0,
  PCI_BASE_ADDRESS_SPACE_IO, PCI_COMMAND, PCI_COMMAND_IO, PCI_COMMAND_MASTER, PCI_COMMAND_MEMORY,
  PCI_COMMAND_SERR, PCI_ERR_COR_MASK, PCI_LATENCY_TIMER, PCI_ERR_UNCOR_MASK, PCI_ERR_UNCOR_SEVER, PCI_EXP_LNKCAP,
  PCI_EXP_LNKCAP_ASPM_L0S, PCI_EXP_LNKCAP_ASPM_L1, PCI_EXP_LNKCTL, PCI_EXP_LNKCTL_ASPMC,
  PCI_EXP_LNKCTL_ASPM_L0S, PCI_EXP_LNKCTL_ASPM_L1, PCI_HEADER_TYPE_BRIDGE, PCI_HEADER_TYPE_NORMAL,
  PCI_LTR_MAX_NOSNOOP_LAT, PCI_LTR_MAX_SNOOP_LAT, PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_QSIZE,
} from '../../devices/pci-regs.js';

export type AspmChoice = 'l1' | 'l0s-l1' | 'off' | 'as-found';

export interface DriverConfigureOptions {
  /** Kernel A, whose enumeration runs before the driver binds. */
  readonly kernel: KernelProfileId;
  /** For a bridge: the first function on its secondary bus, which the bus scan reads (scan-bridge.ts). */
  readonly below?: BelowBridge;
  readonly platform?: Partial<PlatformOptions>;
  /** BAR sizes by index (the device profile's barSizes). Unknown: BARs are left as found. */
  readonly barSizes?: readonly (number | undefined)[];
  /** Firmware window bases: SeaBIOS-like, 32-bit MMIO below the 0xfec00000 IOAPIC, I/O from 0xc000. */
  readonly mmioBase?: number;
  readonly ioBase?: number;
  /** Interrupt mode; default: MSI-X if the function has it, else MSI, else INTx. */
  readonly irq?: IrqMode;
  /**
   * MSI-X vectors to program, default min(table size, 3): e1000e always asks for 3 (RxQ0, TxQ0,
   * other: e1000e_set_interrupt_capability); nvme (admin + one I/O queue per CPU), virtio-net
   * (config + rx + tx) and xhci (one per CPU + 1) also come to 3 on the 2-vCPU qemu.md 5.2 guest.
   */
  readonly vectors?: number;
  /** Vector i targets CPU cpus[i % n] (its address: irq.ts x86MsiAddressLo, by kernel). Default [0, 1] (2 vCPUs). */
  readonly cpus?: readonly number[];
  /** Message data of vector i is vectorBase + i. Default 0x22 (any free vector >= FIRST_EXTERNAL_VECTOR 0x20). */
  readonly vectorBase?: number;
  /** LNKCTL ASPM Control set by firmware; default 'l1' (only bits LNKCAP advertises are set). */
  readonly aspm?: AspmChoice;
  /** LTR Max Snoop/No-Snoop Latency; default 0x1003 each (3 x 1048576 ns, a common BIOS value). */
  readonly ltrMaxLatency?: number;
  /**
   * Whether a driver binds in kernel A (default true). False stops after firmware and kernel A's
   * enumeration: Debian's cloud kernels have no e1000e driver, so a real e1000e stays unbound.
   */
  readonly bindDriver?: boolean;
  /**
   * The driver that binds: 'pcieport' probes as pcie_port_device_register (pcieport.ts); 'nvme'
   * takes one vector for its admin queue first (nvme/host/pci.c nvme_pci_enable:
   * pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_ALL_TYPES)), then frees it and allocates every queue's
   * (nvme_setup_io_queues: pci_free_irq_vectors, nvme_setup_irqs): QEMU's trace of its probe on
   * 6.1, 6.12 and 7.2 shows MSI-X set up, torn down and set up again; 'virtio' is virtio-pci with
   * a class driver's find_vqs (vp_find_vqs), which takes MSI-X only with 2 or more entries (a
   * real 7.2 -> 6.1 run of virtio-net-pci,vectors=1 stayed on INTx in both kernels). Default any other.
   */
  readonly driver?: 'pcieport' | 'nvme' | 'virtio' | 'other';
}

export interface DriverConfigureResult {
  readonly log: WriteLog;
  readonly irq: IrqMode;
  /** The vectors programmed (what kernel A's msi_desc list holds, for pci_restore_msi_state). */
  readonly vectors: readonly MsiVector[];
  /**
   * virtio-pci: where in `log.writes` the virtio class driver's part begins (its find_vqs sets the
   * vectors up). virtio_pci_probe enables the device and sets bus master; the class driver binds
   * when its module loads, which may be long after.
   */
  readonly classDriverFrom?: number;
}

const FW = 'firmware';

/** SeaBIOS pci_region_map_one_entry: naturally aligned addresses from the window bases. */
async function assignBars(d: KexecDev, sizes: readonly (number | undefined)[], mmioBase: number, ioBase: number): Promise<Resources> {
  const count = d.hdrType === PCI_HEADER_TYPE_NORMAL ? 6 : d.hdrType === PCI_HEADER_TYPE_BRIDGE ? 2 : 0;
  let mmio = mmioBase;
  let io = ioBase;
  const used = { io: false, mem: false };
  for (let i = 0; i < count; i++) {
    const off = PCI_BASE_ADDRESS_0 + 4 * i;
    const bar = await stepRead(d, off, 4);
    const isIo = (bar & PCI_BASE_ADDRESS_SPACE_IO) !== 0;
    const is64 = isMem64Bar(bar);
    const size = sizes[i];
    if (size && size > 0) {
      if (isIo) {
        io = Math.ceil(io / size) * size;
        await stepWrite(d, `${FW}:pci_region_map_one_entry`, off, 4, io, `BAR${i} I/O at 0x${io.toString(16)} (${size} bytes)`);
        io += size;
        used.io = true;
      } else {
        mmio = Math.ceil(mmio / size) * size;
        await stepWrite(d, `${FW}:pci_region_map_one_entry`, off, 4, mmio, `BAR${i} memory at 0x${mmio.toString(16)} (${size} bytes)`);
        if (is64) await stepWrite(d, `${FW}:pci_region_map_one_entry`, off + 4, 4, 0, `BAR${i} upper 32 bits (below 4 GiB)`);
        mmio += size;
        used.mem = true;
      }
    } else if (size === undefined && (bar & (isIo ? ~0x3 : ~0xf)) !== 0) {
      // Unknown size but an address already assigned (a dump of a running system): a resource.
      if (isIo) used.io = true;
      else used.mem = true;
    }
    if (is64) i++;
  }
  return used;
}

async function firmwareSetup(d: KexecDev, o: DriverConfigureOptions): Promise<Resources> {
  const used = o.barSizes ? await assignBars(d, o.barSizes, o.mmioBase ?? 0xfe000000, o.ioBase ?? 0xc000) : await assignBars(d, [], 0, 0);
  if (!o.barSizes) d.log.note(`${FW}:pci_region_map_one_entry`, 'BAR sizes unknown: BARs left as found');
  await stepClearAndSet(d, `${FW}:pci_bios_init_device`, PCI_COMMAND, 2, 0, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_SERR, 'SeaBIOS enables I/O, memory and SERR# on every device');
  if (d.ltrCap) {
    const lat = o.ltrMaxLatency ?? 0x1003;
    await stepWrite(d, `${FW}:ltr`, d.ltrCap + PCI_LTR_MAX_SNOOP_LAT, 2, lat, 'LTR Max Snoop Latency (platform value)');
    await stepWrite(d, `${FW}:ltr`, d.ltrCap + PCI_LTR_MAX_NOSNOOP_LAT, 2, lat, 'LTR Max No-Snoop Latency (platform value)');
  }
  const aspm = o.aspm ?? 'l1';
  if (d.pcie?.layout.link && aspm !== 'as-found') {
    const lnkcap = await pcieRead(d, PCI_EXP_LNKCAP, 4);
    const want = aspm === 'off' ? 0 : (lnkcap & PCI_EXP_LNKCAP_ASPM_L1 ? PCI_EXP_LNKCTL_ASPM_L1 : 0) | (aspm === 'l0s-l1' && lnkcap & PCI_EXP_LNKCAP_ASPM_L0S ? PCI_EXP_LNKCTL_ASPM_L0S : 0);
    await pcieClearAndSet(d, `${FW}:aspm`, PCI_EXP_LNKCTL, PCI_EXP_LNKCTL_ASPMC, want, `ASPM Control ${want} ('${aspm}' limited to what LNKCAP advertises)`);
  }
  if (d.aerCap) {
    await stepWrite(d, `${FW}:aer`, d.aerCap + PCI_ERR_UNCOR_MASK, 4, 0, 'Uncorrectable Error Mask: spec default (nothing masked)');
    await stepWrite(d, `${FW}:aer`, d.aerCap + PCI_ERR_UNCOR_SEVER, 4, PCI_ERR_UNC_SEVERITY_DEFAULT, 'Uncorrectable Error Severity: spec default');
    await stepWrite(d, `${FW}:aer`, d.aerCap + PCI_ERR_COR_MASK, 4, PCI_ERR_COR_MASK_DEFAULT, 'Correctable Error Mask: spec default');
  }
  return used;
}

export async function driverConfigure(fn: FunctionAccess, o: DriverConfigureOptions, log = new WriteLog(), device = 'dev'): Promise<DriverConfigureResult> {
  const d = await kexecDev(fn, log, device);
  const used = await firmwareSetup(d, o);
  await kernelEnumerate(fn, o.kernel, o.platform, log, device);
  await kernelScanBridge(fn, o.kernel, o.below, log, device);
  if (o.bindDriver === false) {
    d.log.note('driverConfigure', 'no driver binds in kernel A: the device stays as firmware and enumeration left it');
    return { log, irq: 'intx', vectors: [] };
  }
  return probe(d, used, o);
}

/**
 * Step 3 alone: the probe of a driver binding to a function that firmware and the kernel's own
 * enumeration already set up (kernel B's driver after a kexec). The resources are what the BARs
 * hold (barResources), as pci_enable_resources finds them.
 */
export async function driverProbe(fn: FunctionAccess, o: DriverConfigureOptions, log = new WriteLog(), device = 'dev'): Promise<DriverConfigureResult> {
  const d = await kexecDev(fn, log, device);
  return probe(d, await barResources(d), o);
}

async function probe(d: KexecDev, used: Resources, o: DriverConfigureOptions): Promise<DriverConfigureResult> {
  const p = platformOptions(o.platform);
  await pciDmaConfigure(d, o.kernel, p);
  await pciEnableDevice(d, used, d.pmCap);
  const services = o.driver === 'pcieport' ? await portServices(d, o.kernel, p) : [];
  if (o.driver === 'pcieport') {
    if (services.length === 0) {
      d.log.note('pcie_port_device_register', 'no port service applies (get_port_device_capability): returns before pci_set_master and IRQ set-up');
      return { log: d.log, irq: 'intx', vectors: [] };
    }
    d.log.note('pcie_port_device_register', `services: ${services.join(', ')}`);
    await portCapabilityWrites(d, services);
  }
  await stepClearAndSet(d, 'pci_set_master', PCI_COMMAND, 2, 0, PCI_COMMAND_MASTER, 'driver does DMA');
  await pcibiosSetMaster(d);
  const classDriverFrom = d.log.writes.length;
  const irq = await setUpInterrupts(d, o);
  // pcie_port_device_register: the service drivers bind once the port's vectors are allocated.
  if (o.driver === 'pcieport') await portServicesProbe(d, services, o.kernel, () => requestIrqs(d, irq));
  return o.driver === 'virtio' ? { ...irq, classDriverFrom } : irq;
}

/**
 * pci.c pcibios_set_master (the __weak one x86 uses), after pci_set_master's COMMAND write: a
 * conventional function's Latency Timer below 16 becomes 64 (pcibios_max_latency is 255); PCIe has
 * none. Debian 7.3.4 read; QEMU's trace shows 0x40 written to a virtio-net-pci on pcie.0 (no PCIe
 * capability there) when virtio-pci binds.
 */
async function pcibiosSetMaster(d: KexecDev): Promise<void> {
  if (d.pcie) return;
  const lat = await stepRead(d, PCI_LATENCY_TIMER, 1);
  if (lat < 16) await stepWrite(d, 'pcibios_set_master', PCI_LATENCY_TIMER, 1, 64, `Latency Timer ${lat} is below 16: 64`);
}

/**
 * The driver's interrupt set-up: MSI-X, else MSI, else INTx (o.irq chooses); the vectors are
 * allocated, and requested at once except by pcieport, whose service drivers request theirs
 * (portServicesProbe).
 */
async function setUpInterrupts(d: KexecDev, o: DriverConfigureOptions): Promise<DriverConfigureResult> {
  const log = d.log;
  const irq: IrqMode = o.irq ?? (d.msixCap ? 'msix' : d.msiCap ? 'msi' : 'intx');
  const version = KEXEC_VERSION_DATA[o.kernel];
  const cpus = o.cpus ?? [0, 1];
  const base = o.vectorBase ?? 0x22;
  const firstCpuAddressLo = x86MsiAddressLo(version.msiDestination, 0);
  const vector = (i: number): MsiVector => ({ index: i, addressLo: x86MsiAddressLo(version.msiDestination, cpus[i % cpus.length]), addressHi: 0, data: base + i });
  const requestNow = o.driver !== 'pcieport';
  const tableSize = irq === 'msix' && d.msixCap ? ((await stepRead(d, d.msixCap + PCI_MSIX_FLAGS, 2)) & PCI_MSIX_FLAGS_QSIZE) + 1 : 0;
  if (irq === 'msix' && o.driver === 'virtio' && tableSize === 1) {
    // virtio_pci_common.c vp_find_vqs: MSI-X with a vector per queue, then one vector for config
    // and one shared by the queues, each through pci_alloc_irq_vectors_affinity(dev, n, n, ...):
    // neither fits a one-entry table, so vp_find_vqs_intx requests the legacy interrupt.
    d.log.note('vp_find_vqs', 'the MSI-X table has 1 entry and virtio-pci needs at least 2 (config + a vector shared by the queues): INTx used (vp_find_vqs_intx)');
    return { log, irq: 'intx', vectors: [] };
  }
  if (irq === 'msix' && d.msixCap) {
    const vectors = Array.from({ length: Math.min(tableSize, o.vectors ?? 3) }, (_, i) => vector(i));
    if (o.driver === 'nvme') {
      await msixCapabilityInit(d, [vector(0)], firstCpuAddressLo);
      await requestIrqs(d, { irq, vectors: [vector(0)] });
      await pciFreeIrqVectors(d);
    }
    await msixCapabilityInit(d, vectors, firstCpuAddressLo);
    if (requestNow) await requestIrqs(d, { irq, vectors });
    return { log, irq, vectors };
  }
  if (irq === 'msi' && d.msiCap) {
    const vectors = [vector(0)];
    // pcie_port_enable_irq_vec asks for up to PCIE_PORT_MAX_MSI_ENTRIES (32); the other drivers modelled ask for one.
    const multiMsiAttempt = o.driver === 'pcieport' && version.multiMsiTriedFirst;
    await msiCapabilityInit(d, vectors[0], { firstCpuAddressLo, multiMsiAttempt });
    if (requestNow) await requestIrqs(d, { irq, vectors });
    return { log, irq, vectors };
  }
  if (irq !== 'intx') d.log.note('driverConfigure', `the function has no ${irq === 'msix' ? 'MSI-X' : 'MSI'} capability: INTx used`);
  return { log, irq: 'intx', vectors: [] };
}

/** Each vector's first request_irq (irq.ts requestIrq); nothing for INTx (the INTx line has no config write). */
export async function requestIrqs(d: KexecDev, r: Pick<DriverConfigureResult, 'irq' | 'vectors'>): Promise<void> {
  if (r.irq === 'intx') return;
  for (const v of r.vectors) await requestIrq(d, r.irq, v);
}

/**
 * pci.c pci_enable_bridge, run for every bridge above a device when that device is enabled
 * (do_pci_enable_device -> pci_enable_bridge(pci_upstream_bridge(dev)), recursively): a bridge
 * that is already enabled (a bound pcieport) only gets pci_set_master; one that is not is enabled
 * (pci_enable_device: decode for its windows, which firmware already turned on) and then set master.
 * So a switch port with no port service, which its own probe leaves without bus master, has it
 * as soon as a driver below it enables its device.
 */
export async function pciEnableBridge(fn: FunctionAccess, log = new WriteLog()): Promise<WriteLog> {
  const d = await kexecDev(fn, log);
  // if (!dev->is_busmaster) pci_set_master(dev): nothing is written when bus master is on.
  const cmd = await stepRead(d, PCI_COMMAND, 2);
  if ((cmd & PCI_COMMAND_MASTER) === 0) await stepWrite(d, 'pci_enable_bridge', PCI_COMMAND, 2, cmd | PCI_COMMAND_MASTER, 'a device below was enabled: pci_set_master on the bridge');
  return log;
}
