/**
 * Properties of the simulated cycle (issue 4 "Evidence"):
 *  - for every fixture and every same-version kernel pair, save -> serialize -> deserialize ->
 *    restore is the identity on every saved register, whatever values the driver left in them;
 *  - every drift scenario is detected by lusim-v1: it never restores a register from another
 *    register's bytes.
 */
import { readdirSync } from 'node:fs';
import { describe, expect } from 'vitest';
import { fc, test as fcTest } from '@fast-check/vitest';
import type { FunctionAccess } from '../../../devices/access.js';
import { DEFAULT_DRIFTS } from '../../../sim/cycle/experiments.js';
import { runCycle } from '../../../sim/cycle/run.js';
import { KERNEL_PROFILE_IDS } from '../../../sim/linux/profiles.js';
import { fixture } from './helpers.js';

const FIXTURES = [...readdirSync('fixtures/qemu').filter((f) => f.endsWith('.lspci')).map((f) => f.slice(0, -6)), 'endpoint-l1ss'];

/** Registers Linux saves, as (capability test, offset in capability, width). */
const SAVED_REGS: readonly { cap: [boolean, number]; off: number; width: 2 | 4 }[] = [
  { cap: [false, 0x10], off: 0x08, width: 2 }, { cap: [false, 0x10], off: 0x10, width: 2 },
  { cap: [false, 0x10], off: 0x28, width: 2 }, { cap: [false, 0x10], off: 0x30, width: 2 },
  { cap: [true, 0x01], off: 0x08, width: 4 }, { cap: [true, 0x01], off: 0x0c, width: 4 },
  { cap: [true, 0x01], off: 0x14, width: 4 }, { cap: [true, 0x01], off: 0x18, width: 4 },
  { cap: [true, 0x18], off: 0x04, width: 4 }, { cap: [true, 0x1e], off: 0x0c, width: 4 },
];

async function findCap(a: FunctionAccess, ext: boolean, id: number): Promise<number> {
  const c = a.config;
  if (!ext) {
    let pos = await c.readb(0x34);
    for (let ttl = 48; ttl > 0 && pos >= 0x40; ttl--) { pos &= ~3; if ((await c.readb(pos)) === id) return pos; pos = await c.readb(pos + 1); }
    return 0;
  }
  if (c.size <= 256) return 0;
  let pos = 0x100;
  for (let ttl = 480; ttl > 0 && pos >= 0x100; ttl--) { const h = await c.readl(pos); if (h === 0 || h === 0xffffffff) return 0; if ((h & 0xffff) === id) return pos; pos = (h >>> 20) & 0xffc; }
  return 0;
}

const values = fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: SAVED_REGS.length, maxLength: SAVED_REGS.length });

describe('save -> serialize -> deserialize -> restore is the identity on saved registers (same kernel both sides)', () => {
  // A cold reset in the kexec window returns every register to its reset value, so the restore
  // must bring each saved register back; without it most saved registers never change and the
  // property would hold vacuously.
  fcTest.prop([fc.constantFrom(...FIXTURES), fc.constantFrom(...KERNEL_PROFILE_IDS), fc.constantFrom('linux-blob' as const, 'lusim-v1' as const), values], { numRuns: 120 })(
    'fixture x kernel x format x random register values, cold reset during the kexec',
    async (name, kernel, format, vals) => {
      const operate = async (a: FunctionAccess) => {
        for (let i = 0; i < SAVED_REGS.length; i++) {
          const r = SAVED_REGS[i];
          const cap = await findCap(a, r.cap[0], r.cap[1]);
          // The initiate-FLR bit would reset the device; a driver never leaves it set.
          if (cap) await (r.width === 2 ? a.config.writew(cap + r.off, (vals[i] & 0xffff) & (r.off === 0x08 && !r.cap[0] ? 0x7fff : 0xffff)) : a.config.writel(cap + r.off, vals[i]));
        }
      };
      const r = await runCycle(fixture(name)(), { from: kernel, to: kernel, format, flow: 'plain', operate, reset: 'cold' });
      expect(r.load.ret).toBe(0);
      // Registers this kernel does not save (MSI/MSI-X, L1SS after the 6.1.y revert, ...) may be lost;
      // a register it saved must come back.
      // Known model limit (stated in the cycle's notes): 6.12+ restore L1SS only with the upstream
      // port modelled, and the cycle models the device alone.
      const l1ssLinkOnly = r.notes.some((n) => n.startsWith('model limit:')) ? (f: { location: string }) => f.location === 'l1ss' : () => false;
      const bad = r.fields.filter((f) => f.verdict === 'corrupted' || f.verdict === 'stale' || f.verdict === 'refused' || (f.verdict === 'lost' && !f.rule.startsWith('not saved by') && !l1ssLinkOnly(f)));
      expect(bad.map((f) => `${f.verdict} ${f.register}.${f.field} ${f.before}->${f.mid}->${f.after}: ${f.rule}`)).toEqual([]);
    },
  );
});

describe('every drift scenario is detected by lusim-v1', () => {
  fcTest.prop([fc.constantFrom('e1000e', 'nvme', 'pcie-root-port', 'ioh3420', 'endpoint-l1ss', 'virtio-net-aer'), fc.constantFrom(...DEFAULT_DRIFTS), fc.constantFrom(...KERNEL_PROFILE_IDS), fc.constantFrom(...KERNEL_PROFILE_IDS)], { numRuns: 80 })(
    'lusim-v1 never restores a register from another register\'s slot',
    async (name, drift, from, to) => {
      const r = await runCycle(fixture(name)(), { from, to, format: 'lusim-v1', flow: 'plain', drift });
      expect(r.fields.filter((f) => f.verdict === 'corrupted' || f.rule.includes('latent corruption'))).toEqual([]);
    },
  );
});
