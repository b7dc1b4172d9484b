/** simulateKexec: shutdown, reset hook points, enumeration, in that order; capability lookup never hangs. */
import { describe, expect, it } from 'vitest';
import { simulateKexec } from '../../../sim/kexec-sim/index.js';
import { pciFindCapability, pciSetupCapLookup } from '../../../devices/find-cap.js';
import { SYN, syntheticEndpoint } from './helpers.js';

describe('simulateKexec', () => {
  it('runs pci_device_shutdown, then the betweenKernels hook, then kernel B enumeration, then afterEnumeration', async () => {
    const m = await syntheticEndpoint((b) => { b[0x04] = 0x06; b[SYN.MSI + 2] |= 0x01; }); // MEM|MASTER, MSI on
    const order: string[] = [];
    const log = await simulateKexec(m.fa, { preserved: false, driver: 'none', from: '6.12', to: '7.1' }, {
      betweenKernels: async (_fn, l) => { order.push(`between:${l.writes.map((w) => w.fn).join(',')}`); },
      afterEnumeration: async (_fn, l) => { order.push(`after:${l.writes.some((w) => w.fn === 'pci_msi_init')}`); },
    });
    expect(order).toEqual(['between:pci_clear_master', 'after:true']);
    expect(log.writes[0].fn).toBe('pci_clear_master');
  });

  it('pciFindCapability stops on a looping chain (48-hop TTL, __pci_find_next_cap_ttl)', async () => {
    const m = await syntheticEndpoint((b) => { b[SYN.PCIE + 1] = SYN.PM; }); // PCIe -> PM: a loop
    const d = await pciSetupCapLookup(m.fa.config);
    expect(await pciFindCapability(d, 0x11)).toBe(0);
    expect(await pciFindCapability(d, 0x05)).toBe(SYN.MSI);
  });
});
