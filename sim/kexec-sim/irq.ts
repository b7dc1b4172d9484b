/**
 * MSI/MSI-X and INTx steps shared by driver setup, driver shutdown and enumeration, named after
 * drivers/pci/msi/msi.c (v6.1, v7.1 and Debian 7.3.4 read; where they differ, msiCapabilityInit
 * says so): msix_capability_init, msi_capability_init, pci_msix_shutdown, pci_msi_shutdown, the
 * x86 vector domain's part of request_irq (requestIrq), and drivers/pci/pci.c pci_intx (writes
 * only when the bit changes).
 */
import { readMsixGeometry, type MsixGeometry } from '../../devices/msix-table.js';
import type { KexecDev } from './dev.js';
import { stepBarWrite, stepClearAndSet, stepRead, stepWrite } from '../write-log/steps.js';
import {
  PCI_COMMAND, PCI_COMMAND_INTX_DISABLE, PCI_MSIX_ENTRY_CTRL_MASKBIT, PCI_MSIX_ENTRY_DATA,
  PCI_MSIX_ENTRY_LOWER_ADDR, PCI_MSIX_ENTRY_SIZE, PCI_MSIX_ENTRY_UPPER_ADDR, PCI_MSIX_ENTRY_VECTOR_CTRL,
  PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE, PCI_MSIX_FLAGS_MASKALL, PCI_MSI_ADDRESS_HI, PCI_MSI_ADDRESS_LO,
  PCI_MSI_DATA_32, PCI_MSI_DATA_64, PCI_MSI_FLAGS, PCI_MSI_FLAGS_64BIT, PCI_MSI_FLAGS_ENABLE,
  PCI_MSI_FLAGS_MASKBIT, PCI_MSI_FLAGS_QMASK, PCI_MSI_FLAGS_QSIZE, PCI_MSI_MASK_32, PCI_MSI_MASK_64,
} from '../../devices/pci-regs.js';

/** One programmed vector: what Linux keeps in struct msi_desc (msg and, for MSI-X, msi_index). */
export interface MsiVector {
  readonly index: number;
  readonly addressLo: number;
  readonly addressHi: number;
  readonly data: number;
}

export type IrqMode = 'msix' | 'msi' | 'intx';

export type MsiDestination = 'flat-logical' | 'physical';

/** arch/x86/include/asm/msi.h: Destination Mode bit of the message address (1: logical). */
const MSI_ADDR_DEST_MODE_LOGICAL = 1 << 2;

/**
 * The message address for `cpu` (x86 __irq_msi_compose_msg: 0xfee00000, destination ID in bits
 * 19:12): the APIC ID in physical mode (QEMU numbers APIC IDs as the CPUs), 1 << cpu in flat
 * logical mode, which also sets the Destination Mode bit.
 */
export function x86MsiAddressLo(mode: MsiDestination, cpu: number): number {
  if (mode === 'physical') return (0xfee00000 | (cpu << 12)) >>> 0;
  return (0xfee00000 | ((1 << cpu) << 12) | MSI_ADDR_DEST_MODE_LOGICAL) >>> 0;
}

/** pci_intx(dev, enable): clears or sets PCI_COMMAND_INTX_DISABLE, writing only on a change. */
export async function pciIntx(d: KexecDev, enable: boolean, step: string, why: string): Promise<void> {
  const cmd = await stepRead(d, PCI_COMMAND, 2);
  const next = enable ? cmd & ~PCI_COMMAND_INTX_DISABLE : cmd | PCI_COMMAND_INTX_DISABLE;
  if (next !== cmd) await stepWrite(d, step, PCI_COMMAND, 2, next, why);
}

async function msixCtrl(d: KexecDev, step: string, clear: number, set: number, why: string): Promise<void> {
  await stepClearAndSet(d, step, d.msixCap + PCI_MSIX_FLAGS, 2, clear, set, why);
}

/** arch/x86/include/asm/irq_vectors.h: where a reserved, not yet requested, interrupt points. */
const MANAGED_IRQ_SHUTDOWN_VECTOR = 0xef;

