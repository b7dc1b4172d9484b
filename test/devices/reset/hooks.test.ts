/**
 * Resets triggered by config writes (devices/reset/hooks.ts): Initiate FLR, PMCSR D3hot -> D0,
 * and a bridge's Secondary Bus Reset, with each function's personality deciding what resets.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildFunction, type PciFunction } from '../../../devices/device.js';
import { parseLspci } from '../../../devices/dump/lspci.js';
import { SPEC_PROFILE } from '../../../devices/profile.js';
import { profileForDump } from '../../../devices/profiles/index.js';
import { connectSecondaryBus } from '../../../devices/reset/hooks.js';

function load(path: string, profile: 'spec' | 'auto'): PciFunction {
  const [d] = parseLspci(readFileSync(path, 'utf8'));
  return buildFunction(d, profile === 'spec' ? SPEC_PROFILE : profileForDump(d, 'auto'));
}
const cap = (fn: PciFunction, id: number) => fn.walk.capabilities.find((c) => !c.extended && c.id === id)!.offset;
const COMMAND = 0x04;

describe('Initiate FLR written through ConfigAccess (pcie_flr sets PCI_EXP_DEVCTL_BCR_FLR)', () => {
  it('nvme (DEVCAP.FLR): the function resets and BCR_FLR reads back 0', async () => {
    for (const profile of ['spec', 'auto'] as const) {
      const fn = load('fixtures/qemu/nvme.lspci', profile);
      const a = fn.space.access();
      await a.writew(COMMAND, 0x0006);
      const devctl = cap(fn, 0x10) + 0x08;
      await a.writew(devctl, (await a.readw(devctl)) | 0x8000);
      expect(await a.readw(COMMAND), profile).toBe(0);
      expect((await a.readw(devctl)) & 0x8000, profile).toBe(0);
    }
  });
  it('QEMU 7.2 e1000e: Device Control is read-only (no pcie_cap_flr_init), so the write resets nothing', async () => {
    const fn = load('fixtures/qemu/e1000e.lspci', 'auto');
    const a = fn.space.access();
    await a.writew(COMMAND, 0x0006);
    await a.writew(cap(fn, 0x10) + 0x08, 0x8000);
    expect(await a.readw(COMMAND)).toBe(0x0006);
  });
});

describe('PMCSR D3hot -> D0 (pci_pm_reset)', () => {
  /** COMMAND after a D3hot -> D0 round trip through ConfigAccess, starting from MEMORY|MASTER. */
  async function commandAfterD3Cycle(path: string, profile: 'spec' | 'auto'): Promise<number> {
    const fn = load(path, profile);
    const a = fn.space.access();
    await a.writew(COMMAND, 0x0006);
    const pmcsr = cap(fn, 0x01) + 4;
    await a.writew(pmcsr, 3);
    expect(await a.readw(COMMAND)).toBe(0x0006); // entering D3hot resets nothing
    await a.writew(pmcsr, 0);
    return a.readw(COMMAND);
  }
  it('spec, No_Soft_Reset clear (e1000e PMCSR 0x0000): the transition resets the function', async () => {
    expect(await commandAfterD3Cycle('fixtures/qemu/e1000e.lspci', 'spec')).toBe(0);
  });
  it('QEMU 7.2 resets nothing on D3hot -> D0 (qemu.md 2.2), whatever No_Soft_Reset says', async () => {
    expect(await commandAfterD3Cycle('fixtures/qemu/virtio-net.lspci', 'auto')).toBe(0x0006);
  });
  it('spec, No_Soft_Reset set (endpoint-l1ss PMCSR 0x0008): context is kept', async () => {
    expect(await commandAfterD3Cycle('fixtures/synthetic/endpoint-l1ss.lspci', 'spec')).toBe(0x0006);
  });
});

describe('Secondary Bus Reset on a bridge (pci_reset_secondary_bus)', () => {
  it('the 0 -> 1 edge hot-resets the functions below; holding the bit set does not reset again', async () => {
    const port = load('fixtures/qemu/pcie-root-port.lspci', 'auto');
    const child = load('fixtures/qemu/nvme.lspci', 'auto');
    connectSecondaryBus(port, [child]);
    const p = port.space.access();
    const c = child.space.access();
    await c.writew(COMMAND, 0x0006);
    await p.writew(0x3e, 0x0040);
    expect(await c.readw(COMMAND)).toBe(0);
    await c.writew(COMMAND, 0x0006);
    await p.writew(0x3e, 0x0040);
    expect(await c.readw(COMMAND)).toBe(0x0006);
    await p.writew(0x3e, 0x0000);
    expect(await c.readw(COMMAND)).toBe(0x0006);
  });
});
