/**
 * `lusim reset-methods --qemu e1000e,nvme,virtio-net-pci --kernel 6.12`: the real kernel's sysfs
 * reset_method next to the model's prediction (kexec/run/real-reset-methods.ts). A disagreement sets
 * the exit code to 1.
 */
import type { QemuTopology } from '../../kexec/topology/qemu-device.js';
import { parseRealDevices, REAL_DEVICE_NAMES } from '../../kexec/topology/real-devices.js';
import type { LiveResetMethodsReport } from '../../kexec/run/real-reset-methods.js';
import { CliError, EXIT_FAILURE, printJson } from '../errors.js';
import { log } from '../log.js';
import { renderAccelerator, renderDrivers } from '../args/qemu-topology.js';

export async function runQemuResetMethodsCommand(devices: string | undefined, topology: QemuTopology | undefined, opts: { kernel: string; json?: boolean }): Promise<void> {
  if (devices !== undefined && topology) throw new CliError('bad-option', `give either --qemu ${devices} or --qemu-device/--topology, not both (a built-in name works as --qemu-device ${REAL_DEVICE_NAMES[0]})`, {});
  // Loaded on use: the real run's modules are most of lusim's start-up time (bin/lusim.js).
  const { runResetMethodsLive } = await import('../../kexec/run/real-reset-methods.js');
  const report = await runResetMethodsLive({ endpoints: devices !== undefined ? parseRealDevices(devices) : [], ...(topology ? { topology } : {}), kernel: opts.kernel, progress: (m) => log.info(`reset-methods --qemu: ${m}`) });
  if (opts.json) printJson({ ...report, devices: report.devices.map((d) => ({ ...d, predicted: { resetMethods: d.predicted.resetMethods, resetFunctionMethod: d.predicted.resetFunctionMethod, resetWorks: d.predicted.resetWorks, reasons: d.predicted.reasons } })) });
  else process.stdout.write(renderLive(report));
  if (report.devices.some((d) => !d.agree)) process.exitCode = EXIT_FAILURE;
}

export function renderLive(r: LiveResetMethodsReport): string {
  const lines = [`Linux ${r.kernel.release} (profile ${r.kernel.profile}) in QEMU (${renderAccelerator(r.accelerator)})${r.drivers ? '' : ', devices behind root ports'}:`];
  if (r.drivers) lines.push(...renderDrivers([r.drivers]));
  for (const d of r.devices) {
    const show = (m: readonly string[]) => (m.length ? m.join(' ') : '(none)');
    lines.push(`  ${d.id} ${d.bdf} (driver ${d.driver ?? '-'}): real ${show(d.real)}, model ${show(d.predicted.resetMethods)}: ${d.agree ? 'agree' : 'DIFFER'}`);
    if (!d.agree) lines.push(...d.predicted.reasons.map((x) => `      - ${x}`));
  }
  return `${lines.join('\n')}\n`;
}
