/**
 * `lusim fuzz --qemu N`: layouts QEMU 7.2 can realize, sampled by device properties (issue 10
 * "What a user gets", last bullet). Sample i of seed S comes from caseSeed(S, i), like a
 * campaign case, so the same seed gives the same samples. Each sample is a topology of QEMU
 * -device strings (kexec/topology/qemu-device.ts syntax: 1-3 Root Ports each with a branch below it,
 * maybe an endpoint on the root bus) and a pair of real kernels; the CLI runs it for real
 * (`lusim cycle --qemu`) and compares every phase with the model's prediction, for every function.
 *
 * The properties, as QEMU 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18) lists them with
 * `qemu-system-x86_64 -device NAME,help`, each one changing the config-space layout or its bits:
 *   port            pcie-root-port or ioh3420 (the Root Port), optionally an x3130-upstream +
 *                   xio3130-downstream switch below it;
 *                   disable-acs (no ACS capability), power_controller_present (SLTCAP.PCP),
 *                   x-pcie-lnksta-dllla (LNKCAP/LNKSTA DLL Link Active), and on pcie-root-port
 *                   x-speed / x-width (LNKCAP speed and width);
 *   virtio-net-pci  (modern only, disable-legacy=on, so that it is PCIe) aer (an AER capability),
 *                   ats (an ATS capability), vectors (MSI-X table size; 0: no MSI-X), and the
 *                   x-pcie-pm-init / flr-init / deverr-init / lnkctl-init flags (PM capability,
 *                   DEVCAP.FLR, the error-reporting and link-control bits QEMU opens);
 *   nvme            msix_qsize (MSI-X table size), msix-exclusive-bar (MSI-X in a BAR of its own);
 *   e1000e, qemu-xhci  x-pcie-lnksta-dllla;
 *   every endpoint  multifunction (the header's multi-function bit).
 * and, drawn after all of those (so that a seed's earlier samples keep their other properties):
 *   every PCIe device  x-pcie-extcap-init=off (hw/pci/pcie.c pcie_cap_init then leaves an
 *                   unclaimed 0x100 header writable instead of a read-only null header; the
 *                   extended capabilities stay: test/e2e/extcap-init.test.ts);
 *   Root and Downstream Ports  hotplug=off (SLTCAP without Hot-Plug Capable and Surprise,
 *                   hw/pci/pcie.c pcie_cap_slot_init: the port is no hotplug bridge to Linux,
 *                   probe.c set_pcie_hotplug_bridge; pciehp binds to neither kind on q35, whose
 *                   ACPI hotplug withholds native control: sim/kexec-sim/options.ts nativeHotplug);
 *   nvme            sriov_max_vfs with sriov_vq_flexible and sriov_vi_flexible (an SR-IOV
 *                   capability, and ARI: hw/nvme/ctrl.c nvme_init_sriov; nvme_check_params wants
 *                   2 flexible queues and 1 flexible interrupt per VF and an MSI-X table of at least
 *                   the interrupts plus one; the launcher adds the NVM subsystem SR-IOV needs).
 * and, drawn after those, lusim's own key on an SR-IOV nvme:
 *   guest-vfs       kernel A enables 1..sriov_max_vfs VFs before the cycle (sysfs sriov_numvfs,
 *                   kexec/run/real-cycle.ts enableGuestVfs), as a host running VMs has them: kernel
 *                   B's sriov_init then finds VF Enable set (test/e2e/sriov-nvme.test.ts).
 * Properties equal to QEMU's default are left out of the strings, so a command shows only what
 * the sample changed.
 */
import fc from 'fast-check';
import { caseSeed } from './campaign.js';

/** The Debian kernels a real run boots (kexec/kernels/kernels.ts series), with the model profile each maps to. */
export const REAL_KERNELS: readonly { readonly series: string; readonly profile: string }[] = [
  { series: '6.1', profile: '6.1.y' }, { series: '6.12', profile: '6.12.y' }, { series: '7.2', profile: '7.2' }, { series: '7.3', profile: '7.3' },
];