/**
 * The message an interrupt allocated in reservation mode carries until request_irq (Debian 7.3.4
 * read; QEMU's trace of 6.1, 6.12 and 7.2 shows data 0xef written at allocation). kernel/irq/msi.c
 * msi_init_virq activates it at allocation (MSI_FLAG_ACTIVATE_EARLY) with reservation: x86's
 * vector_assign_managed_shutdown points it at MANAGED_IRQ_SHUTDOWN_VECTOR on the first online CPU.
 * msi_check_reservation_mode allows it for MSI-X, and for MSI only when it is maskable.
 */
function reservedMessage(index: number, firstCpuAddressLo: number): MsiVector {
  return { index, addressLo: firstCpuAddressLo, addressHi: 0, data: MANAGED_IRQ_SHUTDOWN_VECTOR };
}

/**
 * msix_capability_init: ENABLE|MASKALL, each entry's message at allocation (msi_domain_activate
 * through pci_write_msg_msix, in reservation mode: reservedMessage on `firstCpuAddressLo`), INTx off (pci_intx_for_msi(dev,
 * 0)), mask every table entry (msix_mask_all), clear MASKALL. The driver's request_irq comes after
 * (requestIrq).
 */
export async function msixCapabilityInit(d: KexecDev, vectors: readonly MsiVector[], firstCpuAddressLo: number): Promise<void> {
  const g = await readMsixGeometry(d.access.config, d.msixCap);
  await msixCtrl(d, 'msix_capability_init', 0, PCI_MSIX_FLAGS_MASKALL | PCI_MSIX_FLAGS_ENABLE, 'enable MSI-X with every vector masked while the table is set up');
  for (const v of vectors) await pciWriteMsgMsix(d, g, 'msi_domain_activate', reservedMessage(v.index, firstCpuAddressLo), 'allocated in reservation mode: MANAGED_IRQ_SHUTDOWN_VECTOR');
  await pciIntx(d, false, 'pci_intx_for_msi', 'MSI-X replaces INTx: pci_intx(dev, 0) sets INTX_DISABLE');
  for (let n = 0; n < g.entries; n++) {
    await stepBarWrite(d, 'msix_mask_all', g.tableBir, g.tableOffset + n * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL, PCI_MSIX_ENTRY_CTRL_MASKBIT, `mask entry ${n} so stale entries cannot fire`);
  }
  await msixCtrl(d, 'msix_capability_init', PCI_MSIX_FLAGS_MASKALL, 0, 'table ready: clear MASKALL');
}

/** msi.c pci_write_msg_msix on a masked entry of the table `g`: address, upper address, data. */
async function pciWriteMsgMsix(d: KexecDev, g: MsixGeometry, step: string, v: MsiVector, why: string): Promise<void> {
  const at = g.tableOffset + v.index * PCI_MSIX_ENTRY_SIZE;
  await stepBarWrite(d, step, g.tableBir, at + PCI_MSIX_ENTRY_LOWER_ADDR, v.addressLo, `vector ${v.index}, ${why}: address`);
  await stepBarWrite(d, step, g.tableBir, at + PCI_MSIX_ENTRY_UPPER_ADDR, v.addressHi, `vector ${v.index}, ${why}: upper address`);
  await stepBarWrite(d, step, g.tableBir, at + PCI_MSIX_ENTRY_DATA, v.data, `vector ${v.index}, ${why}: data (CPU vector)`);
}

/**
 * The first request_irq of a vector (kernel/irq/manage.c __setup_irq, not for a second handler on
 * a shared line): irq_activate assigns the real vector to one allocated in reservation mode
 * (x86_vector_activate -> activate_reserved) and msi_domain_activate writes its message; then
 * irq_startup, the chip being IRQCHIP_AFFINITY_PRE_STARTUP, runs irq_setup_affinity, whose x86
 * msi_set_affinity writes the message once more (irq_msi_update_msg), and irq_enable unmasks it.
 * A non-maskable MSI was activated with its real vector at allocation: only the affinity write.
 * QEMU's trace of an ioh3420's pcieport probe on 6.1, 6.12 and 7.2 shows the message twice, then
 * the unmask.
 */
