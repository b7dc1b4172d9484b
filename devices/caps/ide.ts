/**
 * Integrity and Data Encryption (PCI_EXT_CAP_ID_IDE, 0x0030).
 * Spec: PCIe Base r6.0, "IDE Extended Capability" (names: pci_regs.h PCI_IDE_*, 7.1.3).
 *
 *   +0x00  PCI_EXT_CAP_HEADER
 *   +0x04  PCI_IDE_CAP (u32): link [0], selective [1], ..., link TCs [15:13], selective streams
 *          [23:16] (PCI_IDE_CAP_SEL_NUM + 1)                                               RO
 *   +0x08  PCI_IDE_CTL (u32): flow-through enable [2]                                     RW
 *   +0x0c  link stream blocks (PCI_IDE_LINK_BLOCK_SIZE 8 each, PCI_IDE_CAP_LINK_TC_NUM + 1 of
 *          them when link IDE is supported): control (RW), status (hardware-set)
 *   then   selective stream blocks, PCI_IDE_SEL_BLOCK_SIZE(n) = 20 + 12 n each: capability
 *          (PCI_IDE_SEL_CAP_ASSOC_NUM = n, RO), control (RW), status (hardware-set), RID
 *          association 1 and 2 (RW), n address association blocks of three dwords (RW)
 *
 * Size: the sum of the blocks, each selective block sized by its own ASSOC_NUM (ide.c
 * pci_ide_init walks them the same way, and gives up when the counts differ); blocks that would
 * run past extended config space are not counted, so garbage never describes more than 4 KiB.
 * Save/restore: pci_save_state saves none of it (7.1.3); the keys and stream state belong to the
 * TSM/IDE_KM flow (drivers/pci/ide.c), which a reset or kexec ends. Reset: not sticky.
 */
import type { CapabilityDef, CapReader } from '../capability.js';
import { f, r, whole, type RegisterDef } from '../registers.js';
import { extCapHeader, extCapVersion } from './header-fields.js';

export const PCI_EXT_CAP_ID_IDE = 0x30;
export const PCI_IDE_CAP = 0x04;
export const PCI_IDE_CTL = 0x08;
export const PCI_IDE_LINK_STREAM_0 = 0x0c;
const PCI_IDE_LINK_BLOCK_SIZE = 8;
const PCI_IDE_SEL_ADDR_BLOCK_SIZE = 12;
/** Extended config space after 0x100: the most a capability there can span. */
const EXT_SPAN = 0x1000 - 0x100;

interface Block { readonly at: number; readonly kind: 'link' | 'sel'; readonly index: number; readonly assoc: number }

function blocks(c: CapReader): { blocks: Block[]; end: number } {
  const cap = c.readl(PCI_IDE_CAP);
  const links = cap & 0x1 ? ((cap >>> 13) & 0x7) + 1 : 0;
  const streams = cap & 0x2 ? ((cap >>> 16) & 0xff) + 1 : 0;
  const out: Block[] = [];
  let at = PCI_IDE_LINK_STREAM_0;
  for (let i = 0; i < links; i++, at += PCI_IDE_LINK_BLOCK_SIZE) out.push({ at, kind: 'link', index: i, assoc: 0 });
  for (let i = 0; i < streams; i++) {
    const assoc = c.readl(at) & 0xf;
    const size = 20 + PCI_IDE_SEL_ADDR_BLOCK_SIZE * assoc;
    if (at + size > EXT_SPAN) break;
    out.push({ at, kind: 'sel', index: i, assoc });
    at += size;
  }
  return { blocks: out, end: at };
}

const hw = { volatile: true };

