/**
 * The edge that reads a case's device for the engine: a built-in fixture (cli/args/device.ts, with
 * its upstream port and BAR sizes), a dump file relative to the suite file, or a QEMU device by its
 * real-run name, modelled from its QEMU 7.2 fixture. Problems are SuiteErrors naming the case.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { formatBdf } from '../../devices/dump/bdf.js';
import { LusimError } from '../../devices/errors.js';
import { SuiteError } from '../../sim/suite/errors.js';
import type { SuiteDevice } from '../../sim/suite/run.js';
import type { Suite, SuiteCase } from '../../sim/suite/types.js';
import { Topology } from '../../sim/topology.js';
import { builtinDevices, resolveDevice } from '../args/device.js';
import { pickDevices, readDumpFile } from '../args/dump-file.js';

/** Real-run device names (kexec/topology/real-devices.ts) and the fixture of the same QEMU 7.2 device. */
export const QEMU_FIXTURE: Readonly<Record<string, string>> = {
  e1000e: 'e1000e', nvme: 'nvme', 'virtio-net-pci': 'virtio-net', 'virtio-net': 'virtio-net', 'qemu-xhci': 'qemu-xhci', xhci: 'qemu-xhci',
};

export function suiteDevice(suite: Suite, c: SuiteCase, index: number): SuiteDevice {
  const fail = (message: string): never => {
    throw new SuiteError([{ file: suite.file, line: c.line, key: `cases[${index}].device`, message }]);
  };
  const d = c.device;
  try {
    if (d.kind === 'builtin') {
      if (!builtinDevices().includes(d.name)) fail(`unknown built-in device "${d.name}"; use ${builtinDevices().join(', ')}, or {dump: FILE}`);
      return fromResolved(resolveDevice(d.name, undefined));
    }
    if (d.kind === 'qemu') {
      const fixture = QEMU_FIXTURE[d.name];
      if (!fixture) fail(`unknown QEMU device "${d.name}"; use ${Object.keys(QEMU_FIXTURE).join(', ')}`);
      return { ...fromResolved(resolveDevice(fixture!, undefined)), label: `qemu ${d.name}` };
    }
    const path = isAbsolute(d.file) ? d.file : resolve(dirname(suite.file), d.file);
    if (!existsSync(path)) fail(`no such dump file: ${d.file} (paths are relative to the suite file: ${path})`);
    const all = readDumpFile(path);
    const picked = pickDevices(all, d.bdf);
    if (picked.length > 1) fail(`${d.file} holds ${picked.length} functions; add bdf: one of ${picked.map((x) => formatBdf(x.bdf)).join(', ')}`);
    const port = new Topology(all).place(picked[0].bdf).parent;
    return { label: d.bdf ? `${d.file} ${d.bdf}` : d.file, dump: picked[0], all, ...(port ? { parent: port.dump } : {}) };
  } catch (e) {
    if (e instanceof SuiteError || !(e instanceof LusimError)) throw e;
    return fail(e.message);
  }
}

function fromResolved(r: ReturnType<typeof resolveDevice>): SuiteDevice {
  return {
    label: r.label, dump: r.dump, all: r.parent ? [r.parent.dump, r.dump] : [r.dump],
    ...(r.parent ? { parent: r.parent.dump } : {}), ...(r.barSizes ? { barSizes: r.barSizes } : {}),
  };
}
