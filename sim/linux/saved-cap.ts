/**
 * Save-buffer bookkeeping of drivers/pci/pci.c: _pci_add_cap_save_buffer allocates a zeroed
 * (kzalloc) buffer only if the capability is found and inserts it with hlist_add_head, so
 * saved_cap_space is in reverse allocation order; _pci_find_saved_cap returns the first buffer
 * matching (cap_extended, cap_nr). data[] accessors are little-endian, as on x86-64.
 */
import type { SavedCapBuffer } from '../saved-state.js';
import type { PciDev } from './dev.js';
import { pciFindCapability, pciFindExtCapability } from './find-cap.js';

export function pciFindSavedCap(dev: PciDev, capNr: number, extended: boolean): SavedCapBuffer | undefined {
  return dev.saved.savedCapSpace.find((b) => b.capNr === capNr && b.extended === extended);
}

/** _pci_add_cap_save_buffer; returns the new buffer, or undefined when the capability is absent. */
export async function pciAddCapSaveBuffer(dev: PciDev, capNr: number, extended: boolean, size: number): Promise<SavedCapBuffer | undefined> {
  const pos = extended ? await pciFindExtCapability(dev, capNr) : await pciFindCapability(dev, capNr);
  if (!pos) return undefined;
  const buf: SavedCapBuffer = { capNr, extended, data: new Uint8Array(size) };
  dev.saved.savedCapSpace.unshift(buf); // pci_add_saved_cap: hlist_add_head
  return buf;
}

export function getU16(data: Uint8Array, index: number): number {
  const o = index * 2;
  return data[o] | (data[o + 1] << 8);
}

export function setU16(data: Uint8Array, index: number, v: number): void {
  const o = index * 2;
  data[o] = v & 0xff;
  data[o + 1] = (v >>> 8) & 0xff;
}

export function getU32(data: Uint8Array, index: number): number {
  const o = index * 4;
  return (data[o] | (data[o + 1] << 8) | (data[o + 2] << 16) | (data[o + 3] << 24)) >>> 0;
}

export function setU32(data: Uint8Array, index: number, v: number): void {
  const o = index * 4;
  for (let i = 0; i < 4; i++) data[o + i] = (v >>> (8 * i)) & 0xff;
}