export interface QemuSample {
  readonly index: number;
  /** Kernel series for the real run (`--from` / `--to` of `lusim cycle --qemu`). */
  readonly from: string;
  readonly to: string;
  /** QEMU -device strings, ports first (`--qemu-device` values). */
  readonly devices: readonly string[];
}

const onOff = (b: boolean) => (b ? 'on' : 'off');
/** `key=value` for each property that differs from its default. */
const props = (entries: readonly (readonly [string, string | number | boolean, string | number | boolean])[]) =>
  entries.filter(([, v, d]) => v !== d).map(([k, v]) => `${k}=${typeof v === 'boolean' ? onOff(v) : v}`);
const device = (name: string, ...parts: (string | readonly string[])[]) => [name, ...parts.flat()].join(',');

const bool = fc.boolean();

const rootPort = fc.record({
  driver: fc.constantFrom('pcie-root-port', 'ioh3420'),
  acs: bool, pcp: bool, dllla: bool,
  speed: fc.constantFrom('16', '8', '5', '2_5'), width: fc.constantFrom('32', '16', '4', '1'),
});
type RootPort = typeof rootPort extends fc.Arbitrary<infer T> ? T : never;

const rootPortDevice = (p: RootPort, id: string) => device(p.driver, `id=${id}`, props([
  ['disable-acs', !p.acs, false], ['power_controller_present', p.pcp, true], ['x-pcie-lnksta-dllla', p.dllla, true],
  ...(p.driver === 'pcie-root-port' ? [['x-speed', p.speed, '16'], ['x-width', p.width, '32']] as const : []),
]));

const endpointProps = fc.oneof(
  fc.record({ aer: bool, ats: bool, vectors: fc.constantFrom(3, 0, 1, 2, 5, 8), pm: bool, flr: bool, deverr: bool, lnkctl: bool }).map((v) => ['virtio-net-pci', 'disable-legacy=on', ...props([
    ['aer', v.aer, false], ['ats', v.ats, false], ['vectors', v.vectors, 3],
    ['x-pcie-pm-init', v.pm, true], ['x-pcie-flr-init', v.flr, true], ['x-pcie-deverr-init', v.deverr, true], ['x-pcie-lnkctl-init', v.lnkctl, true],
  ])]),
  fc.record({ qsize: fc.constantFrom(65, 1, 2, 4, 8), exclusive: bool }).map((v) => ['nvme', ...props([['msix_qsize', v.qsize, 65], ['msix-exclusive-bar', v.exclusive, false]])]),
  fc.record({ driver: fc.constantFrom('e1000e', 'qemu-xhci'), dllla: bool }).map((v) => [v.driver, ...props([['x-pcie-lnksta-dllla', v.dllla, true]])]),
);

/**
 * A property change for the `at`-th (modulo) device it applies to: the properties drawn after a
 * sample's others (the header comment's last group).
 */
const quirk = fc.record({ at: fc.nat({ max: 15 }), kind: fc.constantFrom('extcap-off', 'hotplug-off', 'sriov'), vfs: fc.integer({ min: 1, max: 3 }) });
type Quirk = typeof quirk extends fc.Arbitrary<infer T> ? T : never;

/** The value of `key=` in a -device string's parts. */
const option = (parts: readonly string[], key: string) => parts.find((kv) => kv.startsWith(`${key}=`))?.slice(key.length + 1);

/** Ports with a slot (hw/pci/pcie_port.c PCIESlot): the ones with a hotplug property. */
const SLOTTED = new Set(['pcie-root-port', 'ioh3420', 'xio3130-downstream']);

/** nvme's MSI-X table size as the string gives it (default 65). */
const msixQsize = (parts: readonly string[]) => Number(option(parts, 'msix_qsize') ?? 65);

