/** A malformed dump never yields an absurd size or an uncompilable register table. */
import { describe, expect } from 'vitest';
import { fc, test as fcTest } from '@fast-check/vitest';
import { EXTENDED_CAPABILITIES } from '../../../devices/caps/index.js';
import { compileLayout } from '../../../devices/compile.js';
import { placeRegisters } from '../../../devices/registers.js';
import { CAP_AT, reader } from './helpers.js';

/** Largest structure any of these can legitimately describe: VSEC/DVSEC's 12-bit length. */
const MAX_SIZE = 0xfff;
const MINE = ['aer', 'vc', 'dsn', 'mfvc', 'vc9', 'vsec', 'acs', 'ari', 'ats', 'sriov', 'pri', 'rebar', 'tph', 'ltr', 'pasid', 'dpc', 'l1ss', 'ptm', 'dvsec', 'doe',
  'pwr', 'secpci', 'rcld', 'rcilc', 'rcec', 'rcrb', 'mcast', 'dpa', 'lnr', 'vf-rebar', 'dlf', 'pl16gt', 'lmr', 'npem', 'pl32gt', 'dev3', 'pl64gt', 'ide'];

describe('extended capabilities on garbage bytes', () => {
  const defs = EXTENDED_CAPABILITIES.filter((d) => MINE.includes(d.key));

  fcTest.prop([fc.uint8Array({ minLength: 256, maxLength: 256 }), fc.constantFrom(undefined, 0, 1, 4, 5, 6, 9, 10)], { numRuns: 200 })(
    'size is within bounds, covers every register, and the table compiles',
    (garbage, pcieType) => {
      const bytes = new Uint8Array(4096);
      bytes.set(garbage, CAP_AT);
      expect(defs).toHaveLength(MINE.length);
      for (const def of defs) {
        const r = reader(bytes, pcieType);
        const size = def.size(r);
        expect(size).toBeGreaterThanOrEqual(8);
        expect(size).toBeLessThanOrEqual(MAX_SIZE);
        const regs = def.registers(r);
        // One expect per table: a Root Complex Link Declaration can hold 700 registers.
        expect(regs.filter((reg) => reg.offset + reg.width > size).map((reg) => `${def.key} ${reg.name}`)).toEqual([]);
        expect(() => compileLayout(4096 + MAX_SIZE, placeRegisters(CAP_AT, regs))).not.toThrow();
        expect(def.version(r)).toBe(garbage[2] & 0xf);
      }
    },
  );
});
