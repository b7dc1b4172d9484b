/**
 * Generated layouts are ones a real function could have: the walker (pciutils/Linux rules,
 * devices/walker.ts) finds every placed capability where the encoder put it, with no finding of
 * error severity (no loop, overlap, truncation, misalignment), and the model builds from them.
 */
import { describe, expect } from 'vitest';
import { test as fcTest } from '@fast-check/vitest';
import { buildFunction } from '../../../devices/device.js';
import { parseBdf } from '../../../devices/dump/bdf.js';
import { walkCapabilities } from '../../../devices/walker.js';
import { layoutDevice, materialize } from '../../../sim/fuzz/device.js';
import { encodeLayout } from '../../../sim/fuzz/layout.js';

describe('generated capability layouts', () => {
  fcTest.prop([layoutDevice], { numRuns: 150 })('are aligned, non-overlapping, in range and found by the walker', (dev) => {
    const enc = encodeLayout(dev.layout);
    const walk = walkCapabilities(enc.bytes);
    expect(walk.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(walk.capabilities.map((c) => [c.key, c.offset])).toEqual(enc.placements.map((p) => [p.key, p.offset]));
    for (const p of enc.placements) expect(p.offset % 4).toBe(0);
    const sorted = [...enc.placements].sort((a, b) => a.offset - b.offset);
    sorted.forEach((p, i) => { if (i > 0) expect(p.offset).toBeGreaterThanOrEqual(sorted[i - 1].offset + sorted[i - 1].size); });
    expect(() => buildFunction({ bdf: parseBdf('00:03.0'), bytes: enc.bytes })).not.toThrow();
  });

  fcTest.prop([layoutDevice], { numRuns: 60 })('register values go through the model: read-only bytes keep the layout', (dev) => {
    const m = materialize(dev);
    const enc = encodeLayout(dev.layout);
    // The capability chain (IDs and next pointers) is read-only, so values never change the layout.
    expect(walkCapabilities(m.device.bytes).capabilities.map((c) => [c.key, c.offset])).toEqual(enc.placements.map((p) => [p.key, p.offset]));
  });
});