/** `parts` with `q` applied, or unchanged where it does not apply (or would clash with what is there). */
function applyQuirk(parts: readonly string[], q: Quirk): readonly string[] {
  const has = (key: string) => option(parts, key) !== undefined;
  if (q.kind === 'extcap-off') return has('x-pcie-extcap-init') || has('sriov_max_vfs') ? parts : [...parts, 'x-pcie-extcap-init=off'];
  if (q.kind === 'hotplug-off') return SLOTTED.has(parts[0]) && !has('hotplug') ? [...parts, 'hotplug=off'] : parts;
  // SR-IOV wants its extended capabilities, and an MSI-X table one entry larger than its VF interrupts.
  const vfs = Math.min(q.vfs, msixQsize(parts) - 1);
  if (parts[0] !== 'nvme' || has('sriov_max_vfs') || has('x-pcie-extcap-init') || vfs < 1) return parts;
  return [...parts, `sriov_max_vfs=${vfs}`, `sriov_vq_flexible=${2 * vfs}`, `sriov_vi_flexible=${vfs}`];
}

/** How many VFs kernel A enables on the `at`-th (modulo) SR-IOV nvme (at most its sriov_max_vfs). */
const guestVfs = fc.record({ at: fc.nat({ max: 15 }), vfs: fc.integer({ min: 1, max: 3 }) });
type GuestVfs = typeof guestVfs extends fc.Arbitrary<infer T> ? T : never;

/**
 * A -device string's bus and slot when it gives addr=; a device without it is at function 0 of a
 * slot of its own (slot 0 below a port, QEMU's first free slot on pcie.0).
 */
function sharedSlot(parts: readonly string[]): string | undefined {
  const addr = option(parts, 'addr');
  return addr === undefined ? undefined : `${option(parts, 'bus') ?? 'pcie.0'}:${addr.split('.')[0]}`;
}

/**
 * Whether kernel A can enable VFs on device `at`: only on a PF with its slot to itself. QEMU's nvme
 * puts VF n at the PF's function + 1 + n (hw/nvme/nvme.h NVME_VF_OFFSET 1, NVME_VF_STRIDE 1) and
 * leaves the Function Dependency Link 0 (pcie_sriov_pf_init), so beside another function:
 * - a PF at function 0 has its first VF on function 1's routing ID: pci_iov_add_virtfn's device_add
 *   fails, and Debian 6.12 refuses the write while 7.2 and 7.3 oops in its error path;
 * - a PF at function 1 links to function 0, which is no PF: sriov_enable returns -ENOSYS
 *   (iov.c; 6.1 measured).
 * Both are findings of their own (test/e2e/sriov-nvme.test.ts), not layouts to sample again.
 */
function canEnableVfs(all: readonly (readonly string[])[], at: number): boolean {
  const slot = sharedSlot(all[at]);
  return option(all[at], 'sriov_max_vfs') !== undefined && (slot === undefined || !all.some((p, i) => i !== at && sharedSlot(p) === slot));
}

/** `devices` with `guest-vfs=` on the `g.at`-th (modulo) SR-IOV nvme that can enable VFs, if there is one. */
function withGuestVfs(devices: readonly string[], g: GuestVfs | undefined): string[] {
  const all = devices.map((d) => d.split(','));
  const pfs = all.flatMap((_, i) => (canEnableVfs(all, i) ? [i] : []));
  if (!g || pfs.length === 0) return [...devices];
  const at = pfs[g.at % pfs.length];
  const vfs = Math.min(g.vfs, Number(option(all[at], 'sriov_max_vfs')));
  return devices.map((d, i) => (i === at ? `${d},guest-vfs=${vfs}` : d));
}

/** `devices` with each quirk applied to the `at`-th (modulo) of the devices it applies to. */
function withQuirks(devices: readonly string[], quirks: readonly Quirk[]): string[] {
  const parts: (readonly string[])[] = devices.map((d) => d.split(','));
  for (const q of quirks) {
    const applied = parts.map((p) => applyQuirk(p, q));
    const applies = parts.flatMap((p, i) => (applied[i] !== p ? [i] : []));
    if (applies.length > 0) parts[applies[q.at % applies.length]] = applied[applies[q.at % applies.length]];
  }
  return parts.map((p) => p.join(','));
}

