/**
 * `lusim cycle [DEVICE]`: the save -> serialize -> kexec -> deserialize -> restore cycle on a
 * modelled device, field by field; `--matrix` for every kernel pair x format x flow.
 */
import { Command, Option } from 'commander';
import { buildFunction } from '../../devices/device.js';
import { formatBdf } from '../../devices/dump/bdf.js';
import { profileForDump } from '../../devices/profiles/index.js';
import { RESET_KINDS, type ResetKind } from '../../devices/reset/apply.js';
import { SAVE_FORMATS, type SaveFormat } from '../../sim/cycle/carry.js';
import { runDriftExperiments } from '../../sim/cycle/experiments.js';
import { runMatrix, type MatrixCycle } from '../../sim/cycle/matrix.js';
import { partialCycleNote } from '../../sim/partial-capture.js';
import { FLOWS, runCycle, type Flow } from '../../sim/cycle/run.js';
import { KERNEL_PROFILE_IDS } from '../../sim/linux/profiles.js';
import { builtinDevices, resolveDevice, resolveParent } from '../args/device.js';
import { CliError, action, printJson } from '../errors.js';
import { registerQemuOptions, runQemuCycleCommand, type QemuCycleOptions } from './cycle-qemu.js';
import { parseFormatOption } from '../args/dump-file.js';
import { renderCycle, renderDriftExperiments, renderKconfig, renderLuPciCrossLoads, renderMatrix } from '../render/cycle-text.js';
import { readKconfig } from '../args/kconfig.js';
import { modelKernel, profileOfCapture, type ModelKernel } from '../args/kernel.js';
import type { CaptureFacts } from '../../devices/dump/types.js';
import { log } from '../log.js';
import { givenFlags, refuseUnread, type OptionScope } from '../args/option-scope.js';
import type { PciFunction } from '../../devices/device.js';
import type { KernelConfig, KernelProfileId } from '../../sim/linux/profile.js';
import { renderUserKernels, userKernelJson } from '../render/user-kernel-text.js';
import { runLuPciCrossLoads } from '../../sim/cycle/lu-pci-crossloads.js';
import { refuseRepeated } from '../args/option-list.js';

export interface CycleCliOptions {
  from: string; to: string; format: string; flow: string; drift?: string; reset?: string; preserve: boolean;
  device?: string; profile: string; matrix?: boolean; kernels?: string; all?: boolean; timeline?: boolean; json?: boolean;
  driver?: boolean; asFound?: boolean; parent?: string; irqsEnabled?: boolean; freezeD3hot?: boolean; handover: string; kconfig?: string; iommu: string;
  profileA?: string; profileB?: string; inputFormat?: string;
}

function check<T extends string>(value: string, allowed: readonly T[], what: string): T {
  if (!(allowed as readonly string[]).includes(value)) throw new CliError('bad-option', `unknown ${what} "${value}": use ${allowed.join(', ')}`, { value });
  return value as T;
}

/** `--matrix --kernels`: profile ids, at least one, each once (a repeated one repeats its rows). */
function matrixKernels(value: string): KernelProfileId[] {
  const ids = value.split(',').map((k) => k.trim()).filter(Boolean).map((k) => check(k, KERNEL_PROFILE_IDS, 'kernel'));
  if (!ids.length) throw new CliError('bad-option', `--kernels "${value}" names no kernel: use ${KERNEL_PROFILE_IDS.join(', ')}`, { value });
  refuseRepeated('--kernels', value, ids);
  return ids as KernelProfileId[];
}

/** Kernel A of a lusim capture without --from: the kernel the capture was taken on, said in the log. */
function capturedKernel(capture: CaptureFacts | undefined): ModelKernel | undefined {
  const choice = profileOfCapture(capture, '--from');
  if (!choice) return undefined;
  for (const w of choice.warnings) log.warn(`cycle: ${w}`);
  log.info(`cycle: kernel A is ${choice.id}, the captured kernel ${choice.release} (${choice.why}); --from names another`);
  return { id: choice.id };
}

