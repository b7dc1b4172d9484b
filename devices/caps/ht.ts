/**
 * HyperTransport (PCI_CAP_ID_HT, 0x08): one capability ID, many sub-types.
 * Spec: HyperTransport I/O Link Specification r3.10 (capability blocks); sub-type codes as pci_regs.h
 * HT_CAPTYPE_* (3-bit types in PCI_HT_CMD [15:13], 5-bit types in [15:11]).
 *
 *   +0x00 ID | NEXT | PCI_HT_CMD (u16): type [15:11] or [15:13], the rest per type
 *   slave/primary (HT_CAPTYPE_SLAVE 0x00): link control, config, frequency... HT_CAP_SIZEOF_LONG (28)
 *   host/secondary (HT_CAPTYPE_HOST 0x20): HT_CAP_SIZEOF_SHORT (24)
 *   MSI mapping (HT_CAPTYPE_MSI_MAPPING 0xa8): HT_MSI_FLAGS enable [0] RW, fixed [1] RO;
 *     HT_MSI_ADDR_LO (+4, bits 31:20), HT_MSI_ADDR_HI (+8): 12 bytes; the address is RW unless
 *     the mapping is fixed (HT_MSI_FLAGS_FIXED: at HT_MSI_FIXED_ADDR 0xfee00000), then RO
 *   other sub-types: only their 4-byte header is modelled
 *
 * Only the MSI-mapping registers are decoded (Linux programs them: quirks.c ht_enable_msi_mapping,
 * nv_ht_enable_msi_mapping); the link registers of the other types are RsvdP here (writes dropped).
 * VFIO's vfio_cap_len sizes every non-slave type as 24; the sizes here follow the sub-types.
 * Save/restore: pci_save_state saves none of it. quirks.c re-enables MSI mapping on ALi and NVIDIA
 * chipsets from its own fixups (nv_msi_ht_cap_quirk_*, FINAL and RESUME_EARLY), not from saved
 * state.
 * Reset: not sticky.
 */
import type { CapabilityDef, CapReader } from '../capability.js';
import { f, r, type RegisterDef } from '../registers.js';
import { capHeader } from './header-fields.js';

export const PCI_CAP_ID_HT = 0x08;
export const HT_CAPTYPE_SLAVE = 0x00;
export const HT_CAPTYPE_HOST = 0x20;
export const HT_CAPTYPE_MSI_MAPPING = 0xa8;
export const HT_MSI_ADDR_LO = 4;
export const HT_MSI_ADDR_HI = 8;
export const HT_MSI_FLAGS_FIXED = 0x2;

/** The byte holding the sub-type (PCI_HT_CMD high byte, config offset +3). */
const typeByte = (c: CapReader) => c.readb(3);
const isMsiMapping = (c: CapReader) => (typeByte(c) & 0xf8) === HT_CAPTYPE_MSI_MAPPING;

function htSize(c: CapReader): number {
  const t3 = typeByte(c) & 0xe0;
  if (t3 === HT_CAPTYPE_SLAVE) return 28;
  if (t3 === HT_CAPTYPE_HOST) return 24;
  return isMsiMapping(c) ? 12 : 4;
}

export const ht: CapabilityDef = {
  id: PCI_CAP_ID_HT,
  extended: false,
  key: 'ht',
  linuxId: 'PCI_CAP_ID_HT',
  name: 'HyperTransport',
  spec: 'HyperTransport I/O Link r3.10',
  version: () => 0,
  size: htSize,
  registers: (c) => {
    if (!isMsiMapping(c)) return [...capHeader(), r('PCI_HT_CMD', 2, 2, [f('PCI_HT_CMD_TYP', [15, 11], 'RO')])];
    const addr = (c.readb(2) & HT_MSI_FLAGS_FIXED) !== 0 ? 'RO' : 'RW';
    const regs: RegisterDef[] = [
      ...capHeader(),
      r('HT_MSI_FLAGS', 2, 2, [f('HT_MSI_FLAGS_ENABLE', 0, 'RW'), f('HT_MSI_FLAGS_FIXED', 1, 'RO'), f('PCI_HT_CMD_TYP', [15, 11], 'RO')]),
      r('HT_MSI_ADDR_LO', HT_MSI_ADDR_LO, 4, [f('HT_MSI_ADDR_LO_MASK', [31, 20], addr)]),
      r('HT_MSI_ADDR_HI', HT_MSI_ADDR_HI, 4, [f('HT_MSI_ADDR_HI', [31, 0], addr)]),
    ];
    return regs;
  },
};
