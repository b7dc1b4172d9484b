/**
 * The real cycle's wall time with its phase breakdown (kexec/run/real-cycle.ts: QEMU start, boot A,
 * capture, save, kexec + boot B, restore, diff), with the host as saver and with the guest kernels
 * as saver (module build cached, module load, the kernels' own save and restore), the guest
 * module's build cold (headers downloaded into an empty cache) and cached, then qtest throughput
 * against the same kind of live guest device: register reads/s and full 4 KiB config snapshots/s.
 *
 *   npx tsx bench/real-cycle.ts [from] [to] [devices]     (default 6.12 6.1 e1000e,nvme)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModule } from '../kexec/guest-module/build.js';
import { findKernel } from '../kexec/kernels/kernels.js';
import { preparePci } from '../kexec/qemu/pci-topology.js';
import { runRealCycle } from '../kexec/run/real-cycle.js';
import { parseRealDevices } from '../kexec/topology/real-devices.js';
import { Phases, startGuest } from '../kexec/run/real-session.js';

const [from = '6.12', to = '6.1', devices = 'e1000e,nvme'] = process.argv.slice(2);
const DURATION_MS = 1500;

if (!findKernel(from) || !findKernel(to)) {
  console.log(`kernels ${from}/${to} not cached: run \`npx tsx cli/main.ts kernels fetch ${from} ${to}\` first`);
  process.exit(0);
}

for (const saver of ['host', 'kernel'] as const) {
  const r = await runRealCycle({ endpoints: parseRealDevices(devices), from, to, format: 'linux-blob', saver, fetch: false });
  if (!r.ok) {
    console.log(`real cycle (--saver ${saver}) failed in ${r.error?.phase}: ${r.error?.message}`);
    process.exit(1);
  }
  console.log(`real cycle --saver ${saver} ${r.kernels!.from.release} -> ${r.kernels!.to.release}, ${devices} behind root ports, TCG 2 vCPUs: ${(r.totalMs / 1000).toFixed(2)} s wall`);
  for (const p of r.phases) console.log(`  ${p.name.padEnd(24)} ${String(p.ms).padStart(6)} ms`);
}

// The guest module for kernel A: cold into an empty cache root (headers fetched and unpacked), then cached.
const cold = mkdtempSync(join(tmpdir(), 'lusim-bench-modules-'));
try {
  const ka = findKernel(from)!;
  const t0 = performance.now();
  await buildModule(ka, cold);
  const t1 = performance.now();
  const again = await buildModule(ka, cold);
  console.log(`guest module for ${ka.release}: cold ${Math.round(t1 - t0)} ms (headers + make), cached ${Math.round(performance.now() - t1)} ms (${again.cached ? 'verified' : 'REBUILT'})`);
} finally {
  rmSync(cold, { recursive: true, force: true });
}

async function rate(what: string, perRound: number, round: () => Promise<unknown>): Promise<void> {
  let ops = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < DURATION_MS) {
    await round();
    ops += perRound;
  }
  console.log(`  ${what.padEnd(44)} ${Math.round(ops / ((performance.now() - t0) / 1000)).toLocaleString('en-US').padStart(9)} /s`);
}

// qtest against a booted, running guest (the vCPUs compete with the qtest server for the BQL).
const [k] = [findKernel(from)!];
const s = await startGuest({ endpoints: parseRealDevices('nvme'), chain: [k] }, new Phases());
try {
  const cfg = (await preparePci(s.q)).config('nvme');
  console.log(`qtest on the running ${k.release} guest (nvme config space over ECAM):`);
  await rate('register readl, one at a time', 1, () => cfg.readl(0));
  await rate('register readl, 256 in flight', 256, () => Promise.all(Array.from({ length: 256 }, (_, i) => cfg.readl((i * 4) & 0xffc))));
  await rate('4 KiB snapshot (b64read), one at a time', 1, () => cfg.snapshot());
} finally {
  await s.close();
}
