/**
 * The cycle with the device's upstream port modelled (sim/cycle/upstream.ts): L1SS programmed on
 * both ends of the link by kernel B's pci_restore_aspm_l1ss_state, the stale 6.1.y -> 6.12 L1SS
 * buffer written to the link, v6.19's save refreshing the port's buffer, and a bus reset delivered
 * through the port's Secondary Bus Reset.
 */
import { describe, expect, it } from 'vitest';
import type { FunctionAccess } from '../../../devices/access.js';
import { PCI_BRIDGE_CONTROL, PCI_BRIDGE_CTL_BUS_RESET, PCI_EXT_CAP_ID_L1SS, PCI_L1SS_CTL1, PCI_L1SS_CTL2 } from '../../../devices/pci-regs.js';
import { modelUnderTest } from '../../../sim/cycle/model-access.js';
import { runCycle, type CycleResult } from '../../../sim/cycle/run.js';
import { enumeratePort } from '../../../sim/cycle/upstream.js';
import { allocateSaveBuffers } from '../../../sim/linux/alloc.js';
import { newPciDev } from '../../../sim/linux/dev.js';
import { pciSetupDevice } from '../../../sim/linux/find-cap.js';
import { kernelProfile } from '../../../sim/linux/profiles.js';
import { getU32, pciFindSavedCap } from '../../../sim/linux/saved-cap.js';
import { pciBusAddDevice } from '../../../sim/linux/save.js';
import { fixture } from './helpers.js';

// scripts/make-synthetic.ts: L1SS at 0x148 on endpoint-l1ss, at 0x140 on root-port-l1ss.
const EP_L1SS = 0x148;
const RP_L1SS = 0x140;
// Both ends programmed as pcie/aspm.c pcie_config_aspm_l1ss leaves a link (the same enable set on
// each end): all four L1SS enables, Common_Mode_Restore_Time 0x28, LTR_L1.2_THRESHOLD scale 2;
// T_POWER_ON scale 1, value 10 (not the 00101b reset default, so a reset changes it).
const CTL1 = 0x4000280f;
const CTL2 = 0x51;
const program = (l1ss: number) => async (a: FunctionAccess) => {
  await a.config.writel(l1ss + PCI_L1SS_CTL2, CTL2);
  await a.config.writel(l1ss + PCI_L1SS_CTL1, CTL1);
};
const linkOptions = () => ({ parent: fixture('root-port-l1ss')(), operate: program(EP_L1SS), operateParent: program(RP_L1SS) });
const l1ssFields = (r: CycleResult, fn: 'dev' | 'parent') => r.fields.filter((f) => f.function === fn && (f.register === 'PCI_L1SS_CTL1' || f.register === 'PCI_L1SS_CTL2'));
const l1ssWrites = (r: CycleResult) => r.timeline
  .filter((t) => t.phase === 'restore B' && t.step === 'pci_restore_aspm_l1ss_state' && t.offset >= 0x100)
  .map((t) => `${t.target} ${t.offset === (t.target === 'dev' ? EP_L1SS : RP_L1SS) + PCI_L1SS_CTL1 ? 'CTL1' : 'CTL2'} ${t.value.toString(16)}`);

describe('6.12 -> 6.12, endpoint-l1ss below root-port-l1ss, cold reset of the device during the kexec', () => {
  it('restores L1SS on both ends in pci_restore_aspm_l1ss_state order: parent CTL2, child CTL2, parent CTL1, child CTL1, then the enables', async () => {
    const r = await runCycle(fixture('endpoint-l1ss')(), { from: '6.12', to: '6.12', format: 'linux-blob', flow: 'plain', reset: 'cold', ...linkOptions() });
    expect(r.parent?.bdf).toBe('00:1c.0');
    expect(r.notes.filter((n) => n.startsWith('model limit:'))).toEqual([]);
    // The cold reset returned the endpoint's CTL1/CTL2 to their reset values; every field came back.
    const dev = l1ssFields(r, 'dev');
    expect(dev.filter((f) => f.verdict === 'restored').map((f) => f.field)).toEqual(expect.arrayContaining(['PCI_L1SS_CTL1_ASPM_L1_2', 'PCI_L1SS_CTL2_T_PWR_ON_VALUE', 'PCI_L1SS_CTL2_T_PWR_ON_SCALE']));
    expect(dev.every((f) => f.after === f.before && (f.verdict === 'restored' || f.verdict === 'unchanged'))).toBe(true);
    // The port is not reset; kernel B restores it from its own save (pcie_portdrv_probe), unchanged.
    const parent = l1ssFields(r, 'parent');
    expect(parent.every((f) => f.verdict === 'unchanged' && f.writers.includes('pci_restore_aspm_l1ss_state'))).toBe(true);
    // pcie/aspm.c pci_restore_aspm_l1ss_state (v6.12): clear L1.2 on the child then the parent,
    // write both CTL2s and CTL1s without enables (parent first), then the enables (parent first).
    expect(l1ssWrites(r)).toEqual([
      'dev CTL1 0', 'parent CTL1 4000280a',
      'parent CTL2 51', 'dev CTL2 51', 'parent CTL1 4000280a', 'dev CTL1 4000280a',
      'parent CTL1 4000280f', 'dev CTL1 4000280f',
    ]);
  });

  it('without the port (--parent none) L1SS is not restored, and the cycle says why', async () => {
    const r = await runCycle(fixture('endpoint-l1ss')(), { from: '6.12', to: '6.12', format: 'linux-blob', flow: 'plain', reset: 'cold', operate: program(EP_L1SS) });
    expect(r.notes.some((n) => n.startsWith('model limit:') && n.includes('--parent none'))).toBe(true);
    expect(l1ssFields(r, 'dev').find((f) => f.field === 'PCI_L1SS_CTL1_ASPM_L1_2')?.verdict).toBe('lost');
  });
});

