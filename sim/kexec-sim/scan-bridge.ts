/**
 * What kernel B's bus scan writes to a PCI-to-PCI bridge after the bridge's own enumeration
 * (enumerate.ts), in the order the kernel makes the writes (Debian 7.3.4's probe.c, pci.c,
 * pcie/aspm.c and setup-bus.c read; QEMU's trace of a q35 pcie-root-port in 6.1, 6.12 and 7.2
 * boots shows every write, docs/real-run.md):
 *  1. probe.c pci_scan_child_bus_extend runs pci_scan_bridge_extend on each bridge twice. Pass 0,
 *     for a bridge the previous kernel configured, turns Master-Abort Mode off in BRIDGE_CONTROL,
 *     scans the bus below, then (6.12+) clears Secondary Status and puts BRIDGE_CONTROL back.
 *     Pass 1 does the same around nothing. Bus numbers are kept: x86 does not reassign busses.
 *  2. Scanning the bus below writes the bridge twice more. pci_configure_ari of the function at
 *     devfn 0 sets or clears the bridge's ARI Forwarding Enable. pcie_aspm_init_link_state writes the
 *     bridge's end of the link once the slot is scanned (aspm.ts).
 *  3. setup-bus.c pci_setup_bridge (from pci_assign_unassigned_resources, the bridge not enabled
 *     yet) writes the I/O, memory and prefetchable windows from the bridge's resources, then
 *     BRIDGE_CONTROL. Those resources are the windows pci_read_bridge_bases read. A window the
 *     previous kernel left open is claimed as found and written back; a closed one is written in
 *     its closed encoding. Kernel B opening a closed window for a device below that needs one is
 *     not modelled.
 */
import type { FunctionAccess } from '../../devices/access.js';
import { pciFindExtCapability, pciSetupCapLookup } from '../../devices/find-cap.js';
import type { KernelProfileId } from '../linux/profile.js';
import { pcieAspmConfigureCommonClockUpstream } from './aspm.js';
import { kexecDev, pcieClearAndSet, pcieRead, type KexecDev } from './dev.js';
import { KEXEC_VERSION_DATA } from './versions.js';
import { stepRead, stepWrite } from '../write-log/steps.js';
import { WriteLog } from '../write-log/write-log.js';
import {
  PCI_BRIDGE_CONTROL, PCI_BRIDGE_CTL_MASTER_ABORT, PCI_EXP_DEVCAP2, PCI_EXP_DEVCAP2_ARI, PCI_EXP_DEVCTL2,
  PCI_EXP_DEVCTL2_ARI, PCI_EXT_CAP_ID_ARI, PCI_HEADER_TYPE_BRIDGE, PCI_IO_BASE, PCI_IO_BASE_UPPER16,
  PCI_IO_RANGE_TYPE_32, PCI_MEMORY_BASE, PCI_PREF_BASE_UPPER32, PCI_PREF_LIMIT_UPPER32, PCI_PREF_MEMORY_BASE,
  PCI_PREF_RANGE_TYPE_64, PCI_SEC_STATUS,
} from '../../devices/pci-regs.js';

/** The function on the bridge's secondary bus that kernel B's scan finds first, and its devfn. */
export interface BelowBridge {
  readonly access: FunctionAccess;
  readonly devfn: number;
}

/** pci_configure_ari(dev) of the function at devfn 0 below: ARI Forwarding Enable on dev->bus->self when it has DEVCAP2 ARI. */
async function pciConfigureAri(port: KexecDev, below: BelowBridge): Promise<void> {
  const step = 'pci_configure_ari';
  if (below.devfn !== 0) return;
  const child = await pciSetupCapLookup(below.access.config);
  if (!child.pcieCap) return;
  if (!((await pcieRead(port, PCI_EXP_DEVCAP2, 4)) & PCI_EXP_DEVCAP2_ARI)) return port.log.note(step, 'no ARI Forwarding Supported in DEVCAP2: left alone');
  const ari = (await pciFindExtCapability(child, PCI_EXT_CAP_ID_ARI)) !== 0;
  await pcieClearAndSet(port, step, PCI_EXP_DEVCTL2, ari ? 0 : PCI_EXP_DEVCTL2_ARI, ari ? PCI_EXP_DEVCTL2_ARI : 0, ari ? 'the function below has an ARI capability: ARI Forwarding Enable set' : 'the function below has no ARI capability: ARI Forwarding Enable cleared');
}

/** pci_scan_bridge_extend for a configured bridge; `scanBelow` is pass 0's scan of the bus below. Returns the BRIDGE_CONTROL it found. */
async function pciScanBridgeExtend(d: KexecDev, to: KernelProfileId, pass: 0 | 1, scanBelow?: () => Promise<void>): Promise<number> {
  const step = 'pci_scan_bridge_extend';
  const bctl = await stepRead(d, PCI_BRIDGE_CONTROL, 2);
  await stepWrite(d, step, PCI_BRIDGE_CONTROL, 2, bctl & ~PCI_BRIDGE_CTL_MASTER_ABORT, `pass ${pass}: Master-Abort Mode off while probing`);
  if (scanBelow) await scanBelow();
  if (KEXEC_VERSION_DATA[to].scanBridgeClearsSecStatus) await stepWrite(d, step, PCI_SEC_STATUS, 2, 0xffff, `pass ${pass}: clear errors in Secondary Status (RW1C)`);
  await stepWrite(d, step, PCI_BRIDGE_CONTROL, 2, bctl, `pass ${pass}: BRIDGE_CONTROL put back`);
  return bctl;
}

