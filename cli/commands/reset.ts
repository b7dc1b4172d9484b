/**
 * `lusim reset DUMP --method flr|pm|bus|cold`: apply a reset to a modelled function, field by field.
 * `lusim reset DUMP --kernel K`: a full pci_reset_function as kernel K runs it (save and disable,
 * the method K picks, restore), field by field (sim/reset-methods/full-reset.ts).
 */
import type { Command } from 'commander';
import { buildFunction } from '../../devices/device.js';
import { formatBdf } from '../../devices/dump/bdf.js';
import type { ResetPersonality } from '../../devices/profile.js';
import { profileForDump } from '../../devices/profiles/index.js';
import { CAPTURE_WHOLE } from '../../devices/dump/known.js';
import type { DumpDevice } from '../../devices/dump/types.js';
import { applyReset, RESET_KINDS, ResetError, type FieldOutcome, type ResetKind, type ResetReport } from '../../devices/reset/apply.js';
import { KERNEL_PROFILE_IDS } from '../../sim/linux/profiles.js';
import { probeDeviceFromDump } from '../../sim/reset-methods/device.js';
import { fullResetFunction, type FullResetField, type FullResetReport } from '../../sim/reset-methods/full-reset.js';
import { kernelProfile } from '../../sim/reset-methods/kernels.js';
import { decidesResetFunction, predictResetMethods } from '../../sim/reset-methods/predict.js';
import { Topology } from '../../sim/topology.js';
import { CliError, action, printJson } from '../errors.js';
import { parseFormatOption, pickDevices, readDumpFile } from '../args/dump-file.js';

const PERSONALITIES: readonly ResetPersonality[] = ['spec', 'qemu-7.2'];

/**
 * Refuse a reset a partial dump cannot decide, as reset-methods answers "cannot tell" (its probe
 * device knows which facts the dump lacks): the model would otherwise decide it on the zeros it
 * reads for uncaptured bytes (no FLR in DEVCAP, no PM capability, a different method).
 */
function refuseUndecided(all: readonly DumpDevice[], dump: DumpDevice, kind: ResetKind | undefined, kernel: string | undefined): void {
  const probe = probeDeviceFromDump(new Topology(all), dump.bdf);
  const bdf = formatBdf(dump.bdf);
  const fact = kind === 'flr' ? probe.unknown?.devcap : kind === 'pm' ? probe.unknown?.pm : undefined;
  if (fact !== undefined) throw new ResetError('cannot-tell', `${bdf}: cannot tell from this dump whether ${kind === 'flr' ? 'the function advertises FLR' : 'it has a PM capability (and No_Soft_Reset)'} (${fact}): ${CAPTURE_WHOLE}`, { bdf, kind });
  if (kernel === undefined || probe.unknown === undefined) return;
  const p = predictResetMethods(probe, kernelProfile(kernel));
  if (!decidesResetFunction(p)) throw new ResetError('cannot-tell', `${bdf}: cannot tell from this dump which method pci_reset_function uses on ${kernel} (${p.cannotTell}): ${CAPTURE_WHOLE}`, { bdf, kernel });
}

export function register(program: Command): void {
  program
    .command('reset')
    .description('apply a reset (FLR, PM D3hot->D0, secondary bus/hot reset, cold reset) to a modelled function and show every field that changed and survived, with the rule that decided it')
    .argument('<file>', 'dump: lspci -xxxx text, raw config binary, or a lusim JSON snapshot')
    .option('-m, --method <kind>', `reset kind: ${RESET_KINDS.join(', ')} (bus = secondary bus reset, i.e. hot reset)`)
    .option('-k, --kernel <id>', `instead of --method: the whole pci_reset_function as this kernel runs it (${KERNEL_PROFILE_IDS.join(', ')}): pci_dev_save_and_disable, the method it picks, pci_restore_state`)
    .option('-d, --device <bdf>', 'the function to reset (BB:DD.F); needed when the dump holds several')
    .option('--profile <name>', 'device profile: spec, auto (recognise QEMU 7.2 devices) or a profile name', 'spec')
    .option('--personality <p>', `reset behaviour: ${PERSONALITIES.join(' or ')} (default: the profile's)`)
    .option('--changed', 'list only the fields that changed')
    .option('--format <format>', 'input format: lspci, raw or json (default: detected)')
    .option('--json', 'machine-readable output')
    .action(action(async (file: string, opts: { method?: string; kernel?: string; device?: string; profile: string; personality?: string; changed?: boolean; format?: string; json?: boolean }) => {
      if ((opts.method === undefined) === (opts.kernel === undefined)) {
        throw new CliError('bad-option', 'give exactly one of --method (apply one reset) or --kernel (the whole pci_reset_function; the kernel picks the method)', {});
      }
      const kind = opts.method as ResetKind | undefined;
      if (kind !== undefined && !RESET_KINDS.includes(kind)) throw new CliError('bad-option', `unknown reset method "${opts.method}": use ${RESET_KINDS.join(', ')}`, { method: opts.method });
      if (opts.personality !== undefined && !PERSONALITIES.includes(opts.personality as ResetPersonality)) {
        throw new CliError('bad-option', `unknown personality "${opts.personality}": use ${PERSONALITIES.join(' or ')}`, { personality: opts.personality });
      }
      const all = readDumpFile(file, { format: parseFormatOption(opts.format), formatOption: '--format' });
      const picked = pickDevices(all, opts.device);
      if (picked.length > 1) {
        throw new CliError('bad-option', `the dump holds ${picked.length} functions (${picked.map((d) => formatBdf(d.bdf)).join(', ')}): choose one with --device`, { devices: picked.length });
      }
      const dump = picked[0];
      const fn = buildFunction(dump, profileForDump(dump, opts.profile));
      refuseUndecided(all, dump, kind, opts.kernel);
      if (opts.kernel !== undefined) {
        if (opts.personality !== undefined) throw new CliError('bad-option', '--personality applies to --method only: with --kernel the profile\'s personality decides (use --profile spec or auto)', {});
        const full = await fullResetFunction(fn, opts.kernel);
        if (opts.json) printJson(fullJson(full, opts.changed === true));
        else process.stdout.write(renderFull(full, opts.changed === true));
        return;
      }
      if (kind === undefined) return;
      const place = new Topology(all).place(dump.bdf);
      const report = applyReset(fn, kind, {
        ...(opts.personality ? { personality: opts.personality as ResetPersonality } : {}),
        ...(place.node.isBridge && place.children.length > 0 ? { slotPopulated: true } : {}),
      });
      if (opts.json) printJson(reportJson(report, opts.changed === true));
      else process.stdout.write(renderReport(report, opts.changed === true));
    }));
}

