/** compileLayout: overlapping tables throw naming both registers; registerAt maps each byte to its register. */
import { describe, expect, it } from 'vitest';
import { compileLayout } from '../../devices/compile.js';
import { DeviceError } from '../../devices/errors.js';
import { f, r } from '../../devices/registers.js';

describe('compileLayout', () => {
  const a = r('A', 0x40, 4, [f('A_LO', [15, 0], 'RW')]);
  const b = r('B', 0x44, 2, [f('B_ALL', [15, 0], 'RO')]);

  it('registerAt: the owning register per byte, undefined where none claims it', () => {
    const at = compileLayout(256, [a, b]).registerAt;
    expect(at).toHaveLength(256);
    expect([0x3f, 0x40, 0x43, 0x44, 0x45, 0x46].map((o) => at[o]?.name)).toEqual([undefined, 'A', 'A', 'B', 'B', undefined]);
    expect(Object.keys(at)).toHaveLength(256); // dense: no holes
  });

  it('overlapping registers throw, naming both', () => {
    const c = r('C', 0x42, 2, [f('C_ALL', [15, 0], 'RW')]);
    expect(() => compileLayout(256, [a, b, c])).toThrow(DeviceError);
    expect(() => compileLayout(256, [a, b, c])).toThrow('register C overlaps A at 0x42');
  });
});