export async function requestIrq(d: KexecDev, mode: 'msi' | 'msix', v: MsiVector): Promise<void> {
  if (mode === 'msix') {
    const g = await readMsixGeometry(d.access.config, d.msixCap);
    await pciWriteMsgMsix(d, g, 'msi_domain_activate', v, 'request_irq: the real vector');
    await pciWriteMsgMsix(d, g, 'msi_set_affinity', v, 'irq_setup_affinity');
    await stepBarWrite(d, 'pci_msix_unmask', g.tableBir, g.tableOffset + v.index * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL, 0, `request_irq unmasks vector ${v.index}`);
    return;
  }
  const flags = await stepRead(d, d.msiCap + PCI_MSI_FLAGS, 2);
  const maskable = (flags & PCI_MSI_FLAGS_MASKBIT) !== 0;
  if (maskable) await pciWriteMsgMsi(d, 'msi_domain_activate', v, 'request_irq: the real vector');
  await pciWriteMsgMsi(d, 'msi_set_affinity', v, 'irq_setup_affinity');
  if (maskable) await stepClearAndSet(d, 'pci_msi_unmask', d.msiCap + msiMaskPos(flags), 4, 1 << v.index, 0, 'request_irq unmasks the vector');
}

/** Vectors the kernel would hold descriptors for: the unmasked entries (from a live table). */
export async function usedMsixVectors(d: KexecDev): Promise<number[]> {
  const bars = d.access.bars;
  if (!bars) return [];
  const g = await readMsixGeometry(d.access.config, d.msixCap);
  const used: number[] = [];
  for (let n = 0; n < g.entries; n++) {
    const ctrl = await bars.readl(g.tableBir, g.tableOffset + n * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL);
    if ((ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT) === 0) used.push(n);
  }
  return used;
}

/** pci_msix_shutdown: mask each descriptor's entry, clear ENABLE, INTx back on. No-op unless enabled. */
export async function pciMsixShutdown(d: KexecDev): Promise<void> {
  if (!d.msixCap) return;
  const flags = await stepRead(d, d.msixCap + PCI_MSIX_FLAGS, 2);
  if ((flags & PCI_MSIX_FLAGS_ENABLE) === 0) return;
  const g = await readMsixGeometry(d.access.config, d.msixCap);
  for (const n of await usedMsixVectors(d)) {
    await zeroMessage(d, g.tableBir, g.tableOffset + n * PCI_MSIX_ENTRY_SIZE, n);
    await stepBarWrite(d, 'pci_msix_mask', g.tableBir, g.tableOffset + n * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL, PCI_MSIX_ENTRY_CTRL_MASKBIT, `return vector ${n} masked, as initial state`);
  }
  await msixCtrl(d, 'pci_msix_shutdown', PCI_MSIX_FLAGS_ENABLE, 0, 'driver frees its vectors: MSI-X disabled');
  await pciIntx(d, true, 'pci_intx_for_msi', 'pci_intx(dev, 1) re-enables INTx: INTX_DISABLE cleared');
}

function msiMaskPos(flags: number): number {
  return flags & PCI_MSI_FLAGS_64BIT ? PCI_MSI_MASK_64 : PCI_MSI_MASK_32;
}

/** msi/msi.h msi_multi_mask: a bit for every vector the function is capable of (msi_attrib.multi_cap = QMASK). */
function msiMultiMask(flags: number): number {
  const multiCap = (flags & PCI_MSI_FLAGS_QMASK) >> 1;
  return multiCap >= 5 ? 0xffffffff : (1 << (1 << multiCap)) - 1;
}

/**
 * kernel/irq/msi.c msi_domain_deactivate, run when the driver frees the interrupt
 * (free_irq -> irq_shutdown_and_deactivate): the message is rewritten as all zeros. Observed: a
 * 6.1 switch port's MSI address and data read 0 in the next kernel, which never touched them.
 */
async function zeroMessage(d: KexecDev, bir: number, entry: number, n: number): Promise<void> {
  for (const off of [PCI_MSIX_ENTRY_LOWER_ADDR, PCI_MSIX_ENTRY_UPPER_ADDR, PCI_MSIX_ENTRY_DATA]) {
    await stepBarWrite(d, 'msi_domain_deactivate', bir, entry + off, 0, `vector ${n}: message zeroed`);
  }
}