/** A Root Port, optionally an x3130 switch below it, and one endpoint at the bottom. */
const branch = fc.record({ port: rootPort, viaSwitch: fc.boolean(), endpoint: endpointProps, multifunction: fc.boolean() });
type Branch = typeof branch extends fc.Arbitrary<infer T> ? T : never;

const endpointDevice = ([name, ...rest]: readonly string[], bus: string, multifunction: boolean, addr?: string) =>
  device(name, `bus=${bus}`, addr ? [`addr=${addr}`] : [], rest, multifunction ? ['multifunction=on'] : []);

/** A second function of one branch's endpoint device: function 1 beside it (function 0 then says multifunction=on). */
interface SecondFunction { readonly endpoint: readonly string[] }

/** Branch `k`'s -device strings: ports rpK (upK, dnK), then the endpoint (and its second function). */
function branchDevices(b: Branch, k: number, second?: SecondFunction): string[] {
  const sw = b.viaSwitch ? [`x3130-upstream,id=up${k},bus=rp${k}`, `xio3130-downstream,id=dn${k},bus=up${k}`] : [];
  const bus = b.viaSwitch ? `dn${k}` : `rp${k}`;
  const fn1 = second ? [endpointDevice(second.endpoint, bus, false, '0.1')] : [];
  return [rootPortDevice(b.port, `rp${k}`), ...sw, endpointDevice(b.endpoint, bus, b.multifunction || second !== undefined, second ? '0.0' : undefined), ...fn1];
}

/**
 * One boot checks several layouts: the first branch, up to two more (each its own Root Port),
 * sometimes an endpoint on the root bus (an RCiEP: QEMU gives a PCIe endpoint on pcie.0 the
 * Root Complex Integrated Endpoint type, hw/pci/pcie.c pcie_endpoint_cap_common_init), and in
 * about half the samples a real multi-function device: a second function (addr=0.1) beside one
 * branch's endpoint, which then sits at addr=0.0 with multifunction=on. The extra
 * keys come after the first branch's and the kernels, so they draw later from the same seed:
 * the first branch and the kernels of a sample are what they were with one branch per sample.
 */
function sampleArb(kernels: readonly string[]): fc.Arbitrary<Omit<QemuSample, 'index'>> {
  return fc.record({
    port: rootPort, viaSwitch: fc.boolean(), endpoint: endpointProps, multifunction: fc.boolean(),
    from: fc.constantFrom(...kernels),
    to: fc.constantFrom(...kernels),
    more: fc.array(branch, { maxLength: 2 }),
    rciep: fc.option(fc.record({ endpoint: endpointProps, multifunction: fc.boolean() }), { nil: undefined, freq: 3 }),
    second: fc.option(fc.record({ branch: fc.nat({ max: 2 }), endpoint: endpointProps }), { nil: undefined, freq: 2 }),
    quirks: fc.array(quirk, { maxLength: 3 }),
    guestVfs: fc.option(guestVfs, { nil: undefined, freq: 2 }),
  }).map((s) => {
    const branches = [s, ...s.more];
    const withSecond = s.second ? s.second.branch % branches.length : -1;
    return {
      from: s.from, to: s.to,
      devices: withGuestVfs(withQuirks([
        ...branches.flatMap((b, i) => branchDevices(b, i + 1, i === withSecond ? s.second : undefined)),
        ...(s.rciep ? [endpointDevice(s.rciep.endpoint, 'pcie.0', s.rciep.multifunction)] : []),
      ], s.quirks), s.guestVfs),
    };
  });
}

/** The real kernels whose profile is among `profiles` (fuzz --kernels); all of them when undefined. */
export function realKernelsFor(profiles?: readonly string[]): string[] {
  return REAL_KERNELS.filter((k) => !profiles || profiles.includes(k.profile)).map((k) => k.series);
}

/** Samples 0..n-1 of `seed` over `kernels` (real series). */
export function qemuSamples(seed: number, n: number, kernels: readonly string[]): QemuSample[] {
  const arb = sampleArb(kernels);
  return Array.from({ length: n }, (_, index) => ({ index, ...fc.sample(arb, { seed: caseSeed(seed, index), numRuns: 1 })[0] }));
}