export function register(program: Command): void {
  const cmd = program
    .command('cycle')
    .description('simulate save -> serialize -> kexec -> deserialize -> restore and classify every field (restored, expected, lost, corrupted, stale, refused)')
    .argument('[device]', `a built-in QEMU 7.2 device (${builtinDevices().join(', ')}) or a dump file`, 'e1000e')
    .option('--from <kernel>', `kernel A (saves): ${KERNEL_PROFILE_IDS.join(', ')}, or your own kernel: a bzImage or a build directory (with --qemu also a Debian series: 6.1, 6.12, 7.x, 7.3); default 6.12, or for a lusim capture the profile of the kernel it was taken on`, '6.12')
    .option('--to <kernel>', `kernel B (restores): ${KERNEL_PROFILE_IDS.join(', ')}, or a bzImage / build directory (with --qemu also 6.1, 6.12, 7.x, 7.3)`, '7.1')
    .option('--profile-a <id>', 'the model profile of kernel A when --from is a path (default: from its version and config)')
    .option('--profile-b <id>', 'the model profile of kernel B when --to is a path')
    .option('--modules-a <dir>', 'with --qemu: kernel A\'s modules, `make modules_install INSTALL_MOD_PATH=DIR`\'s DIR (default: under the build directory, then /lib/modules/RELEASE)')
    .option('--modules-b <dir>', 'with --qemu: kernel B\'s modules')
    .addOption(new Option('--format <format>', 'how the state crosses the kexec').choices(SAVE_FORMATS).default('linux-blob'))
    .addOption(new Option('--flow <flow>', 'plain (LUO-style save/restore), rfc-2025 (VFIO RFC blob), lu-series (freeze in A), vfio-lu (VFIO series v5 freeze gates), vfio (no handover)').choices(FLOWS).default('plain'))
    .option('--drift <spec>', 'change kernel B\'s data[] layout: "pcie:+reg", "pcie:swap(DEVCTL2,LNKCTL2)", "aer:-ROOT_COMMAND", "pcie:widen(LNKCTL)", "aer:narrow(CAP)", or its buffers: "caps:-LTR", "caps:swap(EXP,LTR)", "alloc:-ptm", or gain one with another kernel\'s code: "caps:+L1SS" (as v6.1), "alloc:+l1ss" (v6.12), "alloc:+acs" (lu-pci) (";"-separated)')
    .addOption(new Option('--reset <kind>', 'a reset during the kexec window').choices(RESET_KINDS))
    .option('--no-preserve', 'the device is not preserved: kernel A\'s shutdown clears bus master')
    .option('-d, --device <bdf>', 'the function, for a dump file holding several')
    .option('--input-format <format>', 'format of a dump file given as the device or --parent: lspci, raw or json (default: detected)')
    .option('--parent <device|none>', 'the upstream port modelled with the device: a built-in device or a dump file (default: the port a built-in device sits behind, or the bridge above the device in its dump file); none = the device alone')
    .option('--profile <name>', 'device profile: spec (default), auto (QEMU 7.2 register behaviour for QEMU devices), or a profile name', 'spec')
    .option('--matrix', 'run every kernel pair x format x flow and print a table, then the layout-drift experiments')
    .option('--kernels <list>', 'kernels for --matrix (comma-separated profile ids)')
    .option('--all', 'also list unchanged fields')
    .option('--timeline', 'list every config and MSI-X write in order, with the kernel function that made it (with --qemu: every config write QEMU traced, per phase)')
    .option('--no-driver', 'no driver binds in kernel A (plain flow): firmware and enumeration only, as Debian cloud kernels leave e1000e')
    .addOption(new Option('--iommu <on|off>', 'whether the platform has an IOMMU (pci_acs_enable), for both kernels: ACS at enumeration and restore').choices(['on', 'off']).default('off'))
    .option('--as-found', 'the dump already is the operational state (captured from a running system): nothing is configured before kernel A saves')
    .addOption(new Option('--handover <route>', 'memmap: a reserved range, no compatible strings (what the real run does with Debian kernels); luo: through LUO, refused when kernel B does not speak kernel A\'s KHO/LUO/handler strings').choices(['memmap', 'luo']).default('memmap'))
    .option('--kconfig <file>', 'the kernels\' config (/boot/config-*, .config, /proc/config.gz): PCIEAER, PCIEASPM, PCIE_DPC, PCIE_PTM, PCIE_TPH, PCI_IOV, KEXEC_HANDOVER, LIVEUPDATE, PCI_LIVEUPDATE from it instead of Debian\'s')
    .option('--irqs-enabled', 'vfio-lu: userspace left the device\'s interrupts enabled at the kexec (freeze refuses)')
    .option('--freeze-d3hot', 'vfio-lu: the device is in D3hot at the kexec (freeze refuses)')
    .option('--json', 'machine-readable output');
  registerQemuOptions(cmd);
  cmd.action(action(async (deviceArg: string, opts: CycleCliOptions & QemuCycleOptions) => {
    const mode = cycleMode(opts);
    refuseUnread(cmd, cycleScopes(opts, mode));
    if (mode === 'qemu') {
      const other = opts.device !== undefined ? '--device' : opts.topology !== undefined ? '--topology' : opts.qemuDevice ? '--qemu-device' : undefined;
      if (cmd.args.length > 0 && other) throw new CliError('bad-option', `"${deviceArg}" and ${other} both name the real cycle's devices: give one of them`, { device: deviceArg });
      return runQemuCycleCommand(deviceArg, opts);
    }
    const inputFormat = parseFormatOption(opts.inputFormat);
    const dev = resolveDevice(deviceArg, opts.device, inputFormat);
    const captured = cmd.getOptionValueSource('from') === 'default' && opts.profileA === undefined ? capturedKernel(dev.dump.capture) : undefined;
    const ka = captured ?? modelKernel(opts.from, '--from', opts.profileA);
    const kb = modelKernel(opts.to, '--to', opts.profileB);
    // A capture is a running system's state, which the default path would configure again.
    if (dev.dump.capture && !opts.asFound && opts.driver !== false) process.stderr.write(`lusim: note: ${dev.label} is from lusim capture, a running system's state: --as-found takes it as the operational state kernel A saves (without it, lusim configures it first as kernel A's driver would)\n`);
    const profile = profileForDump(dev.dump, opts.profile);
    const port = resolveParent(dev, opts.parent, inputFormat);
    const portProfile = port ? profileForDump(port.dump, opts.profile) : undefined;
    const target: CycleTarget = {
      label: `${dev.label}${port ? ` below ${port.label}` : ''}`, bdf: formatBdf(dev.dump.bdf), profile: profile.name,
      make: () => buildFunction(dev.dump, profile),
      ...(port && portProfile ? { makeParent: () => buildFunction(port.dump, portProfile) } : {}),
    };
    const kc = opts.kconfig ? readKconfig(opts.kconfig) : undefined;
    const shared = sharedCycleOptions(opts, dev.barSizes, kc?.config);
    if (mode === 'matrix') {
      if (ka.build || kb.build) throw new CliError('bad-option', '--matrix runs profile ids (--kernels); give a kernel path to a single cycle (--from/--to)', {});
      const given = givenFlags(cmd);
      return printMatrix(target, { ka, kb, kc, shared, opts, ...(given.has('--flow') ? { flows: [opts.flow as Flow] } : {}), ...(given.has('--format') ? { formats: [opts.format as SaveFormat] } : {}) });
    }
    const withOwn = { ...(ka.build ? { kconfigFrom: ka.build.kconfig.config } : {}), ...(kb.build ? { kconfigTo: kb.build.kconfig.config } : {}) };
    const result = await runCycle(target.make(), {
      ...shared, ...withOwn, from: ka.id, to: kb.id, format: opts.format as SaveFormat, flow: opts.flow as Flow,
      preserved: opts.flow === 'vfio' ? false : opts.preserve, ...(target.makeParent ? { parent: target.makeParent() } : {}),
    });
    const buildReport = ka.build || kb.build ? { userKernels: { ...(ka.build ? { from: userKernelJson(ka) } : {}), ...(kb.build ? { to: userKernelJson(kb) } : {}) } } : {};
    if (opts.json) printJson({ device: target.label, ...kconfigReport(kc), ...buildReport, ...result });
    else process.stdout.write(`${renderUserKernels(ka, kb)}${kc ? renderKconfig(kc) : ''}${renderCycle(result, target.label, { all: opts.all === true, timeline: opts.timeline === true })}`);
  }));
}

