/**
 * What the asynchronous ConfigAccess costs a fuzzed cycle (issue 10 "Speed" suggested a
 * synchronous fast path where it is the cost). Kernel 6.12's pci_save_state + pci_restore_state on
 * generated devices: time and config accesses per device, so time per access of the kernel-step
 * code; beside it, a read through three awaited async calls (the depth of a traced access) and a
 * plain synchronous ConfigSpace read. The gap between the last two bounds what a synchronous path
 * could save per access.
 *   npx tsx bench/fuzz-access.ts [devices]
 */
import type { ConfigAccess } from '../devices/access.js';
import type { PciFunction } from '../devices/device.js';
import { SAVE_FORMATS } from '../sim/cycle/carry.js';
import { modelUnderTest } from '../sim/cycle/model-access.js';
import { FLOWS } from '../sim/cycle/run.js';
import { batchAt } from '../sim/fuzz/campaign.js';
import { materialize } from '../sim/fuzz/device.js';
import { ORACLES } from '../sim/fuzz/oracles.js';
import { allocateSaveBuffers } from '../sim/linux/alloc.js';
import { newPciDev, type PciDev } from '../sim/linux/dev.js';
import { pciSetupDevice } from '../sim/linux/find-cap.js';
import { kernelProfile, KERNEL_PROFILE_IDS } from '../sim/linux/profiles.js';
import { pciRestoreState } from '../sim/linux/restore.js';
import { pciSaveState } from '../sim/linux/save.js';

const n = Number(process.argv[2] ?? 50);
const rounds = 20;
const config = { seed: 1, kernels: KERNEL_PROFILE_IDS, formats: SAVE_FORMATS, flows: FLOWS, oracles: ORACLES };
const profile = kernelProfile('6.12');
let accesses = 0;

/** The model's ConfigAccess with every access counted. */
function counted(c: ConfigAccess): ConfigAccess {
  const count = <A extends unknown[], R>(f: (...a: A) => R) => (...a: A): R => { accesses++; return f(...a); };
  return {
    get size() { return c.size; },
    readb: count((o: number) => c.readb(o)), readw: count((o: number) => c.readw(o)), readl: count((o: number) => c.readl(o)),
    writeb: count((o: number, v: number) => c.writeb(o, v)), writew: count((o: number, v: number) => c.writew(o, v)), writel: count((o: number, v: number) => c.writel(o, v)),
  };
}

const devs: { dev: PciDev; fn: PciFunction }[] = [];
for (let i = 0; i < n; i++) {
  const m = materialize(batchAt(config, i).device);
  const mut = modelUnderTest(m.fn);
  const dev = newPciDev({ ...mut.access, config: counted(mut.access.config) }, { name: 'dev' });
  await pciSetupDevice(dev);
  await allocateSaveBuffers(profile, dev);
  devs.push({ dev, fn: m.fn });
}
const cycle = async () => { for (const { dev } of devs) { await pciSaveState(profile, dev); await pciRestoreState(profile, dev); } };
for (let w = 0; w < 3; w++) await cycle();
accesses = 0;
let t = performance.now();
for (let r = 0; r < rounds; r++) await cycle();
const stepMs = performance.now() - t;
const total = accesses;

const bytes = devs[0].fn.space;
const inner = async (o: number) => bytes.read(o & 0xffc, 4);
const middle = async (o: number) => inner(o);
const outer = async (o: number) => await middle(o);
let sink = 0;
t = performance.now();
for (let i = 0; i < total; i++) sink += await outer(i * 4);
const asyncMs = performance.now() - t;
t = performance.now();
for (let i = 0; i < total; i++) sink += bytes.read((i * 4) & 0xffc, 4);
const syncMs = performance.now() - t;

const us = (ms: number) => ((ms * 1000) / total).toFixed(3);
console.log(`pci_save_state + pci_restore_state (6.12): ${((stepMs * 1000) / (rounds * n)).toFixed(0)} us per device, ${(total / (rounds * n)).toFixed(0)} config accesses each: ${us(stepMs)} us per access`);
console.log(`a read through three awaited async calls: ${us(asyncMs)} us; a synchronous ConfigSpace read: ${us(syncMs)} us`);
void sink;
console.log(`at most ${(((asyncMs - syncMs) / stepMs) * 100).toFixed(0)}% of the kernel steps' time is the async path`);
