/**
 * `lusim predict` on partial dumps (lspci -x as a user, -xxx, a row lost in a paste): what the dump
 * never captured is neither printed as 00 nor given a value in --json, and stderr says so.
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
