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
import { pciAddCapSaveBuffer, pciFindSavedCap, getU16, getU32, setU16, setU32 } from './saved-cap.js';
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

/** pci_vc_do_save_buffer: returns the size in 'size' mode, 0 or -ENOMEM otherwise. */
export async function pciVcDoSaveBuffer(dev: PciDev, pos: number, mode: VcMode): Promise<number> {
  const c = dev.access.config;
  if (mode.kind !== 'size' && mode.buf.data.length !== (await pciVcDoSaveBuffer(dev, pos, { kind: 'size' }))) {
    return -ENOMEM; // "VC save buffer size does not match"
  }
  const data = mode.kind === 'size' ? undefined : mode.buf.data;
  const save = mode.kind === 'save';
  let off = 0; // byte offset into data[]
  let len = 0;
  const cap1 = await c.readl(pos + PCI_VC_PORT_CAP1);
  const evcc = cap1 & PCI_VC_CAP1_EVCC;
  const lpevcc = (cap1 & PCI_VC_CAP1_LPEVCC) >>> 4;
  const parbSize = 1 << ((cap1 & PCI_VC_CAP1_ARB_SIZE) >>> 10);

  const dwords = async (at: number, n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      if (save) setU32(data!, off / 4 + i, await c.readl(at + i * 4));
      else await c.writel(at + i * 4, getU32(data!, off / 4 + i));
    }
  };

  // Port VC Control first: VC Arbitration Select cannot change with more than one LPVC running.
  if (data) {
    if (save) setU16(data, off / 2, await c.readw(pos + PCI_VC_PORT_CTRL));
    else await c.writew(pos + PCI_VC_PORT_CTRL, getU16(data, off / 2));
    off += 4;
  }
  len += 4;

  if (lpevcc) {
    const cap2 = await c.readl(pos + PCI_VC_PORT_CAP2);
    const vcarbOffset = ((cap2 & PCI_VC_CAP2_ARB_OFF) >>> 24) * 16;
    if (vcarbOffset) {
      let phases = 0;
      if (cap2 & PCI_VC_CAP2_128_PHASE) phases = 128;
      else if (cap2 & PCI_VC_CAP2_64_PHASE) phases = 64;
      else if (cap2 & PCI_VC_CAP2_32_PHASE) phases = 32;
      const size = ((lpevcc + 1) * phases * 4) / 8;
      if (size && data) {
        await dwords(pos + vcarbOffset, size / 4);
        if (!save) await pciVcLoadArbTable(dev, pos);
        off += size;
      }
      len += size;
    }
  }

  for (let i = 0; i < evcc + 1; i++) {
    const cap = await c.readl(pos + PCI_VC_RES_CAP + i * PCI_CAP_VC_PER_VC_SIZEOF);
    const parbOffset = ((cap & PCI_VC_RES_CAP_ARB_OFF) >>> 24) * 16;
    if (parbOffset) {
      let phases = 0;
      if (cap & PCI_VC_RES_CAP_256_PHASE) phases = 256;
      else if (cap & (PCI_VC_RES_CAP_128_PHASE | PCI_VC_RES_CAP_128_PHASE_TB)) phases = 128;
      else if (cap & PCI_VC_RES_CAP_64_PHASE) phases = 64;
      else if (cap & PCI_VC_RES_CAP_32_PHASE) phases = 32;
      const size = (parbSize * phases) / 8;
      if (size && data) {
        await dwords(pos + parbOffset, size / 4);
        off += size;
      }
      len += size;
    }
    if (data) {
      const ctrlPos = pos + PCI_VC_RES_CTRL + i * PCI_CAP_VC_PER_VC_SIZEOF;
      if (save) {
        setU32(data, off / 4, await c.readl(ctrlPos));
      } else {
        // "For an FLR case, the VC config may remain": keep the live enable bit, restore the rest.
        const ctrl = getU32(data, off / 4);
        let tmp = (await c.readl(ctrlPos)) & PCI_VC_RES_CTRL_ENABLE;
        tmp = (tmp | (ctrl & ~PCI_VC_RES_CTRL_ENABLE)) >>> 0;
        await c.writel(ctrlPos, tmp);
        if (ctrl & PCI_VC_RES_CTRL_ARB_SELECT) await pciVcLoadPortArbTable(dev, pos, i);
        if ((ctrl ^ tmp) & PCI_VC_RES_CTRL_ENABLE) await pciVcEnable(dev, pos, i);
      }
      off += 4;
    }
    len += 4;
  }
  return data ? 0 : len;
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