/**
 * msi.c pci_write_msg_msi (from __pci_write_msi_msg, the function in D0): Message Control with
 * Multiple Message Enable (0: one vector), then address and data (Debian 7.3.4 read; the same writes
 * in QEMU's trace of a 6.1 switch port's pcieport probe and remove).
 */
async function pciWriteMsgMsi(d: KexecDev, step: string, v: MsiVector, why: string): Promise<void> {
  const cap = d.msiCap;
  const flags = await stepRead(d, cap + PCI_MSI_FLAGS, 2);
  await stepWrite(d, step, cap + PCI_MSI_FLAGS, 2, flags & ~PCI_MSI_FLAGS_QSIZE, `${why}: Message Control first`);
  await stepWrite(d, step, cap + PCI_MSI_ADDRESS_LO, 4, v.addressLo, `${why}: address`);
  if (flags & PCI_MSI_FLAGS_64BIT) {
    await stepWrite(d, step, cap + PCI_MSI_ADDRESS_HI, 4, v.addressHi, `${why}: upper address`);
    await stepWrite(d, step, cap + PCI_MSI_DATA_64, 2, v.data, `${why}: data`);
  } else {
    await stepWrite(d, step, cap + PCI_MSI_DATA_32, 2, v.data, `${why}: data`);
  }
}

/**
 * The driver's free_irq, then pci_disable_msi, on a function with MSI on. QEMU's traces
 * (2026-12-07) show two orders:
 *  - a vector a driver requested (an ioh3420 Root Port's PME and AER services, 6.1 to 7.3):
 *    free_irq masks it (its mask bit set, the others kept) and msi_domain_deactivate writes the
 *    message as zeros through pci_write_msg_msi (Message Control first, ENABLE still set); then
 *    pci_msi_shutdown clears ENABLE, turns INTx back on and unmasks every capable vector;
 *  - a vector no driver requested (a 6.1 switch port, whose AER service aer_probe refused):
 *    pci_msi_shutdown first, then pci_free_msi_irqs zeroes the message.
 * msi_multi_mask covers every vector the function is capable of (msi_attrib.multi_cap), so a
 * 2-vector-capable port with one in use reads Mask 0 afterwards (found by `lusim fuzz --qemu` on
 * ioh3420).
 */
export async function pciMsiShutdown(d: KexecDev, requested = true): Promise<void> {
  if (!d.msiCap) return;
  const flags = await stepRead(d, d.msiCap + PCI_MSI_FLAGS, 2);
  if ((flags & PCI_MSI_FLAGS_ENABLE) === 0) return;
  const maskPos = d.msiCap + msiMaskPos(flags);
  const zero: MsiVector = { index: 0, addressLo: 0, addressHi: 0, data: 0 };
  if (requested) {
    if (flags & PCI_MSI_FLAGS_MASKBIT) await stepClearAndSet(d, 'pci_msi_mask', maskPos, 4, 0, 1, 'free_irq: irq_shutdown masks the vector');
    await pciWriteMsgMsi(d, 'msi_domain_deactivate', zero, 'free_irq: the message zeroed');
  }
  await stepWrite(d, 'pci_msi_set_enable', d.msiCap + PCI_MSI_FLAGS, 2, (await stepRead(d, d.msiCap + PCI_MSI_FLAGS, 2)) & ~PCI_MSI_FLAGS_ENABLE, 'pci_msi_shutdown: MSI disabled');
  await pciIntx(d, true, 'pci_intx_for_msi', 'pci_intx(dev, 1) re-enables INTx: INTX_DISABLE cleared');
  if (flags & PCI_MSI_FLAGS_MASKBIT) {
    const mask = await stepRead(d, maskPos, 4);
    await stepWrite(d, 'pci_msi_unmask', maskPos, 4, (mask & ~msiMultiMask(flags)) >>> 0, 'return the device with MSI unmasked as initial state');
  }
  if (!requested) await pciWriteMsgMsi(d, 'msi_domain_deactivate', zero, 'pci_free_msi_irqs: the message of a vector never requested zeroed');
}

