/**
 * `lusim reset-methods DUMP --kernel K`: predict sysfs reset_method, the method pci_reset_function
 * would use, and VFIO's reset_works, per function of the dump (sim/reset-methods).
 */
import type { Command } from 'commander';
import { Topology } from '../../sim/topology.js';
import { parseDevFlags, probeDeviceFromDump, type SlotKind } from '../../sim/reset-methods/device.js';
import { KERNEL_VERSIONS, kernelProfile } from '../../sim/reset-methods/kernels.js';
import { profileOfCapture } from '../args/kernel.js';
import { decidesResetFunction, predictResetMethods, type ResetMethodsPrediction } from '../../sim/reset-methods/predict.js';
import type { DumpDevice } from '../../devices/dump/types.js';
import { CliError, action, printJson } from '../errors.js';
import { log } from '../log.js';
import { parseFormatOption, pickDevices, readDumpFile } from '../args/dump-file.js';
import { REAL_DEVICE_NAMES } from '../../kexec/topology/real-devices.js';
import { runQemuResetMethodsCommand } from './reset-methods-qemu.js';
import { refuseUnread } from '../args/option-scope.js';
import { registerTopologyOptions, topologyOf, type TopologyCliOptions } from '../args/qemu-topology.js';

const SLOTS: readonly SlotKind[] = ['none', 'no-reset-op', 'reset-op'];

export function register(program: Command): void {
  const cmd = program
    .command('reset-methods')
    .description('predict the reset_method list Linux writes to sysfs, the method pci_reset_function uses, and VFIO reset_works, with the reason for each')
    .argument('[file]', 'dump with the device and, for bus reset, its parent bridge and siblings (bus numbers say who is below whom)')
    .option('-k, --kernel <version>', `kernel profile: ${KERNEL_VERSIONS.join(', ')} (default for a lusim capture: the profile nearest below its kernel release)`)
    .option('-d, --device <bdf>', 'only this function (default: every function in the dump)')
    .option('--flags <list>', 'PCI_DEV_FLAGS_NO_* quirk flags to assume: no-flr,no-pm,no-bus', '')
    .option('--acpi-rst', 'assume the device\'s ACPI companion has _RST (a dump cannot show it)')
    .option('--slot <kind>', `dev->slot: ${SLOTS.join(', ')} (reset-op = pciehp's reset_slot)`, 'none')
    .option('--format <format>', 'input format: lspci, raw or json (default: detected)')
    .option('--json', 'one object per device: bdf, resetMethods, resetFunctionMethod, resetWorks, reasons')
    .option('--qemu <devices>', `instead of a dump: boot the Debian kernel --kernel (6.1, 6.12, 7.x) in QEMU with these devices (${REAL_DEVICE_NAMES.join(', ')}) behind root ports and compare its sysfs reset_method with the model`);
  registerTopologyOptions(cmd)
    .action(action(async (file: string | undefined, opts: { kernel?: string; device?: string; flags: string; acpiRst?: boolean; slot: string; format?: string; json?: boolean; qemu?: string } & TopologyCliOptions) => {
      const live = opts.qemu !== undefined || opts.qemuDevice !== undefined || opts.topology !== undefined;
      // The real kernel probes QEMU's devices as they are: nothing of a dump's reads applies.
      refuseUnread(cmd, [{ flags: ['--device', '--flags', '--acpi-rst', '--slot', '--format'], applies: !live, where: 'to a dump, not with --qemu, --qemu-device or --topology (the real kernel probes QEMU\'s devices as they are)' }]);
      if (live && file !== undefined) throw new CliError('bad-option', `--qemu, --qemu-device and --topology ask a real kernel and read no dump: drop ${file}, or drop them to predict from it`, { file });
      const qemuTopology = topologyOf(opts);
      if (live) {
        if (opts.kernel === undefined) throw new CliError('bad-option', '--qemu, --qemu-device and --topology need --kernel (6.1, 6.12 or 7.x)', {});
        return runQemuResetMethodsCommand(opts.qemu, qemuTopology, { ...opts, kernel: opts.kernel });
      }
      if (file === undefined) throw new CliError('bad-option', 'give a dump file, or --qemu DEVICES to ask a real kernel', {});
      const flags = parseDevFlags(opts.flags);
      if (!SLOTS.includes(opts.slot as SlotKind)) throw new CliError('bad-option', `unknown slot kind "${opts.slot}": use ${SLOTS.join(', ')}`, { slot: opts.slot });
      const all = readDumpFile(file, { format: parseFormatOption(opts.format), formatOption: '--format' });
      const kernel = kernelProfile(opts.kernel ?? kernelOfCapture(all));
      const topology = new Topology(all);
      const predictions = pickDevices(all, opts.device).map((d) => ({
        p: predictResetMethods(probeDeviceFromDump(topology, d.bdf, { flags, acpiRst: opts.acpiRst === true, slot: opts.slot as SlotKind }), kernel),
        machine: d.capture?.resetMethod,
      }));
      if (opts.json) printJson(predictions.map(({ p, machine }) => ({ ...toJson(p), ...(machine ? { machine: { resetMethod: machine, matches: sameList(p.resetMethods, machine) } } : {}) })));
      else process.stdout.write(predictions.map(({ p, machine }) => render(p, machine)).join('\n'));
    }));
}