type CycleMode = 'one' | 'matrix' | 'qemu';

const cycleMode = (o: CycleCliOptions & QemuCycleOptions): CycleMode => (o.qemu || o.qemuDevice || o.topology ? 'qemu' : o.matrix ? 'matrix' : 'one');

/**
 * Which options each kind of run reads (cli/args/option-scope.ts). The real cycle runs Debian's
 * kernels on QEMU's devices as they are: plain flow, memmap handover, their own kconfig, no
 * reset window; the matrix varies the kernels, flows and formats and counts fields per cell.
 */
function cycleScopes(o: CycleCliOptions, mode: CycleMode): OptionScope[] {
  return [
    { flags: ['--modules-a', '--modules-b', '--no-fetch', '--boot-timeout', '--out', '--snapshots', '--saver', '--console-log'], applies: mode === 'qemu', where: 'with --qemu (the real cycle)' },
    {
      flags: ['--matrix', '--flow', '--reset', '--no-preserve', '--input-format', '--parent', '--profile', '--all', '--no-driver', '--iommu', '--as-found', '--handover', '--kconfig', '--irqs-enabled', '--freeze-d3hot'],
      applies: mode !== 'qemu', where: 'to the model, not with --qemu (the real cycle runs the plain flow on Debian\'s kernels and QEMU\'s devices as they are)',
    },
    { flags: ['--kernels'], applies: mode === 'matrix', where: 'with --matrix (one cycle takes --from and --to)' },
    { flags: ['--all', '--timeline'], applies: mode !== 'matrix', where: 'to one cycle, not with --matrix (its cells count fields: run one cell with --from, --to, --flow and --format to list them)' },
    { flags: ['--no-preserve'], applies: mode === 'one', where: 'to one cycle, not with --matrix (each flow there preserves the device as it does)' },
    { flags: ['--irqs-enabled', '--freeze-d3hot'], applies: o.flow === 'vfio-lu', where: 'with --flow vfio-lu (what kernel A\'s freeze() checks)' },
  ];
}

