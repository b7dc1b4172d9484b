/**
 * drivers/pci/vc.c (identical in v6.1 and v7.1 apart from FIELD_GET spelling): one routine,
 * pci_vc_do_save_buffer, sizes, saves and restores the VC/VC9/MFVC state so the buffer layout
 * always matches: Port VC Control (4 bytes, u16 used), the VC arbitration table when LPEVCC != 0
 * and CAP2 has a table offset, then per VC (0..EVCC) its port arbitration table (when its offset is
 * nonzero) followed by the VC Resource Control dword.
 */
import type { SavedCapBuffer } from '../saved-state.js';
import type { PciDev } from './dev.js';
import { pciFindExtCapability } from './find-cap.js';
import { pcieDownstreamPort } from './pcie-access.js';
import { pciIsPcie } from './dev.js';
import { pciAddCapSaveBuffer, pciFindSavedCap, getU16, getU32 } from './saved-cap.js';
import { writeLE as setLE } from '../../devices/bytes.js';
import type { PlacedSlot } from './layouts.js';
import { ENOMEM } from './errors.js';
import {
  PCI_CAP_VC_PER_VC_SIZEOF, PCI_EXT_CAP_ID, PCI_EXT_CAP_ID_MFVC, PCI_EXT_CAP_ID_VC, PCI_EXT_CAP_ID_VC9,
  PCI_VC_CAP1_ARB_SIZE, PCI_VC_CAP1_EVCC, PCI_VC_CAP1_LPEVCC, PCI_VC_CAP2_128_PHASE, PCI_VC_CAP2_32_PHASE,
  PCI_VC_CAP2_64_PHASE, PCI_VC_CAP2_ARB_OFF, PCI_VC_PORT_CAP1, PCI_VC_PORT_CAP2, PCI_VC_PORT_CTRL,
  PCI_VC_PORT_CTRL_LOAD_TABLE, PCI_VC_PORT_STATUS, PCI_VC_PORT_STATUS_TABLE, PCI_VC_RES_CAP,
  PCI_VC_RES_CAP_128_PHASE, PCI_VC_RES_CAP_128_PHASE_TB, PCI_VC_RES_CAP_256_PHASE, PCI_VC_RES_CAP_32_PHASE,
  PCI_VC_RES_CAP_64_PHASE, PCI_VC_RES_CAP_ARB_OFF, PCI_VC_RES_CTRL, PCI_VC_RES_CTRL_ARB_SELECT,
  PCI_VC_RES_CTRL_ENABLE, PCI_VC_RES_CTRL_ID, PCI_VC_RES_CTRL_LOAD_TABLE, PCI_VC_RES_STATUS,
  PCI_VC_RES_STATUS_NEGO, PCI_VC_RES_STATUS_TABLE,
} from '../../devices/pci-regs.js';

/** vc.c vc_caps[]: the order allocation, save and restore walk. */
export const VC_CAPS: readonly { id: number; name: string }[] = [
  { id: PCI_EXT_CAP_ID_MFVC, name: 'MFVC' },
  { id: PCI_EXT_CAP_ID_VC, name: 'VC' },
  { id: PCI_EXT_CAP_ID_VC9, name: 'VC9' },
];

/**
 * pci.c pci_wait_for_pending: up to 4 reads (the kernel sleeps 0, 100, 200, 400 ms between them);
 * true once the bits clear. The model does not sleep.
 */
export async function pciWaitForPending(dev: PciDev, pos: number, mask: number): Promise<boolean> {
  for (let i = 0; i < 4; i++) {
    if (!((await dev.access.config.readw(pos)) & mask)) return true;
  }
  return false;
}

/** pci_vc_load_arb_table. */
async function pciVcLoadArbTable(dev: PciDev, pos: number): Promise<void> {
  const c = dev.access.config;
  const ctrl = await c.readw(pos + PCI_VC_PORT_CTRL);
  await c.writew(pos + PCI_VC_PORT_CTRL, ctrl | PCI_VC_PORT_CTRL_LOAD_TABLE);
  await pciWaitForPending(dev, pos + PCI_VC_PORT_STATUS, PCI_VC_PORT_STATUS_TABLE);
}