describe('6.1.y -> 6.12: the stale L1SS buffer is written to the link', () => {
  it('the endpoint gets kzalloc zeros while the Root Port keeps its L1SS enables: the two ends disagree', async () => {
    const r = await runCycle(fixture('endpoint-l1ss')(), { from: '6.1.y', to: '6.12', format: 'linux-blob', flow: 'plain', ...linkOptions() });
    expect(r.load.ret).toBe(0);
    expect(l1ssWrites(r)).toEqual([
      'dev CTL1 4000280a', 'parent CTL1 4000280a',
      'parent CTL2 51', 'dev CTL2 0', 'parent CTL1 4000280a', 'dev CTL1 0',
      'parent CTL1 4000280f', 'dev CTL1 0',
    ]);
    const stale = l1ssFields(r, 'dev').filter((f) => f.verdict === 'stale');
    expect(stale.map((f) => f.field)).toEqual(expect.arrayContaining(['PCI_L1SS_CTL1_ASPM_L1_2', 'PCI_L1SS_CTL1_ASPM_L1_1', 'PCI_L1SS_CTL1_CM_RESTORE_TIME', 'PCI_L1SS_CTL2_T_PWR_ON_VALUE']));
    expect(stale.every((f) => f.after === 0)).toBe(true);
    // pcie_config_aspm_l1ss always gives both ends the same enable set; here the port keeps them.
    expect(l1ssFields(r, 'parent').find((f) => f.field === 'PCI_L1SS_CTL1_ASPM_L1_2')?.after).toBe(1);
  });
});

describe('v6.19: pci_save_aspm_l1ss_state refreshes the port\'s buffer from the device below it', () => {
  const l1ssBuffer = (dev: Parameters<typeof pciFindSavedCap>[0]) => {
    const b = pciFindSavedCap(dev, PCI_EXT_CAP_ID_L1SS, true)!;
    return [getU32(b.data, 0), getU32(b.data, 1)];
  };
  async function enumerateLink(kernel: string) {
    const profile = kernelProfile(kernel);
    const port = fixture('root-port-l1ss')();
    await program(RP_L1SS)(modelUnderTest(port).access);
    const portDev = await enumeratePort(profile, modelUnderTest(port).access, port);
    const afterPort = l1ssBuffer(portDev);
    const ep = newPciDev(modelUnderTest(fixture('endpoint-l1ss')()).access, { parent: portDev });
    await pciSetupDevice(ep);
    await allocateSaveBuffers(profile, ep);
    await pciBusAddDevice(profile, ep);
    return { afterPort, afterDevice: l1ssBuffer(portDev) };
  }
  it('6.19: the port\'s own saves skip L1SS (a downstream port); the device\'s pci_bus_add_device save fills the port\'s buffer', async () => {
    expect(await enumerateLink('6.19')).toEqual({ afterPort: [0, 0], afterDevice: [CTL2, CTL1] });
  });
  it('6.12: the port saves its own L1SS (pcie_portdrv_probe\'s pci_save_state); nothing refreshes it later', async () => {
    expect(await enumerateLink('6.12')).toEqual({ afterPort: [CTL2, CTL1], afterDevice: [CTL2, CTL1] });
  });
  it('6.19 -> 6.19: the restore writes the port\'s L1SS back from that refreshed buffer', async () => {
    const r = await runCycle(fixture('endpoint-l1ss')(), { from: '6.19', to: '6.19', format: 'linux-blob', flow: 'plain', reset: 'cold', ...linkOptions() });
    expect(l1ssWrites(r).filter((w) => w.startsWith('parent'))).toEqual(['parent CTL1 4000280a', 'parent CTL2 51', 'parent CTL1 4000280a', 'parent CTL1 4000280f']);
    expect(l1ssFields(r, 'parent').every((f) => f.verdict === 'unchanged')).toBe(true);
  });
});

describe('a bus reset during the kexec goes through the port\'s Secondary Bus Reset', () => {
  it('pci_reset_secondary_bus sets and clears BRIDGE_CONTROL.SBR on the port, which hot-resets the device', async () => {
    const r = await runCycle(fixture('e1000e')(), { from: '6.12', to: '7.1', format: 'linux-blob', flow: 'plain', reset: 'bus', parent: fixture('pcie-root-port')() });
    const sbr = r.timeline.filter((t) => t.target === 'parent' && t.step === 'pci_reset_secondary_bus');
    expect(sbr.map((t) => [t.offset, (t.value & PCI_BRIDGE_CTL_BUS_RESET) !== 0])).toEqual([[PCI_BRIDGE_CONTROL, true], [PCI_BRIDGE_CONTROL, false]]);
    expect(r.notes.some((n) => n.startsWith('bus reset during the kexec: pci_reset_secondary_bus'))).toBe(true);
    const memory = r.fields.find((f) => f.function === 'dev' && f.field === 'PCI_COMMAND_MEMORY')!;
    expect([memory.before, memory.mid, memory.after, memory.verdict]).toEqual([1, 0, 1, 'restored']);
    expect(r.fields.filter((f) => f.function === 'parent' && f.verdict !== 'unchanged')).toEqual([]);
  });
});
