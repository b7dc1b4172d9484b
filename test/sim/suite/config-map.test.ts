/** The HTML report's config-space map (sim/suite/config-map.ts): 4096 cells, the worst verdict per byte, capability starts. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDump } from '../../../devices/dump/index.js';
import { configMap, fieldBytes } from '../../../sim/suite/config-map.js';
import type { FieldOutcome } from '../../../sim/cycle/verdict.js';

const field = (over: Partial<FieldOutcome>): FieldOutcome => ({
  function: 'dev', location: 'header', register: 'PCI_COMMAND', field: 'F', offset: 4, bits: '0', before: 0, mid: 0, after: 0, verdict: 'unchanged', rule: '', writers: [], ...over,
});

describe('configMap', () => {
  it('a field covers the bytes of its bit range', () => {
    expect(fieldBytes({ offset: 4, bits: '0' })).toEqual([4]);
    expect(fieldBytes({ offset: 4, bits: '10' })).toEqual([5]);
    expect(fieldBytes({ offset: 0x10, bits: '31:4' })).toEqual([0x10, 0x11, 0x12, 0x13]);
  });

  it('4096 cells; a byte takes the worst verdict of its fields; capability starts are marked', () => {
    const nvme = parseDump(new Uint8Array(readFileSync('fixtures/qemu/nvme.lspci')))[0];
    const m = configMap('dev', nvme.bytes, [field({ bits: '2', verdict: 'restored' }), field({ bits: '1', verdict: 'corrupted' }), field({ offset: 6, bits: '4', verdict: 'lost' }), field({ function: 'parent', offset: 8, bits: '0', verdict: 'lost' })]);
    expect(m.cells).toHaveLength(4096);
    expect(m.cells[4]).toMatchObject({ verdict: 'corrupted', region: 'header' });
    expect(m.cells[4].fields).toHaveLength(2);
    expect(m.cells[6].verdict).toBe('lost');
    expect(m.cells[8].verdict).toBeUndefined();
    const starts = m.cells.filter((c) => c.capStart).map((c) => c.offset);
    expect(starts).toEqual(m.capabilities.map((c) => c.offset).sort((a, b) => a - b));
    expect(m.capabilities.length).toBeGreaterThan(2);
  });
});
