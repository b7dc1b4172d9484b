/**
 * The simulated kexec window, step 3 of `lusim cycle`: kernel A's shutdown, then kernel B's
 * enumeration, with hook points where a reset (devices/reset/apply.ts) can be applied: between the
 * kernels (a platform reset during the kexec) and after enumeration (e.g. vfio-pci's reset when
 * kernel B opens the device). Every step's writes land, named and reasoned, in one WriteLog (sim/write-log).
 */
import type { FunctionAccess } from '../../devices/access.js';
import { kernelEnumerate, type PciIovInitStep } from './enumerate.js';
import type { KexecSimOptions } from './options.js';
import { kernelShutdown } from './shutdown.js';
import { WriteLog } from '../write-log/write-log.js';

export interface KexecHooks {
  /** Runs after kernel A's shutdown, before kernel B touches the device. */
  readonly betweenKernels?: (fn: FunctionAccess, log: WriteLog) => Promise<void>;
  /** Runs after kernel B's enumeration. */
  readonly afterEnumeration?: (fn: FunctionAccess, log: WriteLog) => Promise<void>;
  /** Kernel B's pci_iov_init, at its place in the enumeration (enumerate.ts PciIovInitStep). */
  readonly pciIovInit?: PciIovInitStep;
}

export async function simulateKexec(fn: FunctionAccess, o: KexecSimOptions, hooks: KexecHooks = {}, log = new WriteLog()): Promise<WriteLog> {
  await kernelShutdown(fn, { driver: o.driver, preserved: o.preserved, from: o.from, ...(o.platform ? { platform: o.platform } : {}), ...(o.enabled !== undefined ? { enabled: o.enabled } : {}) }, log);
  if (hooks.betweenKernels) await hooks.betweenKernels(fn, log);
  await kernelEnumerate(fn, o.to, o.platform, log, 'dev', hooks.pciIovInit);
  if (hooks.afterEnumeration) await hooks.afterEnumeration(fn, log);
  return log;
}

export { driverConfigure, driverProbe, pciEnableBridge, type AspmChoice, type DriverConfigureOptions, type DriverConfigureResult } from './driver-configure.js';
export { kernelEnumerate, type PciIovInitStep } from './enumerate.js';
export { kernelScanBridge, type BelowBridge } from './scan-bridge.js';
export type { IrqMode, MsiVector } from './irq.js';
export { DEFAULT_PLATFORM, type KexecSimOptions, type PlatformOptions, type ShutdownDriver, type UpstreamPort } from './options.js';
export { kernelRemove, kernelShutdown, probeAboveWalk, removeAboveWalk, removeWalksBelow, type ShutdownOptions } from './shutdown.js';
export { portServices, type PortService } from './pcieport.js';
export { KEXEC_VERSION_DATA, type KexecVersionData } from './versions.js';