const hex = (n: number) => `0x${n.toString(16)}`;

function reportJson(r: ResetReport, changedOnly: boolean) {
  return {
    bdf: r.bdf, kind: r.kind, personality: r.personality, performed: r.performed, notes: r.notes,
    fields: r.fields.filter((f) => !changedOnly || f.changed).map((f) => ({ ...f, offset: hex(f.offset) })),
    scratch: r.scratch.map((s) => ({ ...s, offset: hex(s.offset) })),
  };
}

function line(f: FieldOutcome): string {
  const where = `${hex(f.offset).padEnd(6)} ${f.register}.${f.field}`;
  return `  ${where.padEnd(52)} ${hex(f.before).padStart(10)} -> ${hex(f.after).padEnd(10)} ${f.rule}`;
}

function renderReport(r: ResetReport, changedOnly: boolean): string {
  const changed = r.fields.filter((f) => f.changed);
  const kept = r.fields.filter((f) => !f.changed);
  const out = [`${r.bdf}: ${r.kind} reset, ${r.personality} behaviour${r.performed ? '' : ' (not performed)'}`];
  for (const n of r.notes) out.push(`  note: ${n}`);
  out.push(`changed (${changed.length}):`, ...changed.map(line));
  if (!changedOnly) {
    out.push(`survived (${kept.length}):`, ...kept.map(line));
    for (const s of r.scratch) out.push(`  ${hex(s.offset)}..${hex(s.offset + s.length - 1)} (${s.length} bytes) ${s.rule}`);
  }
  return `${out.join('\n')}\n`;
}

function fullJson(r: FullResetReport, changedOnly: boolean) {
  return {
    bdf: r.bdf, kernel: r.kernel, method: r.method, personality: r.personality, notes: r.notes,
    fields: r.fields.filter((f) => !changedOnly || f.changed).map((f) => ({ ...f, offset: hex(f.offset) })),
  };
}

function fullLine(f: FullResetField): string {
  const where = `${hex(f.offset).padEnd(6)} ${f.register}.${f.field}`;
  const values = `${hex(f.before)} -> ${hex(f.afterReset)} -> ${hex(f.after)}`;
  return `  ${where.padEnd(52)} ${values.padEnd(32)} ${f.rule}`;
}

function renderFull(r: FullResetReport, changedOnly: boolean): string {
  const changed = r.fields.filter((f) => f.changed);
  // Back after pci_restore_state, but changed on the way (pci_dev_save_and_disable, the reset):
  // what the restore is for.
  const restored = r.fields.filter((f) => !f.changed && f.afterReset !== f.before);
  const untouched = r.fields.filter((f) => !f.changed && f.afterReset === f.before);
  const out = [`${r.bdf}: pci_reset_function as Linux ${r.kernel} runs it: ${r.method ?? 'no method (-ENOTTY)'}, ${r.personality} behaviour`];
  for (const n of r.notes) out.push(`  note: ${n}`);
  out.push('  values: before -> after the reset -> after pci_restore_state');
  out.push(`changed (${changed.length}):`, ...changed.map(fullLine));
  out.push(`changed on the way (save and disable, the reset), back after pci_restore_state (${restored.length}):`, ...restored.map(fullLine));
  if (!changedOnly) out.push(`unchanged (${untouched.length}):`, ...untouched.map(fullLine));
  return `${out.join('\n')}\n`;
}