/** pci_vc_load_port_arb_table. */
async function pciVcLoadPortArbTable(dev: PciDev, pos: number, res: number): Promise<void> {
  const c = dev.access.config;
  const ctrlPos = pos + PCI_VC_RES_CTRL + res * PCI_CAP_VC_PER_VC_SIZEOF;
  const ctrl = await c.readl(ctrlPos);
  await c.writel(ctrlPos, (ctrl | PCI_VC_RES_CTRL_LOAD_TABLE) >>> 0);
  await pciWaitForPending(dev, pos + PCI_VC_RES_STATUS + res * PCI_CAP_VC_PER_VC_SIZEOF, PCI_VC_RES_STATUS_TABLE);
}

/**
 * pci_vc_enable: only from a downstream port. The opposite end is dev->bus->self (`parent`);
 * without a modelled parent, or for VC9, the kernel's "skip to enable" path is taken (the root
 * bus case).
 */
async function pciVcEnable(dev: PciDev, pos: number, res: number): Promise<void> {
  if (!pciIsPcie(dev) || !pcieDownstreamPort(dev)) return;
  const c = dev.access.config;
  const ctrlPos = pos + PCI_VC_RES_CTRL + res * PCI_CAP_VC_PER_VC_SIZEOF;
  let ctrl = await c.readl(ctrlPos);
  const id = ctrl & PCI_VC_RES_CTRL_ID;
  const header = await c.readl(pos);
  let link: { dev: PciDev; ctrlPos: number; statusPos: number } | undefined;
  const up = dev.parent;
  if (PCI_EXT_CAP_ID(header) !== PCI_EXT_CAP_ID_VC9 && up) {
    const pos2 = await pciFindExtCapability(up, PCI_EXT_CAP_ID_VC);
    if (pos2) {
      const evcc = (await up.access.config.readl(pos2 + PCI_VC_PORT_CAP1)) & PCI_VC_CAP1_EVCC;
      for (let i = 1; i < evcc + 1; i++) {
        const ctrlPos2 = pos2 + PCI_VC_RES_CTRL + i * PCI_CAP_VC_PER_VC_SIZEOF;
        let ctrl2 = await up.access.config.readl(ctrlPos2);
        if ((ctrl2 & PCI_VC_RES_CTRL_ID) === id) {
          link = { dev: up, ctrlPos: ctrlPos2, statusPos: pos2 + PCI_VC_RES_STATUS + i * PCI_CAP_VC_PER_VC_SIZEOF };
          if (ctrl2 & PCI_VC_RES_CTRL_ENABLE) {
            ctrl2 = (ctrl2 & ~PCI_VC_RES_CTRL_ENABLE) >>> 0;
            await up.access.config.writel(ctrlPos2, ctrl2);
          }
          await up.access.config.writel(ctrlPos2, (ctrl2 | PCI_VC_RES_CTRL_ENABLE) >>> 0);
          break;
        }
      }
    }
  }
  ctrl = (ctrl | PCI_VC_RES_CTRL_ENABLE) >>> 0;
  await c.writel(ctrlPos, ctrl);
  await pciWaitForPending(dev, pos + PCI_VC_RES_STATUS + res * PCI_CAP_VC_PER_VC_SIZEOF, PCI_VC_RES_STATUS_NEGO);
  if (link) await pciWaitForPending(link.dev, link.statusPos, PCI_VC_RES_STATUS_NEGO);
}

type VcMode = { kind: 'size' } | { kind: 'save'; buf: SavedCapBuffer } | { kind: 'restore'; buf: SavedCapBuffer };

/** One piece of the VC buffer: where it lives in the capability and in data[]. */
export interface VcSlot extends PlacedSlot {
  readonly kind: 'port-ctrl' | 'vc-arb' | 'port-arb' | 'res-ctrl';
  /** The VC a port arbitration table or Resource Control belongs to. */
  readonly vc?: number;
}