/** pci_free_irq_vectors: pci_disable_msix then pci_disable_msi (`requested`: a driver requested the MSI vector). */
export async function pciFreeIrqVectors(d: KexecDev, requested = true): Promise<void> {
  await pciMsixShutdown(d);
  await pciMsiShutdown(d, requested);
}

/** pci_msi_vec_count: the vectors the function is capable of (Multiple Message Capable). */
function msiVecCount(flags: number): number {
  return 1 << ((flags & PCI_MSI_FLAGS_QMASK) >> 1);
}

export interface MsiInitOptions {
  /** The address of the first online CPU, where a reserved vector points (reservedMessage). */
  readonly firstCpuAddressLo: number;
  /**
   * The driver asked for more than one vector, on a kernel whose msi_capability_init tries a
   * multi-MSI count before failing (v6.1); only a function capable of more is tried: see
   * msiCapabilityInit.
   */
  readonly multiMsiAttempt?: boolean;
}

/**
 * msi_capability_init for one vector: disable, mask every capable vector (if maskable:
 * pci_msi_mask(desc, msi_multi_mask(desc))), the message at allocation (reservedMessage when
 * maskable, else the real vector), INTx off, enable. QSIZE stays 0 (one vector:
 * msi_attrib.multiple = 0). The unmask comes with the driver's request_irq (requestIrq).
 *
 * Multi-MSI on x86 without interrupt remapping: v6.1 tries the count first, and
 * pci_msi_domain_check_cap returns 1 from inside pci_msi_setup_msi_irqs, after the disable and
 * the mask; the error path unmasks (pci_msi_unmask(&desc, msi_multi_mask)) and
 * __pci_enable_msi_range retries with one vector. v6.2+ msi_capability_init rejects it before any
 * write ("Reject multi-MSI early"; Debian 7.3.4 read). QEMU's trace of a 6.1 pcieport probe on
 * an ioh3420 (2 vectors capable) has the three writes of the failed try; 6.12's and 7.2's do not.
 */
export async function msiCapabilityInit(d: KexecDev, v: MsiVector, o: MsiInitOptions): Promise<void> {
  const cap = d.msiCap;
  const flags = await stepRead(d, cap + PCI_MSI_FLAGS, 2);
  const maskable = (flags & PCI_MSI_FLAGS_MASKBIT) !== 0;
  const maskPos = cap + msiMaskPos(flags);
  if (o.multiMsiAttempt && msiVecCount(flags) > 1) {
    await stepWrite(d, 'pci_msi_set_enable', cap + PCI_MSI_FLAGS, 2, flags & ~PCI_MSI_FLAGS_ENABLE, 'MSI off while it is set up (the multi-MSI try)');
    if (maskable) {
      await stepClearAndSet(d, 'pci_msi_mask', maskPos, 4, 0, msiMultiMask(flags), 'mask every capable vector (the multi-MSI try)');
      await stepClearAndSet(d, 'pci_msi_unmask', maskPos, 4, msiMultiMask(flags), 0, 'the domain has no multi-MSI (pci_msi_domain_check_cap returns 1): the error path unmasks, retried with one vector');
    }
  }
  await stepWrite(d, 'pci_msi_set_enable', cap + PCI_MSI_FLAGS, 2, flags & ~PCI_MSI_FLAGS_ENABLE & ~PCI_MSI_FLAGS_QSIZE, 'MSI off while it is set up');
  if (maskable) await stepClearAndSet(d, 'pci_msi_mask', maskPos, 4, 0, msiMultiMask(flags), 'mask every capable vector during setup');
  if (maskable) await pciWriteMsgMsi(d, 'msi_domain_activate', reservedMessage(v.index, o.firstCpuAddressLo), 'allocated in reservation mode: MANAGED_IRQ_SHUTDOWN_VECTOR');
  else await pciWriteMsgMsi(d, 'msi_domain_activate', v, 'not maskable, so no reservation mode: the real vector at allocation');
  await pciIntx(d, false, 'pci_intx_for_msi', 'MSI replaces INTx: pci_intx(dev, 0) sets INTX_DISABLE');
  await stepClearAndSet(d, 'pci_msi_set_enable', cap + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_QSIZE, PCI_MSI_FLAGS_ENABLE, 'MSI enabled');
}
