/**
 * A corpus record's case is checked before `fuzz --replay` runs it (sim/fuzz/record-schema.ts).
 * Every case the campaign generates must pass (the schema states what the generator makes: a
 * field the generator gains and the schema lacks fails here), and a damaged or foreign record is
 * refused with what is wrong. Before the check, a record naming an unknown kernel or capability
 * ran into a typed error, showed no finding, and was reported as a finding that is GONE.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { SAVE_FORMATS } from '../../../sim/cycle/carry.js';
import { FLOWS } from '../../../sim/cycle/run.js';
import { batchAt, type CampaignConfig } from '../../../sim/fuzz/campaign.js';
import { casesOf, type FuzzCase } from '../../../sim/fuzz/case.js';
import { ORACLES } from '../../../sim/fuzz/oracles.js';
import { fuzzCaseProblem } from '../../../sim/fuzz/record-schema.js';
import { parseRecord } from '../../../sim/fuzz/replay.js';
import { KERNEL_PROFILE_IDS } from '../../../sim/linux/profiles.js';
import { parseLspci } from '../../../devices/dump/lspci.js';
import { buildFunction } from '../../../devices/device.js';

const config = (seed: number, seedDroppable?: number[]): CampaignConfig => ({
  seed, kernels: KERNEL_PROFILE_IDS, formats: SAVE_FORMATS, flows: FLOWS, oracles: ORACLES.filter((o) => o !== 'time-bound'),
  ...(seedDroppable ? { seedDroppable } : {}),
});

const generated = (c: CampaignConfig, batches: number): FuzzCase[] => Array.from({ length: batches }, (_, i) => casesOf(batchAt(c, i))).flat();

describe('fuzz record schema', () => {
  it('passes every generated case: layouts with and without an upstream port, every shape, drift and reset', () => {
    const cases = generated(config(1), 150);
    expect(cases.some((c) => c.device.kind === 'layout' && c.device.parent)).toBe(true);
    expect(cases.some((c) => c.drift) && cases.some((c) => c.reset)).toBe(true);
    for (const c of cases) expect(fuzzCaseProblem(JSON.parse(JSON.stringify(c))), JSON.stringify(c)).toBeUndefined();
  });

  it('passes the cases generated around a seed dump (--from-dump)', () => {
    const seed = parseLspci(readFileSync('fixtures/qemu/nvme.lspci', 'utf8'))[0];
    const droppable = buildFunction(seed).walk.capabilities.map((_, i) => i);
    const cases = generated(config(2, droppable), 40);
    expect(cases.every((c) => c.device.kind === 'seed')).toBe(true);
    for (const c of cases) expect(fuzzCaseProblem(JSON.parse(JSON.stringify(c)))).toBeUndefined();
  });

  const base = (): FuzzCase & { device: { kind: 'layout' } } => {
    const c = generated(config(1), 30).find((x) => x.device.kind === 'layout' && x.device.layout.std.length > 0 && x.device.layout.ext.length > 0);
    return JSON.parse(JSON.stringify(c)) as FuzzCase & { device: { kind: 'layout' } };
  };
  const damaged = (change: (c: Record<string, any>) => void) => {
    const c = base() as unknown as Record<string, any>;
    change(c);
    return fuzzCaseProblem(c);
  };

  it('refuses a damaged case with what is wrong, in one phrase', () => {
    expect(damaged((c) => { c.from = '9.9'; })).toBe(`kernel "9.9" is not a profile of this lusim (${KERNEL_PROFILE_IDS.join(', ')})`);
    expect(damaged((c) => { c.format = 'bogus'; })).toBe('"case.format" must be equal to one of the allowed values: linux-blob, lusim-v1');
    expect(damaged((c) => { c.reset = 'warm'; })).toBe('"case.reset" must be equal to one of the allowed values: flr, pm, bus, cold');
    expect(damaged((c) => { c.drift = 'bogus'; })).toMatch(/^drift "bogus" not understood/);
    expect(damaged((c) => { c.drift = 'pcie:+PCI_EXP_BOGUS'; })).toBe('unknown register PCI_EXP_BOGUS (pci_regs.h name expected)');
    expect(damaged((c) => { c.device.kind = 'other'; })).toBe('"case.device" value of tag "kind" must be in oneOf: layout or seed');
    expect(damaged((c) => { c.device.values = 'x'; })).toBe('"case.device.values" must be array');
    expect(damaged((c) => { c.device.layout.ext = null; })).toBe('"case.device.layout.ext" must be array');
    expect(damaged((c) => { c.device.layout.std[0].shape = 5; })).toBe('"case.device.layout.std.0.shape" must be array');
    expect(damaged((c) => { c.device.layout.vendor = 0x10000; })).toBe('"case.device.layout.vendor" must be <= 65535');
    // A capability in the wrong chain is as unknown as a made-up one: the layout encoder could not place it.
    expect(damaged((c) => { c.device.layout.std[0].key = 'aer'; })).toBe('standard capability "aer" is not one lusim models');
    expect(damaged((c) => { c.device.layout.ext[0].key = 'pm'; })).toBe('extended capability "pm" is not one lusim models');
  });

  it('parseRecord: a damaged case is a bad record, not a case to replay', () => {
    const good = { id: 'abc', signature: 's', case: base() };
    expect(parseRecord(good).kind).toBe('case');
    const bad = parseRecord({ ...good, case: { ...good.case, flow: 'sideways' } });
    expect(bad).toEqual({ kind: 'bad', why: `not a case this lusim can replay: "case.flow" must be equal to one of the allowed values: ${FLOWS.join(', ')}` });
  });
});
