/**
 * `lusim predict DUMP --from A --to B`: what the model says every function of the dump is after
 * kernel A's shutdown, the kexec and kernel B's enumeration and drivers (sim/predict). Default
 * output is an lspci -xxxx dump in the input's order, to diff against a capture taken after a real
 * kexec; --json gives per function and register the value before and after, the step that wrote
 * it and whether it is predictable.
 */
import type { Command } from 'commander';
import { formatLspci } from '../../devices/dump/lspci.js';
import { formatBdf, parseBdf, sameBdf, type Bdf } from '../../devices/dump/bdf.js';
import type { DumpDevice } from '../../devices/dump/types.js';
import { formatRanges } from '../../devices/dump/known.js';
import { KERNEL_PROFILE_IDS } from '../../sim/linux/profiles.js';
import { modelKernel, type ModelKernel } from '../args/kernel.js';
import { isModelledDriver, predictMachine } from '../../sim/predict/machine.js';
import { CliError, action, printJson } from '../errors.js';
import { parseFormatOption, pickDevices, readDumpFile } from '../args/dump-file.js';

const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

/**
 * A profile id, or a user's kernel image / build directory modelled by the profile its version and
 * config choose (cli/args/kernel.ts). The prediction's steps are per profile: the build's own
 * .config does not change them (kexec-sim's platform options stay the q35 guest's).
 */
function kernel(v: string, what: '--from' | '--to', profile: string | undefined): ModelKernel {
  const k = modelKernel(v, what, profile);
  for (const w of k.build?.warnings ?? []) process.stderr.write(`lusim predict: warning: ${w}\n`);
  return k;
}

function bdfOf(text: string, what: string): Bdf {
  try {
    return parseBdf(text);
  } catch {
    throw new CliError('bad-option', `${what}: "${text}" is not a bus:device.function such as 01:00.0`, { value: text });
  }
}

/** A function an option names must be in the dump: one it does not hold would change nothing. */
function inDump(all: readonly DumpDevice[], bdf: Bdf, what: string): Bdf {
  if (!all.some((d) => sameBdf(d.bdf, bdf))) throw new CliError('bad-option', `${what} ${formatBdf(bdf)}: no such function in the dump; it holds ${all.map((d) => formatBdf(d.bdf)).join(', ')}`, { bdf: formatBdf(bdf) });
  return bdf;
}

/**
 * BDF=NAME pairs; NAME `none` means no driver. A driver the model has no steps of its own for
 * binds as a generic one: said on stderr, since its own probe and ->shutdown may differ.
 */
function driverMap(values: readonly string[] | undefined, what: string, all: readonly DumpDevice[]): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const v of values ?? []) {
    const m = /^([^=]+)=([a-z0-9_-]{1,32})$/.exec(v);
    if (!m) throw new CliError('bad-option', `${what} "${v}" must be BDF=DRIVER (e.g. 01:00.0=nvme, or 01:00.0=none)`, { value: v });
    const key = formatBdf(inDump(all, bdfOf(m[1]!, what), what));
    const name = m[2] === 'none' ? null : m[2]!;
    // One function binds one driver: a second value would replace the first without a word.
    if (out.has(key)) throw new CliError('bad-option', `${what} gives ${key} twice (${out.get(key) ?? 'none'} and ${name ?? 'none'}): give one driver per function`, { bdf: key });
    if (name !== null && !isModelledDriver(name)) process.stderr.write(`lusim predict: note: ${what} ${key}=${name}: lusim has no steps of ${name}'s own (it models nvme, e1000e, virtio-pci and virtio_* class drivers, xhci_hcd and pcieport), so it binds as a generic driver: pci_enable_device, pci_set_master, MSI-X or MSI, and no ->shutdown\n`);
    out.set(key, name);
  }
  return out;
}

export function register(program: Command): void {
  program
    .command('predict')
    .description('predict every function\'s config space after kernel A\'s shutdown, a kexec, and kernel B\'s enumeration and drivers (lspci -xxxx, or --json per register)')
    .argument('<dump>', 'lspci -xxxx text, raw config or JSON snapshot (a whole machine: bus numbers give the topology)')
    .requiredOption('--from <kernel>', `kernel A: ${KERNEL_PROFILE_IDS.join(', ')}, or a kernel image / build directory you built`)
    .requiredOption('--to <kernel>', `kernel B: ${KERNEL_PROFILE_IDS.join(', ')}, or a kernel image / build directory`)
    .option('--profile-a <id>', 'the profile that models a --from path (default: chosen from its version and config)')
    .option('--profile-b <id>', 'the profile that models a --to path')
    .option('-d, --device <bdf>', 'print only this function (the others are still modelled)')
    .option('--driver-a <bdf=name>', 'driver bound in kernel A (repeatable; name or none); default: the built-in drivers of Debian\'s cloud kernels (nvme, pcieport, virtio-pci from 6.12)', collect)
    .option('--driver-b <bdf=name>', 'driver bound in kernel B (repeatable; name or none); same default', collect)
    .option('--preserve <bdf>', 'a function preserved for Live Update: bus master survives kernel A\'s shutdown (repeatable)', collect)
    .option('--format <format>', 'input format: lspci, raw or json (default: detected)')
    .option('--json', 'per function and register: before, after, step, predictable')
    .action(action(async (file: string, opts: { from: string; to: string; profileA?: string; profileB?: string; device?: string; driverA?: string[]; driverB?: string[]; preserve?: string[]; format?: string; json?: boolean }) => {
      const a = kernel(opts.from, '--from', opts.profileA);
      const b = kernel(opts.to, '--to', opts.profileB);
      const [from, to] = [a.id, b.id];
      const all = readDumpFile(file, { format: parseFormatOption(opts.format), formatOption: '--format' });
      const [driverA, driverB] = [driverMap(opts.driverA, '--driver-a', all), driverMap(opts.driverB, '--driver-b', all)];
      const preserve = (opts.preserve ?? []).map((p) => inDump(all, bdfOf(p, '--preserve'), '--preserve'));
      const predictions = await predictMachine(all, { from, to, driverA, driverB, preserve });
      const shown = new Set(pickDevices(all, opts.device).map((d) => d.bdf));
      const picked = predictions.filter((_, i) => shown.has(all[i]!.bdf));
      if (opts.json) {
        const builds = { ...(a.build ? { from: a.build } : {}), ...(b.build ? { to: b.build } : {}) };
        printJson({ from, to, ...(a.build || b.build ? { userKernels: builds } : {}), functions: picked.map(({ after: _after, known: _known, ...p }) => p) });
        return;
      }
      for (const p of picked) if (p.notCaptured) process.stderr.write(`lusim predict: ${p.bdf}: bytes ${formatRanges(p.notCaptured)} not in the dump: not predicted, and read by the model as 0, so a capability there is missing from the whole prediction (capture all of it as root: lspci -xxxx, or lusim capture)\n`);
      // Rows the dump never captured stay out, as formatLspci leaves them out of any partial dump.
      process.stdout.write(formatLspci(picked.map((p) => ({ bdf: parseBdf(p.bdf), bytes: p.after, ...(p.notCaptured ? { known: p.known } : {}) }))));
    }));
}
