/**
 * Regenerate fixtures/qemu/: the full 4 KiB config space of QEMU 7.2 PCIe functions, read from a
 * hermetic q35 (-accel tcg -S, qtest over ECAM) right after start-up, as `lspci -xxxx` text, plus
 * a JSON side file with the QEMU version, the command line, the address and the BAR sizes.
 *
 *   npx tsx scripts/gen-fixtures.ts [outdir]
 *
 * Each fixture gets its own QEMU so that an endpoint behind a root port is always at 01:00.0.
 * The only writes before the snapshot are the ones firmware would make: PCIEXBAR and bridge bus
 * numbers (kexec/qemu/pci-topology.ts preparePci). BARs are left unassigned and COMMAND is 0, i.e. the
 * power-on/reset state. BAR sizes are probed after the snapshot (write all-ones, read, restore).
 * Every written file is read back with `lspci -F FILE -xxxx` and must reproduce the same bytes.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatLspci } from '../devices/dump/lspci.js';
import { type DeviceSpec, withQemu } from '../kexec/qemu/launcher.js';
import { preparePci, probeBars } from '../kexec/qemu/pci-topology.js';
import { formatBdf } from '../kexec/qemu/qtest-config-access.js';

interface Fixture {
  name: string;
  /** qdev id of the function to capture. */
  target: string;
  devices: DeviceSpec[];
}

const rp = (id: string): DeviceSpec => ({ driver: 'pcie-root-port', id });
const virtioModern = { 'disable-legacy': true };

export const FIXTURES: Fixture[] = [
  { name: 'e1000e', target: 'dev', devices: [rp('rp0'), { driver: 'e1000e', id: 'dev', bus: 'rp0' }] },
  // On pcie.0 an endpoint becomes a Root Complex Integrated Endpoint (PCIe type 9, pcie.c pcie_endpoint_cap_common_init).
  { name: 'e1000e-rciep', target: 'dev', devices: [{ driver: 'e1000e', id: 'dev' }] },
  { name: 'nvme', target: 'dev', devices: [rp('rp0'), { driver: 'nvme', id: 'dev', bus: 'rp0', props: { serial: 'lusim0' } }] },
  { name: 'virtio-net', target: 'dev', devices: [rp('rp0'), { driver: 'virtio-net-pci', id: 'dev', bus: 'rp0', props: virtioModern }] },
  { name: 'virtio-net-aer', target: 'dev', devices: [rp('rp0'), { driver: 'virtio-net-pci', id: 'dev', bus: 'rp0', props: { ...virtioModern, aer: true } }] },
  { name: 'qemu-xhci', target: 'dev', devices: [rp('rp0'), { driver: 'qemu-xhci', id: 'dev', bus: 'rp0' }] },
  { name: 'pcie-root-port', target: 'rp0', devices: [rp('rp0'), { driver: 'e1000e', id: 'dev', bus: 'rp0' }] },
  { name: 'ioh3420', target: 'rp0', devices: [{ driver: 'ioh3420', id: 'rp0' }, { driver: 'e1000e', id: 'dev', bus: 'rp0' }] },
  {
    name: 'x3130-upstream',
    target: 'up0',
    devices: [rp('rp0'), { driver: 'x3130-upstream', id: 'up0', bus: 'rp0' }, { driver: 'xio3130-downstream', id: 'dn0', bus: 'up0' }, { driver: 'e1000e', id: 'dev', bus: 'dn0' }],
  },
  {
    name: 'xio3130-downstream',
    target: 'dn0',
    devices: [rp('rp0'), { driver: 'x3130-upstream', id: 'up0', bus: 'rp0' }, { driver: 'xio3130-downstream', id: 'dn0', bus: 'up0' }, { driver: 'e1000e', id: 'dev', bus: 'dn0' }],
  },
];

function lspciReadBack(file: string): string | null {
  try {
    return execFileSync('lspci', ['-F', file, '-xxxx'], { encoding: 'utf8' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

const hexLines = (text: string): string[] => text.split('\n').filter((l) => /^[0-9a-f]{2,3}: /.test(l));

async function generate(outDir: string): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  let lspciChecked = 0;
  for (const fx of FIXTURES) {
    await withQemu({ devices: fx.devices }, async (q) => {
      const v = q.qmp.greeting?.QMP.version;
      const pci = await preparePci(q);
      const cfg = pci.config(fx.target);
      const bytes = await cfg.snapshot();
      const bars = await probeBars(cfg);
      const f = pci.functions.get(fx.target);
      if (!f) throw new Error(`fixture ${fx.name}: ${fx.target} not found`);
      const bdf = formatBdf(cfg.bdf);
      const text = formatLspci([{ bdf: { domain: 0, bus: cfg.bdf.bus, device: cfg.bdf.dev, fn: cfg.bdf.fn }, bytes }]);
      const lspciFile = join(outDir, `${fx.name}.lspci`);
      writeFileSync(lspciFile, text);
      const meta = {
        qemu: v ? `${v.qemu.major}.${v.qemu.minor}.${v.qemu.micro}` : 'unknown',
        qemuPackage: v?.package ?? 'unknown',
        args: q.args.map((a) => a.split(q.dir).join('$DIR')),
        bdf,
        qdevId: fx.target,
        vendor: f.vendor,
        device: f.device,
        barSizes: bars.map((b) => ({ bar: b.index === 6 ? 'rom' : b.index, size: b.size, type: b.io ? 'io' : b.is64 ? 'mem64' : 'mem32', prefetch: b.prefetch })),
        generatedBy: 'npx tsx scripts/gen-fixtures.ts',
      };
      writeFileSync(join(outDir, `${fx.name}.json`), `${JSON.stringify(meta, null, 2)}\n`);
      const back = lspciReadBack(lspciFile);
      if (back !== null) {
        if (hexLines(back).join('\n') !== hexLines(text).join('\n')) throw new Error(`lspci -F ${lspciFile} -xxxx does not reproduce the bytes written`);
        lspciChecked++;
      }
      process.stderr.write(`${fx.name}: ${bdf} ${f.vendor.toString(16)}:${f.device.toString(16)}, ${bars.length} BARs\n`);
    });
  }
  process.stderr.write(lspciChecked === FIXTURES.length ? `all ${lspciChecked} dumps read back identically with lspci -F\n` : 'lspci not installed: dumps were not checked with lspci -F (apt-get install pciutils)\n');
}

await generate(resolve(process.argv[2] ?? 'fixtures/qemu'));
