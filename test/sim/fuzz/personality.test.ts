/**
 * The personality oracle (sim/fuzz/personality.ts): which fields are personality-neutral (the
 * QEMU profile's masks, write hooks and resets do not reach them), that a --from-dump campaign on
 * a QEMU device runs it and finds the two personalities agreeing, and that a QEMU personality with
 * an undeclared side effect (a planted write hook) is caught.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildFunction } from '../../../devices/device.js';
import { parseLspci } from '../../../devices/dump/lspci.js';
import type { DumpDevice } from '../../../devices/dump/types.js';
import type { DeviceProfile } from '../../../devices/profile.js';
import { PCI_COMMAND, PCI_COMMAND_SERR } from '../../../devices/pci-regs.js';
import { QEMU_72_PROFILES } from '../../../devices/profiles/qemu-7.2.js';
import { runCycle, type CycleOptions } from '../../../sim/cycle/run.js';
import { batchAt, runBatch, type CampaignConfig } from '../../../sim/fuzz/campaign.js';
import { droppableCapabilities } from '../../../sim/fuzz/device.js';
import { HOOK_EFFECTS, judgeCasePersonality, neutralFields, qemuProfileFor, resetDeviated } from '../../../sim/fuzz/personality.js';

const dumpOf = (name: string): DumpDevice => {
  const dumps = parseLspci(readFileSync(`fixtures/qemu/${name}.lspci`, 'utf8'));
  return dumps[dumps.length - 1];
};
const E1000E = dumpOf('e1000e');
const has = (set: Set<string>, register: string, field: string) => [...set].some((k) => k.endsWith(`|${register}|${field}`));

describe('personality-neutral fields', () => {
  it('every write hook of every QEMU profile is declared with the registers it rewrites', () => {
    for (const name of ['e1000e', 'nvme', 'virtio-net', 'qemu-xhci', 'pcie-root-port', 'ioh3420', 'x3130-upstream', 'xio3130-downstream']) {
      const dump = dumpOf(name);
      const fn = buildFunction(dump, qemuProfileFor(dump)!);
      for (const h of fn.profile.writeHooks?.(fn.walk, fn.space.bytes.length) ?? []) expect(HOOK_EFFECTS[h.name], `${name}: ${h.name}`).toBeDefined();
    }
    expect(QEMU_72_PROFILES.every((p) => p.profile.personality === 'qemu-7.2')).toBe(true);
  });

  it('e1000e: fields the QEMU profile overrides or a hook rewrites are not neutral; the rest are', () => {
    const neutral = neutralFields(buildFunction(E1000E), buildFunction(E1000E, qemuProfileFor(E1000E)!));
    // AttributeOverrides: the PCIe capability read-only, COMMAND.PARITY, AER UNCOR_MASK (docs/qemu-differences.md).
    expect(has(neutral, 'PCI_EXP_DEVCTL', 'PCI_EXP_DEVCTL_RELAX_EN')).toBe(false);
    expect(has(neutral, 'PCI_COMMAND', 'PCI_COMMAND_PARITY')).toBe(false);
    expect(has(neutral, 'PCI_ERR_UNCOR_MASK', 'PCI_ERR_UNC_DLP')).toBe(false);
    // msi_write_config rewrites MSI Flags.
    expect(has(neutral, 'PCI_MSI_FLAGS', 'PCI_MSI_FLAGS_ENABLE')).toBe(false);
    // Shared semantics.
    expect(has(neutral, 'PCI_COMMAND', 'PCI_COMMAND_MEMORY')).toBe(true);
    expect(has(neutral, 'PCI_COMMAND', 'PCI_COMMAND_SERR')).toBe(true);
    expect(has(neutral, 'PCI_ERR_COR_MASK', 'PCI_ERR_COR_RCVR')).toBe(true);
    expect(has(neutral, 'PCI_MSI_ADDRESS_LO', 'PCI_MSI_ADDRESS_LO')).toBe(true);
  });

  it('a reset the personalities treat differently excuses the fields it reaches, and only those', () => {
    const qemu = qemuProfileFor(E1000E)!;
    // Secondary bus reset: both clear COMMAND (pci_do_device_reset), but QEMU's e1000e leaves
    // PMCSR alone (D3 stays D3, docs/qemu-differences.md) where the spec returns to D0.
    const bus = resetDeviated(E1000E, qemu, ['bus']);
    expect(has(bus, 'PCI_PM_CTRL', 'PCI_PM_CTRL_STATE_MASK')).toBe(true);
    expect(has(bus, 'PCI_COMMAND', 'PCI_COMMAND_MEMORY')).toBe(false);
    // AER masks are sticky in the spec and untouched by QEMU: the same under both.
    expect(has(bus, 'PCI_ERR_COR_MASK', 'PCI_ERR_COR_RCVR')).toBe(false);
    // D3hot -> D0: QEMU resets nothing, the spec (No_Soft_Reset = 0) resets COMMAND.
    expect(has(resetDeviated(E1000E, qemu, ['pm']), 'PCI_COMMAND', 'PCI_COMMAND_MEMORY')).toBe(true);
    // No FLR on e1000e (DEVCAP.FLR = 0): neither personality performs one (the BARs QEMU sizes
    // differ in any state, but they are not neutral to begin with).
    const neutral = neutralFields(buildFunction(E1000E), buildFunction(E1000E, qemu));
    expect([...resetDeviated(E1000E, qemu, ['flr'])].filter((k) => neutral.has(k))).toEqual([]);
  });
});

describe('the oracle', () => {
  it('a --from-dump campaign on QEMU devices runs it and the personalities agree', async () => {
    for (const name of ['e1000e', 'virtio-net', 'pcie-root-port']) {
      const seedDump = dumpOf(name);
      const config: CampaignConfig = {
        seed: 4, kernels: ['6.1', '6.12.y', '7.2'], formats: ['linux-blob', 'lusim-v1'], flows: ['plain', 'vfio'], oracles: ['personality'],
        seedDump, seedDroppable: droppableCapabilities(seedDump),
      };
      for (let i = 0; i < 15; i++) expect((await runBatch(config, batchAt(config, i))).flatMap((o) => o.findings), `${name} case ${i}`).toEqual([]);
    }
  });

  it('does not apply to generated devices (synthetic IDs: no QEMU profile)', async () => {
    const config: CampaignConfig = { seed: 4, kernels: ['7.2'], formats: ['linux-blob'], flows: ['plain'], oracles: ['personality'] };
    expect(qemuProfileFor({ bdf: E1000E.bdf, description: undefined, bytes: new Uint8Array(256).fill(0x0f, 0, 4) })).toBeUndefined();
    for (let i = 0; i < 5; i++) expect((await runBatch(config, batchAt(config, i))).flatMap((o) => o.findings)).toEqual([]);
  });

  it('catches a planted disagreement: a QEMU profile whose undeclared write hook clears COMMAND.SERR', async () => {
    const real = qemuProfileFor(E1000E)!;
    const planted: DeviceProfile = {
      ...real,
      name: 'planted',
      writeHooks: (walk, size) => [
        ...(real.writeHooks?.(walk, size) ?? []),
        { name: 'planted: COMMAND writes drop SERR', start: PCI_COMMAND, end: PCI_COMMAND + 2, onWrite: (space) => space.poke(PCI_COMMAND, 2, space.read(PCI_COMMAND, 2) & ~PCI_COMMAND_SERR) },
      ],
    };
    // The device as found with SERR enabled (a driver or firmware set it).
    const bytes = E1000E.bytes.slice();
    bytes[PCI_COMMAND] |= PCI_COMMAND_SERR & 0xff;
    bytes[PCI_COMMAND + 1] |= PCI_COMMAND_SERR >> 8;
    const dump = { ...E1000E, bytes };
    const options: CycleOptions = { from: '7.2', to: '7.2', format: 'linux-blob', flow: 'plain', operational: 'as-found' };
    const spec = await runCycle(buildFunction(dump), options);
    expect(await judgeCasePersonality(dump, options, spec)).toEqual([]);
    const [f] = await judgeCasePersonality(dump, options, spec, planted);
    expect(f).toMatchObject({ oracle: 'personality', registers: ['PCI_COMMAND'] });
    expect(f.detail).toMatch(/PCI_COMMAND\.PCI_COMMAND_SERR/);
  });
});