const quote = (s: string) => `'${s}'`;

/** The `lusim cycle --qemu` command that runs a sample (the kernels' own saver, the Linux blob). */
export function qemuSampleCommand(s: QemuSample): string {
  return ['lusim cycle --qemu', ...s.devices.flatMap((d) => ['--qemu-device', quote(d)]), '--from', s.from, '--to', s.to, '--format linux-blob --no-fetch --json'].join(' ');
}

/** Options that make a sample what it is rather than change a layout: its wiring and virtio's PCIe mode. */
const STRUCTURAL = new Set(['id', 'bus', 'addr', 'disable-legacy']);

/** Indexes of device `at` and of every device below it (by bus=), in command order. */
function subtree(parts: readonly (readonly string[])[], at: number): Set<number> {
  const out = new Set([at]);
  parts.forEach((p, i) => { if (i > at && [...out].some((j) => option(parts[j], 'id') !== undefined && option(p, 'bus') === option(parts[j], 'id'))) out.add(i); });
  return out;
}

/**
 * The samples one step simpler than `s`, simplest first: one branch fewer (a Root Port with all
 * below it, or the root-bus endpoint) while another remains; one later function of a
 * multi-function device fewer; one switch fewer (what sat below
 * its downstream port moves onto the Root Port); then one property fewer (QEMU's default again),
 * in command order. The kernels stay: they are part of a finding's signature. A sample with
 * none of these is minimal.
 */
export function simplerSamples(s: QemuSample): QemuSample[] {
  const parts = s.devices.map((d) => d.split(','));
  const without = (drop: ReadonlySet<number>, rewrite: (kv: string) => string = (kv) => kv) =>
    ({ ...s, devices: parts.flatMap((p, i) => (drop.has(i) ? [] : [p.map(rewrite).join(',')])) });
  const out: QemuSample[] = [];
  const roots = parts.flatMap((p, i) => ((option(p, 'bus') ?? 'pcie.0') === 'pcie.0' ? [i] : []));
  if (roots.length > 1) for (const r of roots) out.push(without(subtree(parts, r)));
  // A function other than 0 of a multi-function device goes on its own.
  const laterFunction = (p: readonly string[]) => /\.[1-7]$/.test(option(p, 'addr') ?? '');
  parts.forEach((p, i) => { if (laterFunction(p)) out.push(without(new Set([i]))); });
  parts.forEach((p, i) => {
    const down = parts.findIndex((q) => q[0] === 'xio3130-downstream' && option(q, 'bus') === option(p, 'id'));
    if (p[0] !== 'x3130-upstream' || down < 0) return;
    const [dn, above] = [option(parts[down], 'id'), option(p, 'bus')];
    out.push(without(new Set([i, down]), (kv) => (kv === `bus=${dn}` ? `bus=${above}` : kv)));
  });
  // Function 0 must keep multifunction=on while a later function shares its slot (QEMU refuses it otherwise).
  const hasLater = (p: readonly string[]) => parts.some((q) => laterFunction(q) && option(q, 'bus') === option(p, 'bus'));
  // SR-IOV's three properties go together: QEMU refuses any one of them without the others, and
  // guest-vfs goes with them (kernel A has no sriov_numvfs to write without SR-IOV).
  const sriov = (kv: string) => kv.startsWith('sriov_');
  const withSriov = (kv: string) => sriov(kv) || kv.startsWith('guest-vfs=');
  parts.forEach((p, d) => p.forEach((kv, k) => {
    if (k === 0 || STRUCTURAL.has(kv.split('=')[0]) || (kv === 'multifunction=on' && hasLater(p))) return;
    if (sriov(kv) && p.findIndex(sriov) !== k) return;
    const drop = (x: string, j: number) => j === k || (sriov(kv) && withSriov(x));
    out.push({ ...s, devices: s.devices.map((dev, i) => (i === d ? p.filter((x, j) => !drop(x, j)).join(',') : dev)) });
  }));
  return out;
}
