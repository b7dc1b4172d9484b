/**
 * Which accelerator a booting guest asks for, and which one QEMU actually ran.
 *
 * KVM is asked for as `-accel kvm -accel tcg`: QEMU tries each -accel in order and takes the
 * first whose init succeeds (softmmu/vl.c configure_accelerators -> do_configure_accelerator),
 * so a /dev/kvm that refuses KVM_CREATE_VM falls back to TCG by itself. That fallback does not
 * cover a /dev/kvm that initializes but is not hardware-assisted: measured on this 2-core
 * machine (a Firecracker VM, AMD EPYC without the svm flag), `query-kvm` says enabled and q35
 * runs SeaBIOS to "No bootable device" in 10.1 s, against 0.33 s under TCG, and a 6.12 guest did
 * not reach lusim's agent within the 90 s boot timeout (shared/docs/qemu.md 5.2 saw Linux abort
 * with `-cpu max`, "failed to set MSR 0x10a", and hang with kvm64). KVM
 * proper needs the CPU's hardware virtualization (arch/x86/kvm/vmx/vmx.c cpu_has_kvm_support:
 * VMX; svm/svm.c kvm_is_svm_supported: SVM), which the kernel advertises as the vmx/svm flags
 * of /proc/cpuinfo: so lusim asks for KVM only when /dev/kvm opens read-write and one of them
 * is there. LUSIM_ACCEL=tcg forces TCG, LUSIM_ACCEL=kvm asks for KVM regardless (still with the
 * tcg fallback). The accelerator that ran is read back with QMP query-kvm (qapi/misc.json
 * KvmInfo: enabled = KVM is in use) and reported by every real run.
 *
 * Results must not depend on it: the devices, firmware, kernels and guest are the same; only
 * the CPU model's execution changes.
 */
import { closeSync, openSync, readFileSync } from 'node:fs';
import { KexecError } from '../errors.js';
import type { QmpClient } from './qmp.js';

export type Accelerator = 'kvm' | 'tcg';

export interface AccelChoice {
  /** What lusim asked QEMU for. */
  readonly wanted: Accelerator;
  /** The -accel arguments. */
  readonly args: readonly string[];
  /** Why: shown in reports beside the accelerator that ran. */
  readonly why: string;
}

export interface AcceleratorInfo {
  /** What QEMU ran (query-kvm). */
  readonly name: Accelerator;
  readonly why: string;
}

const KVM_ARGS = ['-accel', 'kvm', '-accel', 'tcg'] as const;
const TCG_ARGS = ['-accel', 'tcg'] as const;

/** The same choice with every tcg accelerator single-threaded. */
function singleThreaded(c: AccelChoice): AccelChoice {
  return { ...c, args: c.args.map((a) => (a === 'tcg' ? 'tcg,thread=single' : a)), why: `${c.why}; TCG single-threaded` };
}

function devKvmOpens(path: string): string | undefined {
  try {
    closeSync(openSync(path, 'r+'));
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? 'error';
  }
}

function cpuVirtFlag(cpuinfo: string): string | undefined {
  const flags = /^flags\s*:(.*)$/m.exec(cpuinfo)?.[1]?.split(/\s+/) ?? [];
  return flags.find((f) => f === 'vmx' || f === 'svm');
}

export interface AccelProbe {
  readonly env?: string | undefined;
  /**
   * TCG with one host thread for all vCPUs (`tcg,thread=single`), which every booting guest gets
   * (kexec/qemu/launcher.ts): under multi-threaded TCG a guest kernel can take `Oops: int3` at a site
   * text_poke_bp had already finished patching (a vCPU running stale code). Seen in kernel B after
   * a snapshot restore in 1 of 19 restores (0 of 48 with thread=single, at about the same speed:
   * docs/fidelity.md), and on a cold boot of 6.12.117 in a CI run (multi_cpu_stop, sched_clock_tick).
   */
  readonly singleThreadTcg?: boolean;
  readonly devKvm?: string;
  readonly cpuinfo?: () => string;
}

/** The accelerator to ask for (the probe's fields are for tests; defaults: the real machine). */
export function chooseAccel(p: AccelProbe = {}): AccelChoice {
  const c = chooseAccelFor(p);
  return p.singleThreadTcg ? singleThreaded(c) : c;
}

function chooseAccelFor(p: AccelProbe): AccelChoice {
  const env = 'env' in p ? p.env : process.env.LUSIM_ACCEL;
  if (env !== undefined && env !== '' && env !== 'auto' && env !== 'kvm' && env !== 'tcg') {
    throw new KexecError('bad-launch-options', `LUSIM_ACCEL="${env}" is not an accelerator; use auto, kvm or tcg (or leave it unset).`, { value: env });
  }
  if (env === 'tcg') return { wanted: 'tcg', args: TCG_ARGS, why: 'LUSIM_ACCEL=tcg' };
  if (env === 'kvm') return { wanted: 'kvm', args: KVM_ARGS, why: 'LUSIM_ACCEL=kvm' };
  const devKvm = p.devKvm ?? '/dev/kvm';
  const err = devKvmOpens(devKvm);
  if (err) return { wanted: 'tcg', args: TCG_ARGS, why: `${devKvm} does not open read-write (${err})` };
  let cpuinfo = '';
  try {
    cpuinfo = (p.cpuinfo ?? (() => readFileSync('/proc/cpuinfo', 'utf8')))();
  } catch {
    // No /proc: nothing says the CPU can run KVM guests.
  }
  const flag = cpuVirtFlag(cpuinfo);
  if (!flag) return { wanted: 'tcg', args: TCG_ARGS, why: `${devKvm} opens but the CPU has neither the vmx nor the svm flag: no hardware-assisted KVM (LUSIM_ACCEL=kvm tries it anyway)` };
  return { wanted: 'kvm', args: KVM_ARGS, why: `${devKvm} opens and the CPU has ${flag}` };
}

/** What QEMU runs: KVM when query-kvm says enabled, else TCG (the only other accelerator lusim passes). */
export async function queryAccelerator(qmp: QmpClient, choice: AccelChoice): Promise<AcceleratorInfo> {
  const kvm = await qmp.execute<{ enabled: boolean; present: boolean }>('query-kvm');
  const name: Accelerator = kvm.enabled ? 'kvm' : 'tcg';
  const why = name === choice.wanted ? choice.why : `${choice.why}; KVM did not initialize, QEMU fell back to TCG`;
  return { name, why };
}
