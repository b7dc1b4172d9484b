/**
 * --flow vfio-lu: the VFIO series v5 freeze() (upstream-2026.md: refuses with interrupts still
 * enabled or outside D0; loads the open-time state, clears bus master, resets only when
 * reset_works, restores; only the device identity crosses) and --handover luo (the compatible
 * strings kernel B checks, sim/linux/handover-abi.ts).
 */
import { describe, expect, it } from 'vitest';
import { runCycle } from '../../../sim/cycle/run.js';
import { checkHandover } from '../../../sim/linux/handover-abi.js';
import { fixture, parentOf } from './helpers.js';

const base = { format: 'linux-blob', flow: 'vfio-lu' } as const;

describe('vfio-lu freeze gates', () => {
  it('passes every gate on nvme (reset_works: FLR) and hands over nothing but the identity', async () => {
    const r = await runCycle(fixture('nvme')(), { ...base, from: '7.2', to: '7.3', ...parentOf('nvme') });
    expect(r.freeze!.map((g) => `${g.gate}:${g.verdict}`)).toEqual([
      'interrupts disabled:passed', 'device in D0:passed', 'pci_load_saved_state:passed', 'pci_clear_master:passed',
      'vfio_pci_core_try_reset:passed', 'pci_restore_state:passed', 'handover:passed',
    ]);
    expect(r.carried).toEqual({ format: 'none', bytes: null });
    expect(r.load.error).toBeUndefined();
  });

  it('refuses with interrupts still enabled: the kexec does not happen, later gates are skipped', async () => {
    const r = await runCycle(fixture('nvme')(), { ...base, from: '7.3', to: '7.3', freeze: { irqsEnabled: true } });
    expect(r.freeze!.map((g) => g.verdict)).toEqual(['refused', 'skipped', 'skipped', 'skipped', 'skipped', 'skipped']);
    expect(r.load.error).toMatch(/interrupts still enabled/);
    expect(r.fields).toEqual([]);
  });

  it('refuses a device in D3hot', async () => {
    const r = await runCycle(fixture('nvme')(), { ...base, from: '7.3', to: '7.3', freeze: { powerState: 3 } });
    expect(r.freeze!.find((g) => g.verdict === 'refused')!.gate).toBe('device in D0');
  });
});

describe('--handover luo: compatible strings', () => {
  it('7.2 and 7.3 speak the same strings (kho-v4, luo-v5, memfd-v2); 7.1 -> 7.2 is ignored at the KHO root', () => {
    expect(checkHandover('7.2', '7.3', 'memfd')).toEqual({ ok: true, written: ['kho=kho-v4', 'luo=luo-v5', 'file=memfd-v2'] });
    expect(checkHandover('7.1', '7.2', 'memfd').refusal).toMatchObject({ side: 'B', step: 'kho_populate' });
  });
  it('6.19 -> 7.1: KHO string differs (kho-v1 vs kho-v3); 6.12 has no LUO at all', () => {
    expect(checkHandover('6.19', '7.1', 'memfd').refusal?.message).toMatch(/kho-v3.*kho-v1/);
    expect(checkHandover('6.12', '7.3', 'memfd').refusal).toMatchObject({ side: 'A', step: 'liveupdate_reboot' });
  });
  it('vfio-pci-v1 and the pci FLB v2: only lu-pci speaks them', () => {
    expect(checkHandover('lu-pci', 'lu-pci', 'vfio-pci').ok).toBe(true);
    expect(checkHandover('lu-pci', '7.3', 'vfio-pci').refusal).toMatchObject({ step: 'luo_file_deserialize', ret: -2 });
    expect(checkHandover('7.3', 'lu-pci', 'vfio-pci').refusal).toMatchObject({ side: 'A' });
  });
  it('the cycle shows the refusal as the load verdict and restores nothing carried', async () => {
    const r = await runCycle(fixture('e1000e')(), { from: '7.1', to: '7.2', format: 'linux-blob', flow: 'plain', handover: 'luo', ...parentOf('e1000e') });
    expect(r.load.error).toMatch(/^handover refused by 7.2's kho_populate/);
    expect(r.handover).toMatchObject({ route: 'luo', ok: false });
    expect(r.counts.refused).toBeGreaterThan(0);
  });
});
