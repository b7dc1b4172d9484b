/** pci.c pci_find_capability / pci_find_ext_capability rules: TTL, masking, stop conditions. */
import { describe, expect, it } from 'vitest';
import { newPciDev } from '../../../sim/linux/dev.js';
import { PCI_FIND_CAP_TTL } from '../../../devices/find-cap.js';
import { pciFindCapability, pciFindExtCapability, pciSetupDevice } from '../../../sim/linux/find-cap.js';
import { buildSynthetic } from './helpers/synthetic.js';
import {
  PCI_CAP_ID_MSI, PCI_CAP_ID_PM, PCI_EXP_TYPE_ENDPOINT, PCI_EXT_CAP_ID_ERR, PCI_EXT_CAP_ID_LTR,
} from '../../../devices/pci-regs.js';

async function setup(spec: Parameters<typeof buildSynthetic>[0]) {
  const s = buildSynthetic(spec);
  const d = newPciDev(s.access);
  await pciSetupDevice(d);
  return { s, d };
}

describe('pci_find_capability (__pci_find_next_cap_ttl)', () => {
  it('aligns a pointer down to 4 (pos &= ~3)', async () => {
    const { s, d } = await setup({ std: [{ id: PCI_CAP_ID_PM, at: 0x40 }, { id: PCI_CAP_ID_MSI, at: 0x50 }] });
    s.space.poke(0x41, 1, 0x53);
    expect(await pciFindCapability(d, PCI_CAP_ID_MSI)).toBe(0x50);
  });

  it('a pointer below 0x40 ends the walk', async () => {
    const { s, d } = await setup({ std: [{ id: PCI_CAP_ID_PM, at: 0x40 }, { id: PCI_CAP_ID_MSI, at: 0x50 }] });
    s.space.poke(0x41, 1, 0x3c);
    expect(await pciFindCapability(d, PCI_CAP_ID_MSI)).toBe(0);
  });

  it(`a loop ends after PCI_FIND_CAP_TTL = ${PCI_FIND_CAP_TTL} hops`, async () => {
    const { s, d } = await setup({ std: [{ id: PCI_CAP_ID_PM, at: 0x40 }] });
    s.space.poke(0x41, 1, 0x40);
    // Through awaited reads (a backend without peek, as QEMU's) and through the model's peek: the same reads.
    let reads = 0;
    const { peek, ...awaited } = d.access.config;
    const counting = { ...d, access: { config: { ...awaited, readw: async (o: number) => { reads++; return d.access.config.readw(o); } } } };
    expect(await pciFindCapability(counting, PCI_CAP_ID_MSI)).toBe(0);
    expect(reads).toBe(1 + PCI_FIND_CAP_TTL); // PCI_STATUS + one word per hop
    let peeks = 0;
    const peeking = { ...d, access: { config: { ...d.access.config, peek: (o: number, w: 1 | 2 | 4) => { if (w === 2) peeks++; return peek!(o, w); } } } };
    expect(await pciFindCapability(peeking, PCI_CAP_ID_MSI)).toBe(0);
    expect(peeks).toBe(1 + PCI_FIND_CAP_TTL);
  });

  it('no capability list without PCI_STATUS_CAP_LIST', async () => {
    const { s, d } = await setup({ std: [{ id: PCI_CAP_ID_PM, at: 0x40 }] });
    s.space.poke(0x06, 2, 0);
    expect(await pciFindCapability(d, PCI_CAP_ID_PM)).toBe(0);
  });
});

describe('pci_find_ext_capability', () => {
  it('masks PCI_EXT_CAP_NEXT with 0xffc', async () => {
    const { s, d } = await setup({ pcie: { type: PCI_EXP_TYPE_ENDPOINT }, ext: [{ id: PCI_EXT_CAP_ID_ERR, at: 0x100 }, { id: PCI_EXT_CAP_ID_LTR, at: 0x200 }] });
    s.space.poke(0x100, 4, (PCI_EXT_CAP_ID_ERR | (1 << 16) | (0x203 << 20)) >>> 0);
    expect(await pciFindExtCapability(d, PCI_EXT_CAP_ID_LTR)).toBe(0x200);
  });

  it('a header of 0 at 0x100 means no extended capabilities', async () => {
    const { d } = await setup({ pcie: { type: PCI_EXP_TYPE_ENDPOINT } });
    expect(await pciFindExtCapability(d, 0)).toBe(0);
  });

  it('a non-PCIe function (cfg_size 256) never sees extended capabilities', async () => {
    const { d } = await setup({ ext: [{ id: PCI_EXT_CAP_ID_ERR, at: 0x100 }] });
    expect(d.kernel.cfgSize).toBe(256);
    expect(await pciFindExtCapability(d, PCI_EXT_CAP_ID_ERR)).toBe(0);
  });
});