/**
 * The buffer layout pci_vc_do_save_buffer walks, from the capability's read-only registers
 * (`readl` relative to the capability): Port VC Control (a u16 in 4 bytes), the VC arbitration
 * table when LPEVCC != 0 and CAP2 has a table offset, then per VC 0..EVCC its port arbitration
 * table (when its offset is nonzero) and its Resource Control dword. The same list sizes, saves,
 * restores and (sim/cycle/carry.ts) carries the buffer by register.
 */
export function vcBufferSlots(readl: (rel: number) => number): VcSlot[] {
  const slots: VcSlot[] = [{ kind: 'port-ctrl', name: 'PCI_VC_PORT_CTRL', offset: PCI_VC_PORT_CTRL, dataOffset: 0, width: 2 }];
  let off = 4;
  const table = (kind: 'vc-arb' | 'port-arb', name: string, at: number, size: number, vc?: number) => {
    for (let i = 0; i < size / 4; i++) slots.push({ kind, name: `${name}[${i}]`, offset: at + 4 * i, dataOffset: off + 4 * i, width: 4, ...(vc !== undefined ? { vc } : {}) });
    off += size;
  };
  const cap1 = readl(PCI_VC_PORT_CAP1);
  const evcc = cap1 & PCI_VC_CAP1_EVCC;
  const lpevcc = (cap1 & PCI_VC_CAP1_LPEVCC) >>> 4;
  const parbSize = 1 << ((cap1 & PCI_VC_CAP1_ARB_SIZE) >>> 10);
  if (lpevcc) {
    const cap2 = readl(PCI_VC_PORT_CAP2);
    const vcarbOffset = ((cap2 & PCI_VC_CAP2_ARB_OFF) >>> 24) * 16;
    if (vcarbOffset) {
      let phases = 0;
      if (cap2 & PCI_VC_CAP2_128_PHASE) phases = 128;
      else if (cap2 & PCI_VC_CAP2_64_PHASE) phases = 64;
      else if (cap2 & PCI_VC_CAP2_32_PHASE) phases = 32;
      table('vc-arb', 'VC_ARB_TABLE', vcarbOffset, ((lpevcc + 1) * phases * 4) / 8);
    }
  }
  for (let i = 0; i < evcc + 1; i++) {
    const cap = readl(PCI_VC_RES_CAP + i * PCI_CAP_VC_PER_VC_SIZEOF);
    const parbOffset = ((cap & PCI_VC_RES_CAP_ARB_OFF) >>> 24) * 16;
    if (parbOffset) {
      let phases = 0;
      if (cap & PCI_VC_RES_CAP_256_PHASE) phases = 256;
      else if (cap & (PCI_VC_RES_CAP_128_PHASE | PCI_VC_RES_CAP_128_PHASE_TB)) phases = 128;
      else if (cap & PCI_VC_RES_CAP_64_PHASE) phases = 64;
      else if (cap & PCI_VC_RES_CAP_32_PHASE) phases = 32;
      table('port-arb', `PORT_ARB_TABLE_VC${i}`, parbOffset, (parbSize * phases) / 8, i);
    }
    slots.push({ kind: 'res-ctrl', name: `PCI_VC_RES_CTRL[${i}]`, offset: PCI_VC_RES_CTRL + i * PCI_CAP_VC_PER_VC_SIZEOF, dataOffset: off, width: 4, vc: i });
    off += 4;
  }
  return slots;
}

/** Bytes of data[] the slots cover (Port VC Control takes 4 for its u16). */
export const vcBufferSize = (slots: readonly VcSlot[]): number => Math.max(...slots.map((s) => s.dataOffset + (s.kind === 'port-ctrl' ? 4 : s.width)));

/** The registers vcBufferSlots reads, read through the device first (all read-only). */
async function readVcSlots(dev: PciDev, pos: number): Promise<VcSlot[]> {
  const c = dev.access.config;
  const regs = new Map<number, number>();
  const cap1 = await c.readl(pos + PCI_VC_PORT_CAP1);
  regs.set(PCI_VC_PORT_CAP1, cap1);
  if (cap1 & PCI_VC_CAP1_LPEVCC) regs.set(PCI_VC_PORT_CAP2, await c.readl(pos + PCI_VC_PORT_CAP2));
  for (let i = 0; i < (cap1 & PCI_VC_CAP1_EVCC) + 1; i++) {
    const rel = PCI_VC_RES_CAP + i * PCI_CAP_VC_PER_VC_SIZEOF;
    regs.set(rel, await c.readl(pos + rel));
  }
  return vcBufferSlots((rel) => regs.get(rel) ?? 0);
}

