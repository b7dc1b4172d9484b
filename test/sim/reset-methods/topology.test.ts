/** sim/topology.ts: who is below which bridge, siblings, the root bus. */
import { describe, expect, it } from 'vitest';
import { parseBdf } from '../../../devices/dump/bdf.js';
import type { DumpDevice } from '../../../devices/dump/types.js';
import { Topology } from '../../../sim/topology.js';

function fn(bdf: string, headerType: number, secondary = 0, subordinate = 0): DumpDevice {
  const bytes = new Uint8Array(64);
  bytes[0x0e] = headerType;
  bytes[0x19] = secondary;
  bytes[0x1a] = subordinate;
  return { bdf: parseBdf(bdf), bytes };
}

describe('Topology', () => {
  const t = new Topology([fn('00:01.0', 1, 1, 1), fn('00:02.0', 1, 2, 2), fn('01:00.0', 0x80), fn('01:00.1', 0x80), fn('02:00.0', 0), fn('03:00.0', 0)]);

  it('bus 0 is the root bus, without a parent', () => {
    const p = t.place(parseBdf('00:01.0'));
    expect(p).toMatchObject({ onRootBus: true, parent: undefined, parentInDump: true });
    expect(p.siblings.map((s) => s.bdf.device)).toEqual([2]);
    expect(p.children.map((c) => c.bdf.fn)).toEqual([0, 1]);
  });

  it('a function sits on the secondary bus of its bridge, with its siblings', () => {
    const p = t.place(parseBdf('01:00.1'));
    expect(p.parent?.bdf.device).toBe(1);
    expect(p.siblings.map((s) => s.bdf.fn)).toEqual([0]);
    expect(p.node.multifunction).toBe(true);
    expect(t.place(parseBdf('02:00.0')).siblings).toEqual([]);
  });

  it('a bus whose bridge is missing from the dump is not the root bus', () => {
    expect(t.place(parseBdf('03:00.0'))).toMatchObject({ onRootBus: false, parent: undefined, parentInDump: false });
  });
});
