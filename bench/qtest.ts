/**
 * qtest throughput against a hermetic QEMU: config-register reads per second (one at a time, and
 * pipelined with many requests in flight) and full 4 KiB ECAM snapshots per second.
 *
 *   npx tsx bench/qtest.ts
 */
import { behindRootPorts, withQemu } from '../kexec/qemu/launcher.js';
import { preparePci } from '../kexec/qemu/pci-topology.js';

const DURATION_MS = 1500;
const PIPELINE_DEPTH = 1024;

async function rate(what: string, opsPerRound: number, round: () => Promise<unknown>): Promise<void> {
  let ops = 0;
  const start = performance.now();
  while (performance.now() - start < DURATION_MS) {
    await round();
    ops += opsPerRound;
  }
  const secs = (performance.now() - start) / 1000;
  console.log(`${what.padEnd(40)} ${Math.round(ops / secs).toLocaleString('en-US').padStart(10)} /s`);
}

await withQemu({ devices: behindRootPorts([{ driver: 'nvme', id: 'nvme0', props: { serial: 'bench' } }]) }, async (q) => {
  const cfg = (await preparePci(q)).config('nvme0');
  console.log(`qtest over a unix socket, QEMU ${q.qmp.greeting?.QMP.version.qemu.major}.${q.qmp.greeting?.QMP.version.qemu.minor}, TCG -S, ECAM`);
  await rate('config readl, serial', 1, () => cfg.readl(0));
  await rate(`config readl, pipelined (${PIPELINE_DEPTH} in flight)`, PIPELINE_DEPTH, () => Promise.all(Array.from({ length: PIPELINE_DEPTH }, (_, i) => cfg.readl((i * 4) & 0xffc))));
  await rate('4 KiB snapshot (b64read), serial', 1, () => cfg.snapshot());
  await rate('4 KiB snapshot, pipelined (32 in flight)', 32, () => Promise.all(Array.from({ length: 32 }, () => cfg.snapshot())));
}, 60_000);
