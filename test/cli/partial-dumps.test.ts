/**
 * Commands on partial dumps (lspci -x as a user, -xxx, a row lost in a paste): what the dump never
 * captured is neither printed as 00 nor decided from the zeros the model reads there, and the
 * output says what is missing (docs/real-hardware.md).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runLusim } from './in-process.js';

const SWITCH = join(import.meta.dirname, '../../fixtures/fidelity/switch/7.x-boot-before-6.1.lspci');

/** The switch dump with only the rows `keep` accepts (by their offset) of every function. */
function partial(keep: (row: number) => boolean): string {
  const lines = readFileSync(SWITCH, 'utf8').split('\n').filter((l) => !/^[0-9a-f]{2,3}: /.test(l) || keep(parseInt(l, 16)));
  const file = join(mkdtempSync(join(tmpdir(), 'lusim-predict-')), 'partial.lspci');
  writeFileSync(file, lines.join('\n'));
  return file;
}

/** The e1000e fixture's header line and first `lines - 1` rows (5: lspci -x, 17: lspci -xxx). */
function e1000eRows(dir: string, lines: number): string {
  const file = join(dir, `e1000e-${lines}.lspci`);
  writeFileSync(file, readFileSync('fixtures/qemu/e1000e.lspci', 'utf8').split('\n').slice(0, lines).join('\n'));
  return file;
}

describe('lusim predict on a partial dump', () => {
  it('prints only the rows the dump captured and names the rest on stderr', async () => {
    const r = await runLusim(['predict', partial((row) => row < 0x100), '--from', '7.1', '--to', '6.1']);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => /^[0-9a-f]{2,3}: /.test(l));
    expect(rows.length).toBe(4 * 16);
    expect(rows.every((l) => parseInt(l, 16) < 0x100)).toBe(true);
    const said = r.stderr.trim().split('\n');
    expect(said).toHaveLength(4);
    for (const line of said) expect(line).toMatch(/^lusim predict: 0[0-3]:0[01]\.0: bytes 0x100-0xfff not in the dump: not predicted, and read by the model as 0, so a capability there is missing/);
  });

  it('gives no value in --json for a register with an uncaptured byte, and lists the ranges', async () => {
    const r = await runLusim(['predict', partial((row) => row !== 0xa0), '--from', '7.1', '--to', '6.1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const up = JSON.parse(r.stdout).functions.find((f: { bdf: string }) => f.bdf === '01:00.0');
    expect(up.notCaptured).toEqual([[0xa0, 0xb0]]);
    expect(up.registers.find((x: { register: string }) => x.register === 'PCI_EXP_LNKCTL')).toMatchObject({ before: null, after: null, predictable: false });
    expect(up.notes[0]).toMatch(/Capabilities the dump does not hold are not modelled/);
  });

  it('says nothing extra for a whole dump', async () => {
    const r = await runLusim(['predict', SWITCH, '--from', '7.1', '--to', '6.1']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout.split('\n').filter((l) => /^[0-9a-f]{2,3}: /.test(l)).length).toBe(4 * 256);
  });
});

describe('lusim reset on a partial dump', () => {
  // lspci -x (64 bytes): the capability list, DEVCAP and the PM capability are past it.
  const dir = mkdtempSync(join(tmpdir(), 'lusim-reset-partial-'));
  const x = e1000eRows(dir, 5);

  it('refuses what the dump cannot decide with what to capture, as reset-methods says cannot tell', async () => {
    const flr = await runLusim(['reset', x, '--method', 'flr']);
    // The model would read DEVCAP as 0 and say "does not advertise FLR".
    expect([flr.code, flr.stderr.trim()]).toEqual([1, expect.stringMatching(/^lusim: 01:00\.0: cannot tell from this dump whether the function advertises FLR \(.*\): capture its whole config space/)]);
    expect((await runLusim(['reset', x, '--method', 'pm'])).stderr).toMatch(/cannot tell from this dump whether it has a PM capability/);
    const k = await runLusim(['reset', x, '--kernel', '6.12', '--json']);
    expect(k.code).toBe(1);
    expect(JSON.parse(k.stdout)).toMatchObject({ code: 'cannot-tell' });
    expect(k.stderr).toMatch(/cannot tell from this dump which method pci_reset_function uses on 6\.12 \(flr: /);
    // A bus reset needs nothing the dump lacks; the 256-byte dump decides flr (DEVCAP at 0xe0) and pm.
    expect((await runLusim(['reset', x, '--method', 'bus'])).code).toBe(0);
    const head = e1000eRows(dir, 17);
    expect((await runLusim(['reset', head, '--kernel', '6.12'])).stdout).toMatch(/^01:00\.0: pci_reset_function as Linux 6\.12 runs it: pm,/);
  });
});

describe('lusim cycle --matrix on a partial dump', () => {
  it('says once, above the table, what the dump lacks; a whole dump has no note', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lusim-matrix-partial-'));
    const r = await runLusim(['cycle', e1000eRows(dir, 5), '--matrix', '--kernels', '6.12,7.1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[1]).toMatch(/^  note: partial dump: 64 config bytes .* not modelled \(neither saved nor restored in any cell\)/);
    const json = JSON.parse((await runLusim(['cycle', e1000eRows(dir, 17), '--matrix', '--kernels', '6.12', '--json'])).stdout);
    expect(json.notes).toEqual([expect.stringMatching(/^partial dump: 256 of the function's 4096 config bytes/)]);
    const whole = JSON.parse((await runLusim(['cycle', 'fixtures/qemu/e1000e.lspci', '--matrix', '--kernels', '6.12', '--json'])).stdout);
    expect(whole.notes).toBeUndefined();
  }, 60_000);
});

describe('lusim dump --format raw of a partial dump', () => {
  it('says which bytes the raw file pads with 0xff, since raw cannot mark them; a whole dump says nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lusim-dump-partial-'));
    // Rows 0x00-0x10 and 0x40-0x60: a paste that lost 0x20-0x3f, then ended.
    const lines = readFileSync('fixtures/qemu/e1000e.lspci', 'utf8').split('\n');
    const gap = join(dir, 'gap.lspci');
    writeFileSync(gap, [...lines.slice(0, 3), ...lines.slice(5, 8)].join('\n'));
    const r = await runLusim(['dump', gap, '--format', 'raw', '-o', join(dir, 'gap.raw')]);
    expect([r.code, r.stderr.trim()]).toEqual([0, 'lusim dump: 01:00.0: bytes 0x020-0x03f, 0x070-0x0ff are not in the dump: the raw file holds 0xff there and reads back as if they were captured; --format json or lspci keeps the gaps']);
    // pciutils' dump_alloc_data padding, 256 bytes: the smallest raw size holding the capture.
    const raw = readFileSync(join(dir, 'gap.raw'));
    expect([raw.length, raw[0x20], raw[0x3f], raw[0x40], raw[0x70]]).toEqual([256, 0xff, 0xff, 0x00, 0xff]);
    expect((await runLusim(['dump', 'fixtures/qemu/e1000e.lspci', '--format', 'raw', '-o', join(dir, 'whole.raw')])).stderr).toBe('');
  });
});