/** The options one cycle and every cell of a matrix share. */
function sharedCycleOptions(o: CycleCliOptions, barSizes: readonly (number | undefined)[] | undefined, kconfig: Partial<KernelConfig> | undefined): MatrixCycle {
  return {
    handover: o.handover as 'memmap' | 'luo', iommu: o.iommu === 'on',
    ...(kconfig ? { kconfig } : {}), ...(o.drift ? { drift: o.drift } : {}), ...(o.reset ? { reset: o.reset as ResetKind } : {}), ...(barSizes ? { barSizes } : {}),
    ...(o.asFound ? { operational: 'as-found' as const } : o.driver === false ? { operational: 'enumerated' as const } : {}),
    ...(o.irqsEnabled || o.freezeD3hot ? { freeze: { ...(o.irqsEnabled ? { irqsEnabled: true } : {}), ...(o.freezeD3hot ? { powerState: 3 as const } : {}) } } : {}),
  };
}

interface CycleTarget {
  readonly label: string;
  /** The device's address, which the label of a dump holding several does not say. */
  readonly bdf: string;
  readonly profile: string;
  readonly make: () => PciFunction;
  readonly makeParent?: () => PciFunction;
}

type Kconfig = ReturnType<typeof readKconfig>;

const kconfigReport = (kc: Kconfig | undefined) => (kc ? { kconfig: { file: kc.file, used: kc.used } } : {});