/** pci_setup_bridge_io: I/O decode off (upper 16 bits 0xffff), then base/limit, then the upper 16 bits. */
async function pciSetupBridgeIo(d: KexecDev): Promise<void> {
  const step = 'pci_setup_bridge_io';
  const lo = await stepRead(d, PCI_IO_BASE, 2);
  const io32 = (lo & 0x0f) === PCI_IO_RANGE_TYPE_32;
  const upper = io32 ? await stepRead(d, PCI_IO_BASE_UPPER16, 4) : 0;
  const base = ((upper & 0xffff) << 16 | (lo & 0xf0) << 8) >>> 0;
  const limit = ((upper >>> 16) << 16 | (lo & 0xf000)) >>> 0;
  const open = base <= limit;
  await stepWrite(d, step, PCI_IO_BASE_UPPER16, 4, 0x0000ffff, 'disable the I/O range while PCI_IO_BASE changes');
  await stepWrite(d, step, PCI_IO_BASE, 2, open ? lo & 0xf0f0 : 0x00f0, open ? 'the I/O window as found' : 'no I/O window: closed');
  await stepWrite(d, step, PCI_IO_BASE_UPPER16, 4, open ? upper : 0, open ? 'upper 16 bits of the I/O window' : 'no I/O window: upper bits 0');
}

/** A memory window's base/limit dword as pci_setup_bridge writes it (the type nibbles 0), or the closed encoding. */
function windowDword(reg: number, baseHi: number, limitHi: number): { value: number; open: boolean } {
  const baseLo = reg & 0xfff0;
  const limitLo = (reg >>> 16) & 0xfff0;
  const open = baseHi < limitHi || (baseHi === limitHi && baseLo <= limitLo);
  return open ? { value: (baseLo | limitLo << 16) >>> 0, open } : { value: 0x0000fff0, open };
}

/** pci_setup_bridge_mmio and pci_setup_bridge_mmio_pref. */
async function pciSetupBridgeMem(d: KexecDev): Promise<void> {
  const mem = windowDword(await stepRead(d, PCI_MEMORY_BASE, 4), 0, 0);
  await stepWrite(d, 'pci_setup_bridge_mmio', PCI_MEMORY_BASE, 4, mem.value, mem.open ? 'the memory window as found' : 'no memory window: closed');
  const step = 'pci_setup_bridge_mmio_pref';
  const pref = await stepRead(d, PCI_PREF_MEMORY_BASE, 4);
  const is64 = (pref & 0x0f) === PCI_PREF_RANGE_TYPE_64;
  const bu = is64 ? await stepRead(d, PCI_PREF_BASE_UPPER32, 4) : 0;
  const lu = is64 ? await stepRead(d, PCI_PREF_LIMIT_UPPER32, 4) : 0;
  const w = windowDword(pref, bu, lu);
  await stepWrite(d, step, PCI_PREF_LIMIT_UPPER32, 4, 0, 'limit upper 32 bits 0 first, so the window is never briefly huge');
  await stepWrite(d, step, PCI_PREF_MEMORY_BASE, 4, w.value, w.open ? 'the prefetchable window as found' : 'no prefetchable window: closed');
  await stepWrite(d, step, PCI_PREF_BASE_UPPER32, 4, w.open ? bu : 0, 'base upper 32 bits');
  await stepWrite(d, step, PCI_PREF_LIMIT_UPPER32, 4, w.open ? lu : 0, 'limit upper 32 bits');
}

/**
 * Kernel B's bus scan of a bridge it enumerated: both pci_scan_bridge_extend passes (pass 0 with the
 * writes the scan of `below` makes to the bridge), then pci_setup_bridge. Appends to `log`; a
 * function that is not a PCI-to-PCI bridge gets nothing.
 */
export async function kernelScanBridge(fn: FunctionAccess, to: KernelProfileId, below: BelowBridge | undefined, log = new WriteLog(), device = 'dev'): Promise<WriteLog> {
  const d = await kexecDev(fn, log, device);
  if (d.hdrType !== PCI_HEADER_TYPE_BRIDGE) return log;
  d.log.note('pci_scan_bridge_extend', 'bus numbers programmed by the previous kernel are kept');
  const bctl = await pciScanBridgeExtend(d, to, 0, async () => {
    if (!below) return;
    await pciConfigureAri(d, below);
    await pcieAspmConfigureCommonClockUpstream(d, to, below.access);
  });
  await pciScanBridgeExtend(d, to, 1);
  await pciSetupBridgeIo(d);
  await pciSetupBridgeMem(d);
  await stepWrite(d, 'pci_setup_bridge', PCI_BRIDGE_CONTROL, 2, bctl, 'bus->bridge_ctl, as pass 0 found it');
  return log;
}