function blockRegisters(b: Block): RegisterDef[] {
  if (b.kind === 'link') {
    return [
      r(`PCI_IDE_LINK_CTL[${b.index}]`, b.at, 4, [
        f('PCI_IDE_LINK_CTL_EN', 0, 'RW'), f('PCI_IDE_LINK_CTL_TX_AGGR', [7, 2], 'RW'), f('PCI_IDE_LINK_CTL_PCRC_EN', 8, 'RW'),
        f('PCI_IDE_LINK_CTL_PART_ENC', [13, 10], 'RW'), f('PCI_IDE_LINK_CTL_ALG', [18, 14], 'RW'), f('PCI_IDE_LINK_CTL_TC', [21, 19], 'RW'),
        f('PCI_IDE_LINK_CTL_ID', [31, 24], 'RW'),
      ]),
      r(`PCI_IDE_LINK_STS[${b.index}]`, b.at + 4, 4, [f('PCI_IDE_LINK_STS_STATE', [3, 0], 'RO', hw), f('PCI_IDE_LINK_STS_IDE_FAIL', 31, 'RO', hw)]),
    ];
  }
  const n = `[${b.index}]`;
  return [
    r(`PCI_IDE_SEL_CAP${n}`, b.at, 4, [f('PCI_IDE_SEL_CAP_ASSOC_NUM', [3, 0], 'RO')]),
    r(`PCI_IDE_SEL_CTL${n}`, b.at + 4, 4, [
      f('PCI_IDE_SEL_CTL_EN', 0, 'RW'), f('PCI_IDE_SEL_CTL_TX_AGGR', [7, 2], 'RW'), f('PCI_IDE_SEL_CTL_PCRC_EN', 8, 'RW'),
      f('PCI_IDE_SEL_CTL_CFG_EN', 9, 'RW'), f('PCI_IDE_SEL_CTL_PART_ENC', [13, 10], 'RW'), f('PCI_IDE_SEL_CTL_ALG', [18, 14], 'RW'),
      f('PCI_IDE_SEL_CTL_TC', [21, 19], 'RW'), f('PCI_IDE_SEL_CTL_DEFAULT', 22, 'RW'), f('PCI_IDE_SEL_CTL_TEE_LIMITED', 23, 'RW'),
      f('PCI_IDE_SEL_CTL_ID', [31, 24], 'RW'),
    ]),
    r(`PCI_IDE_SEL_STS${n}`, b.at + 8, 4, [f('PCI_IDE_SEL_STS_STATE', [3, 0], 'RO', hw), f('PCI_IDE_SEL_STS_IDE_FAIL', 31, 'RO', hw)]),
    r(`PCI_IDE_SEL_RID_1${n}`, b.at + 0x0c, 4, [f('PCI_IDE_SEL_RID_1_LIMIT', [23, 8], 'RW')]),
    r(`PCI_IDE_SEL_RID_2${n}`, b.at + 0x10, 4, [f('PCI_IDE_SEL_RID_2_VALID', 0, 'RW'), f('PCI_IDE_SEL_RID_2_BASE', [23, 8], 'RW'), f('PCI_IDE_SEL_RID_2_SEG', [31, 24], 'RW')]),
    ...Array.from({ length: b.assoc }, (_, j) => {
      const at = b.at + 20 + PCI_IDE_SEL_ADDR_BLOCK_SIZE * j;
      const m = `${n}[${j}]`;
      return [
        r(`PCI_IDE_SEL_ADDR_1${m}`, at, 4, [f('PCI_IDE_SEL_ADDR_1_VALID', 0, 'RW'), f('PCI_IDE_SEL_ADDR_1_BASE_LOW', [19, 8], 'RW'), f('PCI_IDE_SEL_ADDR_1_LIMIT_LOW', [31, 20], 'RW')]),
        whole(`PCI_IDE_SEL_ADDR_2${m}`, at + 4, 4, 'RW'),
        whole(`PCI_IDE_SEL_ADDR_3${m}`, at + 8, 4, 'RW'),
      ];
    }).flat(),
  ];
}

export const ide: CapabilityDef = {
  id: PCI_EXT_CAP_ID_IDE,
  extended: true,
  key: 'ide',
  linuxId: 'PCI_EXT_CAP_ID_IDE',
  name: 'Integrity & Data Encryption',
  spec: 'PCIe r6.0, IDE Extended Capability',
  version: extCapVersion,
  size: (c) => blocks(c).end,
  registers: (c) => [
    ...extCapHeader(),
    whole('PCI_IDE_CAP', PCI_IDE_CAP, 4, 'RO'),
    r('PCI_IDE_CTL', PCI_IDE_CTL, 4, [f('PCI_IDE_CTL_FLOWTHROUGH_IDE', 2, 'RW')]),
    ...blocks(c).blocks.flatMap(blockRegisters),
  ],
};
