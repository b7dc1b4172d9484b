/**
 * Model throughput (issue 2): dumps parsed+walked per second, devices built per second, and
 * register writes per second through the compiled masks. Prints figures; asserts nothing.
 *   npx tsx bench/model.ts
 */
import { readFileSync, readdirSync } from 'node:fs';
import { buildFunction } from '../devices/device.js';
import { parseLspci } from '../devices/dump/lspci.js';
import { walkCapabilities } from '../devices/walker.js';
import { profileForDump } from '../devices/profiles/index.js';

function rate(label: string, unit: string, seconds: number, fn: () => number): void {
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < seconds * 1000) n += fn();
  const s = (performance.now() - start) / 1000;
  console.log(`${label.padEnd(44)} ${(n / s).toFixed(0).padStart(12)} ${unit}/s`);
}

const dirs = ['fixtures/qemu', 'fixtures/malformed'];
const texts = dirs.flatMap((d) => { try { return readdirSync(d).filter((f) => f.endsWith('.lspci')).map((f) => readFileSync(`${d}/${f}`, 'utf8')); } catch { return []; } });
const dumps = texts.flatMap((t) => parseLspci(t));
console.log(`lusim model benchmark: ${texts.length} dump files, ${dumps.length} functions (${dirs.join(', ')})`);

rate('parse lspci text + walk capabilities', 'dumps', 2, () => {
  for (const t of texts) for (const d of parseLspci(t)) walkCapabilities(d.bytes);
  return texts.length;
});
rate('build modelled function (walk + compile masks)', 'functions', 2, () => {
  for (const d of dumps) buildFunction(d, profileForDump(d, 'auto'));
  return dumps.length;
});
const fn = buildFunction(dumps[0], profileForDump(dumps[0], 'auto'));
const regs = fn.space.layout.registers;
rate('register writes through masks (sync ConfigSpace)', 'writes', 2, () => {
  for (const r of regs) fn.space.write(r.offset, r.width, 0xffffffff);
  return regs.length;
});
const acc = fn.space.access();
let pending = 0;
const start = performance.now();
const end = start + 2000;
while (performance.now() < end) {
  for (const r of regs) void acc.writel(r.offset & ~3, 0);
  pending += regs.length;
  await Promise.resolve();
}
console.log(`${'register writes via async ConfigAccess'.padEnd(44)} ${(pending / ((performance.now() - start) / 1000)).toFixed(0).padStart(12)} writes/s`);
