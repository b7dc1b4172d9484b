/**
 * lusim-v1's identity of a bridge (sim/cycle/carry.ts deviceIdentity). Found by `lusim fuzz
 * --from-dump` over the pciutils corpus (2026-12-02): cap-dpc's 05:01.0 and cap-multicast's
 * 07:00.0, ports with a prefetchable window above 4 GiB, were refused by lusim-v1 after a bus or
 * cold reset ("subsystemVendor: payload 14399, device 0"): the identity read a type 1 header's 0x2c,
 * which is PCI_PREF_LIMIT_UPPER32 there, a window the reset clears. v7.3 probe.c pci_setup_device
 * reads a bridge's subsystem IDs from its PCI_CAP_ID_SSVID capability, a CardBus bridge's from 0x40.
 */
import { describe, expect, it } from 'vitest';
import { capabilityById } from '../../../devices/capability-lookup.js';
import { PCI_CAP_ID_SSVID, PCI_PREF_LIMIT_UPPER32 } from '../../../devices/pci-regs.js';
import { deviceIdentity } from '../../../sim/cycle/carry.js';
import { runCycle } from '../../../sim/cycle/run.js';
import { fixture } from './helpers.js';

const rootPort = fixture('pcie-root-port');

describe('lusim-v1 identity of a bridge', () => {
  it('the subsystem IDs come from the SSVID capability, not from the prefetchable window at 0x2c', () => {
    const fn = rootPort();
    fn.space.write(PCI_PREF_LIMIT_UPPER32, 4, 0x383f);
    expect(fn.space.read(PCI_PREF_LIMIT_UPPER32, 4)).toBe(0x383f);
    const ssvid = capabilityById(fn, PCI_CAP_ID_SSVID, false)!;
    expect(ssvid).toBeDefined();
    expect(deviceIdentity(fn)).toMatchObject({ subsystemVendor: fn.space.read(ssvid.offset + 4, 2), subsystemDevice: fn.space.read(ssvid.offset + 6, 2) });
  });

  it.each(['bus', 'cold'] as const)('a port whose window a %s reset clears is not refused as another device', async (reset) => {
    const fn = rootPort();
    fn.space.write(PCI_PREF_LIMIT_UPPER32, 4, 0x383f);
    const r = await runCycle(fn, { from: '6.12', to: '6.12', format: 'lusim-v1', flow: 'plain', operational: 'as-found', reset });
    expect(r.load).toEqual({ ret: 0 });
  });
});
