/**
 * The config-space size Linux gives a function, from what the function is (drivers/pci/probe.c
 * pci_cfg_space_size): a host bridge, a PCI Express function, or a PCI-X function with
 * PCI_X_STATUS 266 MHz/533 MHz gets the extended size once pci_cfg_space_size_ext accepts the
 * dword at 0x100 (not all-ones, and not an alias of the header: pci_ext_cfg_is_aliased, which
 * compares the dword at every 256-byte boundary with the Vendor/Device ID dword). Everything else
 * gets 256 bytes, and Linux never reads above them.
 *
 * The question is answered from captured bytes only: when the dump does not hold 0x100..0xfff the
 * size comes from the function's kind alone and `extChecked` is false.
 */
import { readLE } from './bytes.js';
import { isKnown } from './dump/known.js';
import { PCI_CAPABILITY_LIST, PCI_CAP_ID_EXP, PCI_CAP_ID_PCIX, PCI_CFG_SPACE_EXP_SIZE, PCI_CFG_SPACE_SIZE, PCI_STATUS, PCI_STATUS_CAP_LIST, PCI_X_STATUS } from './pci-regs.js';

/** PCI_X_STATUS_266MHZ | PCI_X_STATUS_533MHZ (include/uapi/linux/pci_regs.h). */
const PCI_X_STATUS_266_533 = 0xc0000000;
/** PCI_CLASS_BRIDGE_HOST, the class word at 0x0a. */
const PCI_CLASS_BRIDGE_HOST = 0x0600;

export interface CfgSpaceSize {
  readonly size: 256 | 4096;
  /** Why, in pci_cfg_space_size's terms. */
  readonly why: string;
  /** The function is of a kind that may have extended space (host bridge, PCIe, PCI-X 266/533). */
  readonly extCapable: boolean;
  /** The dword at 0x100 (and the aliases) were captured, so pci_cfg_space_size_ext was decided from bytes. */
  readonly extChecked: boolean;
  /** False when the capability list is not in the dump, so what the function is cannot be told. */
  readonly kindKnown: boolean;
}

/** Standard-chain lookup over captured bytes only: 'unknown' when the chain runs into uncaptured bytes first. */
function findCap(bytes: Uint8Array, known: Uint8Array, id: number): number | undefined | 'unknown' {
  if (!isKnown(known, PCI_STATUS, 2) || (readLE(bytes, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST) === 0) return undefined;
  let pos = bytes[PCI_CAPABILITY_LIST] ?? 0;
  for (let ttl = 48; ttl > 0 && pos >= 0x40; ttl--) {
    pos &= ~3;
    if (!isKnown(known, pos, 2)) return 'unknown';
    if (bytes[pos] === 0xff) return undefined;
    if (bytes[pos] === id) return pos;
    pos = bytes[pos + 1];
  }
  return undefined;
}

export function pciCfgSpaceSize(bytes: Uint8Array, known: Uint8Array): CfgSpaceSize {
  const cls = isKnown(known, 0x0a, 2) ? readLE(bytes, 0x0a, 2) : undefined;
  let kind: string | undefined;
  const pcie = findCap(bytes, known, PCI_CAP_ID_EXP);
  const pcix = findCap(bytes, known, PCI_CAP_ID_PCIX);
  if (cls === PCI_CLASS_BRIDGE_HOST) kind = 'a host bridge';
  else if (typeof pcie === 'number') kind = 'a PCI Express function';
  else if (pcie === 'unknown' || pcix === 'unknown') {
    // Taken as 4096 so nothing the device may have is cut off; every byte past the capture is unknown anyway.
    return { size: PCI_CFG_SPACE_EXP_SIZE, why: 'pci_cfg_space_size: cannot tell (the capability list is not in the dump, so neither is whether the function is PCI Express)', extCapable: true, extChecked: false, kindKnown: false };
  } else if (pcix !== undefined && isKnown(known, pcix + PCI_X_STATUS, 4) && (readLE(bytes, pcix + PCI_X_STATUS, 4) & PCI_X_STATUS_266_533) !== 0) {
    kind = 'a PCI-X 266/533 function';
  }
  if (!kind) return { size: PCI_CFG_SPACE_SIZE, why: 'pci_cfg_space_size: neither PCI Express, PCI-X 266/533 nor a host bridge: 256 bytes', extCapable: false, extChecked: true, kindKnown: true };
  const boundaries = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15].map((i) => i * PCI_CFG_SPACE_SIZE);
  if (!isKnown(known, PCI_CFG_SPACE_SIZE, 4)) {
    return { size: PCI_CFG_SPACE_EXP_SIZE, why: `pci_cfg_space_size: ${kind}: 4096 bytes (extended space not in the dump)`, extCapable: true, extChecked: false, kindKnown: true };
  }
  const at100 = readLE(bytes, PCI_CFG_SPACE_SIZE, 4);
  if (at100 === 0xffffffff) return { size: PCI_CFG_SPACE_SIZE, why: `pci_cfg_space_size_ext: ${kind}, but the dword at 0x100 reads all-ones: 256 bytes`, extCapable: true, extChecked: true, kindKnown: true };
  const header = readLE(bytes, 0, 4);
  if (boundaries.every((b) => isKnown(known, b, 4) && readLE(bytes, b, 4) === header)) {
    return { size: PCI_CFG_SPACE_SIZE, why: `pci_ext_cfg_is_aliased: ${kind} whose extended space repeats the header every 256 bytes: 256 bytes`, extCapable: true, extChecked: true, kindKnown: true };
  }
  return { size: PCI_CFG_SPACE_EXP_SIZE, why: `pci_cfg_space_size: ${kind}: 4096 bytes`, extCapable: true, extChecked: true, kindKnown: true };
}