/** What every cell shares beyond the defaults, for the table's header and `cycleOptions` in --json. */
function matrixConditions(s: MatrixCycle): string[] {
  return [
    ...(s.drift ? [`kernel B drifted: ${s.drift}`] : []), ...(s.reset ? [`reset in the kexec window: ${s.reset}`] : []),
    ...(s.operational === 'as-found' ? ['the dump as found (--as-found)'] : s.operational === 'enumerated' ? ['no driver in kernel A'] : []),
    ...(s.iommu ? ['an IOMMU'] : []), ...(s.handover === 'luo' ? ['the LUO handover'] : []),
    ...(s.freeze?.irqsEnabled ? ['interrupts left enabled at the kexec'] : []), ...(s.freeze?.powerState === 3 ? ['the device in D3hot at the kexec'] : []),
  ];
}

/** `cycle --matrix`: the table, then the layout-drift experiments and the lu-pci blob change. */
async function printMatrix(target: CycleTarget, m: { ka: ModelKernel; kb: ModelKernel; kc: Kconfig | undefined; shared: MatrixCycle; opts: CycleCliOptions; flows?: Flow[]; formats?: SaveFormat[] }): Promise<void> {
  const { opts, shared } = m;
  const kernels = opts.kernels !== undefined ? matrixKernels(opts.kernels) : undefined;
  const tty = process.stderr.isTTY;
  const cells = await runMatrix(target.make, {
    ...shared, ...(kernels ? { kernels } : {}), ...(m.flows ? { flows: m.flows } : {}), ...(m.formats ? { formats: m.formats } : {}),
    ...(target.makeParent ? { makeParent: target.makeParent } : {}),
    onProgress: (done, total) => { if (tty) process.stderr.write(`\r  cycles ${done}/${total}`); if (tty && done === total) process.stderr.write('\n'); },
  });
  const [from, to] = [m.ka.id, m.kb.id];
  const barSizes = shared.barSizes ? { barSizes: shared.barSizes } : {};
  const drift = await runDriftExperiments(target.make, { from, to, ...barSizes, ...(target.makeParent ? { makeParent: target.makeParent } : {}) });
  // The lu-pci blob change needs a function with ACS: QEMU's pcie-root-port, alone.
  const acsPort = resolveDevice('pcie-root-port', undefined);
  const lu = kernels && !kernels.includes('lu-pci') ? [] : await runLuPciCrossLoads(() => buildFunction(acsPort.dump, profileForDump(acsPort.dump, opts.profile)));
  // Each cycle's notes say what a partial dump lacks; the table has one note for all of them.
  const partial = partialCycleNote(target.make(), 'in any cell');
  const notes = partial ? [partial] : [];
  const conditions = matrixConditions(shared);
  // The shared options a user gave (not the bar sizes and kconfig the inputs bring).
  const { barSizes: _sizes, kconfig: _kconfig, handover, iommu, ...given } = shared;
  const cycleOptions = { ...given, ...(iommu ? { iommu } : {}), ...(handover === 'luo' ? { handover } : {}) };
  const every = Object.keys(cycleOptions).length ? { cycleOptions } : {};
  if (opts.json) printJson({ device: target.label, profile: target.profile, ...kconfigReport(m.kc), ...every, ...(notes.length ? { notes } : {}), cells, driftExperiments: { from, to, results: drift }, luPciCrossLoads: { device: acsPort.label, results: lu } });
  else process.stdout.write(`${m.kc ? renderKconfig(m.kc) : ''}${renderMatrix(cells, `${target.bdf} ${target.label}, profile ${target.profile}`, notes, conditions)}\n${renderDriftExperiments(drift, from, to)}${lu.length ? `\n${renderLuPciCrossLoads(lu, acsPort.label)}` : ''}`);
}