/** pci_vc_do_save_buffer: returns the size in 'size' mode, 0 or -ENOMEM otherwise. */
export async function pciVcDoSaveBuffer(dev: PciDev, pos: number, mode: VcMode): Promise<number> {
  const c = dev.access.config;
  const slots = await readVcSlots(dev, pos);
  const len = vcBufferSize(slots);
  if (mode.kind === 'size') return len;
  if (mode.buf.data.length !== len) return -ENOMEM; // "VC save buffer size does not match"
  const data = mode.buf.data;
  for (const [i, s] of slots.entries()) {
    if (mode.kind === 'save') {
      setLE(data, s.dataOffset, s.width, s.width === 2 ? await c.readw(pos + s.offset) : await c.readl(pos + s.offset));
      continue;
    }
    // Port VC Control first: VC Arbitration Select cannot change with more than one LPVC running.
    if (s.kind === 'port-ctrl') await c.writew(pos + s.offset, getU16(data, s.dataOffset / 2));
    else if (s.kind !== 'res-ctrl') await c.writel(pos + s.offset, getU32(data, s.dataOffset / 4));
    if (s.kind === 'vc-arb' && slots[i + 1]?.kind !== 'vc-arb') await pciVcLoadArbTable(dev, pos);
    if (s.kind === 'res-ctrl') await restoreResCtrl(dev, pos, s.vc!, getU32(data, s.dataOffset / 4));
  }
  return 0;
}

/** "For an FLR case, the VC config may remain": keep the live enable bit, restore the rest. */
async function restoreResCtrl(dev: PciDev, pos: number, vc: number, ctrl: number): Promise<void> {
  const c = dev.access.config;
  const ctrlPos = pos + PCI_VC_RES_CTRL + vc * PCI_CAP_VC_PER_VC_SIZEOF;
  let tmp = (await c.readl(ctrlPos)) & PCI_VC_RES_CTRL_ENABLE;
  tmp = (tmp | (ctrl & ~PCI_VC_RES_CTRL_ENABLE)) >>> 0;
  await c.writel(ctrlPos, tmp);
  if (ctrl & PCI_VC_RES_CTRL_ARB_SELECT) await pciVcLoadPortArbTable(dev, pos, vc);
  if ((ctrl ^ tmp) & PCI_VC_RES_CTRL_ENABLE) await pciVcEnable(dev, pos, vc);
}

/** pci_allocate_vc_save_buffers. */
export async function pciAllocateVcSaveBuffers(dev: PciDev): Promise<void> {
  for (const vc of VC_CAPS) {
    const pos = await pciFindExtCapability(dev, vc.id);
    if (!pos) continue;
    const len = await pciVcDoSaveBuffer(dev, pos, { kind: 'size' });
    await pciAddCapSaveBuffer(dev, vc.id, true, len);
  }
}

/** pci_save_vc_state: -ENOMEM on a missing buffer or a size mismatch. */
export async function pciSaveVcState(dev: PciDev): Promise<number> {
  for (const vc of VC_CAPS) {
    const pos = await pciFindExtCapability(dev, vc.id);
    if (!pos) continue;
    const buf = pciFindSavedCap(dev, vc.id, true);
    if (!buf) return -ENOMEM;
    const ret = await pciVcDoSaveBuffer(dev, pos, { kind: 'save', buf });
    if (ret) return ret;
  }
  return 0;
}

/** pci_restore_vc_state: a size mismatch is logged by the kernel and that capability skipped. */
export async function pciRestoreVcState(dev: PciDev): Promise<void> {
  for (const vc of VC_CAPS) {
    const pos = await pciFindExtCapability(dev, vc.id);
    const buf = pciFindSavedCap(dev, vc.id, true);
    if (!buf || !pos) continue;
    await pciVcDoSaveBuffer(dev, pos, { kind: 'restore', buf });
  }
}
