/** The plan of a suite and its shards (sim/suite/plan.ts): every test in exactly one shard. */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { expectationsFor, kernelRuns, parseShard, shardTests } from '../../../sim/suite/plan.js';
import type { SuiteCase } from '../../../sim/suite/types.js';

const kernels = ['6.1', '6.12', '7.1'];

describe('kernelRuns', () => {
  it('a reset case runs on each kernel; a cycle fills a missing end with each kernel, filed under kernel B', () => {
    expect(kernelRuns({ kernels }).map((r) => r.label)).toEqual(kernels);
    expect(kernelRuns({ kernels, cycle: {} }).map((r) => r.label)).toEqual(['6.1->6.1', '6.12->6.12', '7.1->7.1']);
    expect(kernelRuns({ kernels, cycle: { from: '6.12' } }).map((r) => [r.label, r.kernel])).toEqual([['6.12->6.1', '6.1'], ['6.12->6.12', '6.12'], ['6.12->7.1', '7.1']]);
    expect(kernelRuns({ kernels, cycle: { from: '6.1', to: '7.1' } }).map((r) => r.label)).toEqual(['6.1->7.1']);
  });

  it('on: replaces keys per kernel B, then per pair', () => {
    const c = { name: 'c', device: { kind: 'builtin', name: 'nvme' }, kernels, cycle: { to: '7.1' }, line: 1, expect: { load: 'ok', corrupted: 0 }, on: { '7.1': { corrupted: 1 }, '6.1->7.1': { load: 'refused' } } } as const satisfies SuiteCase;
    const [a, b] = kernelRuns(c);
    expect(expectationsFor(c, a)).toEqual({ load: 'refused', corrupted: 1 });
    expect(expectationsFor(c, b)).toEqual({ load: 'ok', corrupted: 1 });
  });
});

describe('shards', () => {
  it('parses I/N and refuses the rest with what to write', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    expect(parseShard('0/4')).toMatch(/I must be 1..N/);
    expect(parseShard('5/4')).toMatch(/I must be 1..N/);
    expect(parseShard('half')).toMatch(/is not I\/N/);
  });

  test.prop([fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 12 })])('N shards partition the plan, sizes within one of each other', (size, n) => {
    const plan = Array.from({ length: size }, (_, index) => ({ index }));
    const shards = Array.from({ length: n }, (_, i) => shardTests(plan, { index: i + 1, count: n }));
    expect(shards.flat().map((t) => t.index).sort((a, b) => a - b)).toEqual(plan.map((t) => t.index));
    const sizes = shards.map((s) => s.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    expect(shardTests(plan, { index: 1, count: n })).toEqual(shards[0]);
  });
});
