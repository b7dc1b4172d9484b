/**
 * fieldMask / fieldValue use integer shifts (they run for every field a cycle judges); they must
 * give what the arithmetic definition gives for every field a 32-bit register can hold.
 */
import { expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { fieldMask, fieldValue } from '../../devices/registers.js';

const field = fc.integer({ min: 0, max: 31 }).chain((lo) => fc.integer({ min: lo, max: 31 }).map((hi) => ({ lo, hi })));

test.prop([field, fc.integer({ min: 0, max: 0xffffffff })], { numRuns: 2000 })('match the arithmetic definition', (fd, value) => {
  const bits = fd.hi - fd.lo + 1;
  const mask = (2 ** bits - 1) * 2 ** fd.lo;
  expect(fieldMask(fd)).toBe(mask);
  expect(fieldValue(fd, value)).toBe(Math.floor(value / 2 ** fd.lo) % 2 ** bits);
});
