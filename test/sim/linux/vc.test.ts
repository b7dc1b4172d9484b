/** vc.c pci_vc_do_save_buffer: sizing, save/restore in one layout, and the -ENOMEM size check. */
import { describe, expect, it } from 'vitest';
import { kernelProfile } from '../../../sim/linux/profiles.js';
import { pciVcDoSaveBuffer, pciSaveVcState, vcBufferSize, vcBufferSlots } from '../../../sim/linux/vc.js';
import { pciSaveState } from '../../../sim/linux/save.js';
import { pciRestoreState } from '../../../sim/linux/restore.js';
import { buildSynthetic } from './helpers/synthetic.js';
import { capList, enumerate } from './helpers/enumerate.js';
import { PCI_EXP_TYPE_ENDPOINT, PCI_EXT_CAP_ID_VC } from '../../../devices/pci-regs.js';

const VC = 0x100;

/**
 * EVCC 1, LPEVCC 1, ARB_SIZE field 2 (4-bit port arbitration entries); CAP2: VC arbitration table
 * at 0x30 with 64 phases; VC0: port arbitration table at 0x70 with 128 phases; VC1: none.
 * Size = 4 (Port VC Control) + (1+1)*64*4/8 = 64 + 4*128/8 = 64 + 4 (VC0 ctrl) + 4 (VC1 ctrl) = 140.
 */
const vcDevice = (cap1 = 0x811) => buildSynthetic({
  pcie: { type: PCI_EXP_TYPE_ENDPOINT },
  ext: [{ id: PCI_EXT_CAP_ID_VC, at: VC }],
  init: [[VC + 0x04, 4, cap1], [VC + 0x08, 4, 0x03000004], [VC + 0x10, 4, 0x07000008]],
});

describe('pci_vc_do_save_buffer sizing (pci_allocate_vc_save_buffers)', () => {
  it.each([
    ['EVCC 1, LPEVCC 1, 64-phase VC table, 128-phase 4-bit port table', 0x811, 140],
    ['LPEVCC 0: no VC arbitration table', 0x801, 4 + 64 + 4 + 4],
    ['EVCC 0, ARB_SIZE 1 bit', 0x000, 4 + 16 + 4],
  ])('%s (CAP1 %#x) -> %i bytes', async (_name, cap1, size) => {
    const dev = await enumerate(kernelProfile('7.1'), vcDevice(cap1).access);
    expect(await pciVcDoSaveBuffer(dev, VC, { kind: 'size' })).toBe(size);
    expect(capList(dev)).toContain(`VC:${size}`);
  });
});

describe('pci_save_vc_state / pci_restore_vc_state', () => {
  it('save then restore puts Port VC Control, the tables and Resource Control back', async () => {
    const s = vcDevice();
    const dev = await enumerate(kernelProfile('7.1'), s.access);
    s.space.poke(VC + 0x0c, 2, 0x0002);           // PCI_VC_PORT_CTRL arbitration select
    s.space.poke(VC + 0x30, 4, 0x11223344);       // VC arbitration table dword 0
    s.space.poke(VC + 0x70, 4, 0x55667788);       // VC0 port arbitration table dword 0
    s.space.poke(VC + 0x14, 4, 0x800000ff);       // VC0 Resource Control (enable + TC map)
    expect(await pciSaveState(kernelProfile('7.1'), dev)).toBe(0);
    for (const o of [0x0c, 0x30, 0x70]) s.space.poke(VC + o, 4, 0);
    s.space.poke(VC + 0x14, 4, 0x80000001);
    const log = await pciRestoreState(kernelProfile('7.1'), dev);
    expect(s.space.read(VC + 0x30, 4)).toBe(0x11223344);
    expect(s.space.read(VC + 0x70, 4)).toBe(0x55667788);
    // "For an FLR case, the VC config may remain": the live enable bit is kept, the rest restored.
    expect(s.space.read(VC + 0x14, 4)).toBe(0x800000ff);
    const vcWrites = log.filter((e) => e.fn === 'pci_restore_vc_state').map((e) => e.offset - VC);
    expect(vcWrites[0]).toBe(0x0c); // Port VC Control first
    expect(vcWrites).toContain(0x30);
  });

  it('a buffer whose size no longer matches the hardware gives -ENOMEM', async () => {
    const s = vcDevice();
    const dev = await enumerate(kernelProfile('6.12'), s.access);
    s.space.poke(VC + 0x04, 4, 0x000); // CAP1 changed after allocation: size is now 24, buffer 140
    expect(await pciSaveVcState(dev)).toBe(-12);
  });
});

describe('vcBufferSlots: the layout lusim-v1 carries VC by (sim/cycle/carry.ts)', () => {
  it('names every byte of data[] once, in pci_vc_do_save_buffer order, and sums to the allocated size', () => {
    const s = vcDevice();
    const slots = vcBufferSlots((rel) => s.space.read(VC + rel, 4));
    expect(vcBufferSize(slots)).toBe(140);
    expect(slots.map((x) => x.name).slice(0, 2)).toEqual(['PCI_VC_PORT_CTRL', 'VC_ARB_TABLE[0]']);
    // 16 dwords of VC arbitration table at 0x30, 16 of VC0's port table at 0x70, then Resource Control 0 and 1.
    expect(slots.filter((x) => x.kind === 'vc-arb').map((x) => x.offset)).toEqual(Array.from({ length: 16 }, (_, i) => 0x30 + 4 * i));
    expect(slots.filter((x) => x.kind === 'res-ctrl').map((x) => [x.offset, x.dataOffset])).toEqual([[0x14, 132], [0x20, 136]]);
    const covered = new Set<number>();
    for (const x of slots) for (let i = 0; i < (x.kind === 'port-ctrl' ? 4 : x.width); i++) { expect(covered.has(x.dataOffset + i)).toBe(false); covered.add(x.dataOffset + i); }
    expect(covered.size).toBe(140);
  });
});
