/**
 * Partial dumps are partial (issue 9): bytes a dump never captured are unknown, not 0x00 and not
 * 0xff. Built from the QEMU 7.2 nvme fixture (MSI-X at 0x40, PCIe v2 at 0x80 with DEVCAP FLR, PM
 * at 0x60; AER and more above 0x100), cut as `lspci -x` (64 bytes), `lspci -xxx` (256) and with a
 * row lost in the paste.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildFunction } from '../../devices/device.js';
import { describeFunction } from '../../devices/describe.js';
import { parseLspci } from '../../devices/dump/lspci.js';
import { Topology } from '../../sim/topology.js';
import { probeDeviceFromDump } from '../../sim/reset-methods/device.js';
import { kernelProfile } from '../../sim/reset-methods/kernels.js';
import { decidesResetFunction, predictResetMethods } from '../../sim/reset-methods/predict.js';
import { runCycle } from '../../sim/cycle/run.js';

const full = readFileSync('fixtures/qemu/nvme.lspci', 'utf8').split('\n');
/** The header line and the hex rows whose offset passes `keep`. */
const cut = (keep: (off: number) => boolean) => full.filter((l, i) => i === 0 || (/^[0-9a-f]+:/.test(l) && keep(parseInt(l, 16)))).join('\n');
const load = (text: string) => parseLspci(text)[0];
const predict = (text: string) => predictResetMethods(probeDeviceFromDump(new Topology([load(text)]), load(text).bdf), kernelProfile('6.12'));
const codes = (text: string) => buildFunction(load(text)).walk.findings.map((f) => `${f.severity} ${f.code}`);

describe('a 64-byte dump (lspci -x, or a non-root sysfs read)', () => {
  const text = cut((o) => o < 0x40);
  it('decodes the header and says which capabilities it cannot see, once partial', () => {
    const fn = buildFunction(load(text));
    expect(fn.walk.capabilities).toEqual([]);
    expect(codes(text)).toEqual(['warning partial-capture', 'info not-captured', 'info not-captured']);
    const [partial, std, ext] = fn.walk.findings;
    expect(partial.message).toMatch(/64 config bytes \(256 or 4096: the dump cannot tell\)/);
    expect(std.message).toMatch(/capability at 0x40 \(pointer at 0x34\) and any after it are not in the dump/);
    expect(ext.message).toMatch(/extended capabilities/);
    const view = describeFunction(fn);
    expect(view.header.find((r) => r.name === 'PCI_DEVICE_ID')).toMatchObject({ value: 0x0010 });
    expect(view.header.every((r) => r.unknown === undefined)).toBe(true);
  });
  it('reset probes that need the capabilities say "cannot tell from this dump", not -ENOTTY', () => {
    const p = predict(text);
    expect(p.probes.find((x) => x.method === 'flr')).toMatchObject({ rc: 1 });
    expect(p.resetMethods).toEqual([]);
    expect(p.cannotTell).toMatch(/^flr: pcie_reset_flr reads dev->devcap/);
    // Nothing before flr: what pci_try_reset_function does, and so reset_works, is not decided.
    expect(decidesResetFunction(p)).toBe(false);
    expect(p.reasons.slice(-2)).toEqual([
      'pci_try_reset_function: cannot tell from this dump: the first method it could try is flr, which the dump cannot decide',
      'vfio_pci_core_enable: reset_works = !pci_try_reset_function(): cannot tell from this dump',
    ]);
  });
  it('the cycle gives no verdict from padding: only header fields are judged', async () => {
    const r = await runCycle(buildFunction(load(text)), { from: '6.12', to: '7.1', format: 'linux-blob', flow: 'plain', preserved: true, operational: 'as-found' });
    expect(r.fields.every((f) => f.offset < 0x40)).toBe(true);
    expect(r.notes.some((n) => /^partial dump: 64 config bytes/.test(n))).toBe(true);
  });
});

describe('a 256-byte dump of a PCIe function (lspci -xxx)', () => {
  const text = cut((o) => o < 0x100);
  it('is 4096 bytes by what the function is, reported partial once', () => {
    const fn = buildFunction(load(text));
    expect(fn.space.size).toBe(4096);
    expect(codes(text)).toEqual(['warning partial-capture', 'info not-captured']);
    expect(fn.walk.findings[0].message).toBe('partial dump: 256 of the function\'s 4096 config bytes captured (lspci -xxx); bytes from 0x100 on are unknown');
    expect(fn.walk.capabilities.map((c) => c.key)).toEqual(['msix', 'pcie', 'pm']);
  });
  it('reset methods decided from the standard capabilities it holds: flr and bus, as from the full dump', () => {
    expect(predict(text).resetMethods).toEqual(predict(full.join('\n')).resetMethods);
    expect(predict(text).cannotTell).toBeUndefined();
  });
});

describe('a dump with a row lost in the paste', () => {
  const text = cut((o) => o !== 0x90);
  it('reports the missing row, and the PCIe registers in it are unknown', () => {
    const fn = buildFunction(load(text));
    expect(codes(text)).toContain('warning missing-bytes');
    expect(codes(text)).not.toContain('warning partial-capture');
    expect(fn.walk.findings.find((f) => f.code === 'missing-bytes')?.message).toMatch(/bytes 0x090\.\.0x09f are missing/);
    const pcie = describeFunction(fn).capabilities.find((c) => c.key === 'pcie')!;
    expect(pcie.registers.filter((r) => r.unknown).map((r) => r.name)).toEqual(['PCI_EXP_LNKCTL', 'PCI_EXP_LNKSTA', 'PCI_EXP_SLTCAP', 'PCI_EXP_SLTCTL', 'PCI_EXP_SLTSTA', 'PCI_EXP_RTCTL', 'PCI_EXP_RTCAP']);
  });
  it('fields in it get the unknown verdict, and nothing else does', async () => {
    const r = await runCycle(buildFunction(load(text)), { from: '6.12', to: '7.1', format: 'linux-blob', flow: 'plain', preserved: true, operational: 'as-found' });
    const inRow = r.fields.filter((f) => f.offset >= 0x90 && f.offset < 0xa0);
    expect(inRow.length).toBeGreaterThan(0);
    expect(inRow.every((f) => f.verdict === 'unknown')).toBe(true);
    expect(r.fields.filter((f) => f.verdict === 'unknown')).toEqual(inRow);
  });
  it('a lost row holding the PCIe capability header hides it: FLR cannot be told', () => {
    const lost80 = cut((o) => o !== 0x80);
    expect(buildFunction(load(lost80)).walk.findings.find((f) => f.code === 'not-captured')?.message).toMatch(/capability at 0x80 \(pointer at 0x41\)/);
    expect(predict(lost80).probes.find((x) => x.method === 'flr')).toMatchObject({ rc: 1, reason: expect.stringMatching(/whether the function is PCI Express/) });
  });
});