/** The profile of the kernel a capture was taken on (cli/args/kernel.ts profileOfCapture). */
function kernelOfCapture(devices: readonly DumpDevice[]): string {
  const choice = profileOfCapture(devices.find((d) => d.capture?.kernelRelease)?.capture, '--kernel');
  if (!choice) throw new CliError('bad-option', `give --kernel (${KERNEL_VERSIONS.join(', ')}): the dump records no kernel release (only lusim capture does)`, {});
  for (const w of choice.warnings) log.warn(`reset-methods: ${w}`);
  log.info(`reset-methods: kernel profile ${choice.id} for the captured kernel ${choice.release}: ${choice.why}`);
  return choice.id;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((m, i) => m === b[i]);
}

function renderMachine(p: ResetMethodsPrediction, machine: readonly string[]): string {
  const text = machine.length > 0 ? machine.join(' ') : '(none: no reset_method file)';
  return `  machine's own:      ${text}  ${sameList(p.resetMethods, machine) ? 'matches the prediction' : p.cannotTell ? 'the prediction cannot tell' : 'DIFFERS from the prediction'}`;
}

function toJson(p: ResetMethodsPrediction) {
  return {
    bdf: p.bdf, kernel: p.kernel, resetMethods: p.resetMethods, resetFunctionMethod: decidesResetFunction(p) ? p.resetFunctionMethod : 'cannot tell',
    resetWorks: decidesResetFunction(p) ? p.resetWorks : 'cannot tell', probes: p.probes, reasons: p.reasons,
    ...(p.cannotTell ? { cannotTell: p.cannotTell } : {}),
  };
}

function render(p: ResetMethodsPrediction, machine?: readonly string[]): string {
  const open = !decidesResetFunction(p);
  const methods = p.resetMethods.length > 0 ? p.resetMethods.join(' ') : p.cannotTell ? '' : '(none: the sysfs file is not created)';
  const lines = [
    `${p.bdf} (Linux ${p.kernel})`,
    `  reset_method:       ${methods}${p.cannotTell ? `${methods ? ' ' : ''}... cannot tell from this dump (${p.cannotTell})` : ''}`,
    ...(machine ? [renderMachine(p, machine)] : []),
    `  pci_reset_function: ${open ? 'cannot tell from this dump' : p.resetFunctionMethod ?? 'fails'}`,
    `  VFIO reset_works:   ${open ? 'cannot tell from this dump' : p.resetWorks}`,
    ...p.reasons.map((r) => `    - ${r}`),
  ];
  return `${lines.join('\n')}\n`;
}
