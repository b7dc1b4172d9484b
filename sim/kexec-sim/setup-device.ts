/**
 * The config writes of probe.c pci_setup_device, which runs for every function an enumerating
 * kernel finds, before pci_device_add (enumerate.ts): pci_intx_mask_broken's INTx Disable
 * toggle, then pci_read_bases' BAR and ROM sizing, and on a bridge pci_read_bridge_windows. Every
 * write puts back what it found, so the function's state does not change; the writes matter because they hit a preserved device between
 * kernel A's save and kernel B's restore, with decode briefly off (QEMU's pci_cfg_write trace shows
 * them in every boot: test/e2e/real-cycle-kernel.test.ts).
 *
 * How pci_read_bases sizes, per version (KEXEC_VERSION_DATA.barSizing):
 * - 'per-bar' (v6.1, v6.12; __pci_read_base): for each BAR, COMMAND decode off, write
 *   `l | mask` (all-ones, or PCI_ROM_ADDRESS_MASK for the ROM), read, write `l` back, and for a
 *   64-bit memory BAR the upper dword the same way with ~0; decode back on. The loop skips the upper
 *   dword of a 64-bit BAR (pos += __pci_read_base's return).
 * - 'batched' (v6.15+ "PCI: Batch BAR sizing operations": __pci_size_stdbars, __pci_size_rom):
 *   decode off once, every BAR dword (upper halves included) written all-ones and back, then the
 *   ROM with PCI_ROM_ADDRESS_MASK, then decode on. Seen in QEMU's trace of Debian 7.2.13; v6.19 is
 *   taken from the commit's merge release, not read.
 * Host bridges are dev->mmio_always_on (quirks.c quirk_mmio_always_on), so decode stays on;
 * VFs (all BARs RO zero) and non_compliant_bars functions are not sized, and the model has neither.
 */
import {
  PCI_BASE_ADDRESS_0, PCI_CLASS_REVISION, PCI_COMMAND, PCI_COMMAND_INTX_DISABLE, PCI_COMMAND_IO, PCI_COMMAND_MEMORY,
  PCI_HEADER_TYPE_BRIDGE, PCI_HEADER_TYPE_CARDBUS, PCI_ROM_ADDRESS, PCI_ROM_ADDRESS1, PCI_SRIOV_NUM_BARS,
  PCI_IO_BASE, PCI_PREF_BASE_UPPER32, PCI_PREF_MEMORY_BASE, PCI_PREF_RANGE_TYPE_64, PCI_PREF_RANGE_TYPE_MASK, PCI_VENDOR_ID,
} from '../../devices/pci-regs.js';
import { isMem64Bar } from '../../devices/bar.js';
import { stepRead, stepWrite } from '../write-log/steps.js';
import type { TracedFunction } from '../write-log/write-log.js';
import type { KexecDev } from './dev.js';

export type BarSizing = 'per-bar' | 'batched';

const PCI_COMMAND_DECODE_ENABLE = PCI_COMMAND_MEMORY | PCI_COMMAND_IO;
const PCI_ROM_ADDRESS_MASK = 0xfffff800;
const ALL_ONES = 0xffffffff;
const PCI_CLASS_BRIDGE_HOST = 0x0600;

/** probe.c pci_intx_mask_broken: toggle INTx Disable, read it back, restore. */
async function pciIntxMaskBroken(d: KexecDev): Promise<void> {
  const orig = await stepRead(d, PCI_COMMAND, 2);
  await stepWrite(d, 'pci_intx_mask_broken', PCI_COMMAND, 2, orig ^ PCI_COMMAND_INTX_DISABLE, 'toggle INTx Disable to see whether the bit sticks');
  await stepWrite(d, 'pci_intx_mask_broken', PCI_COMMAND, 2, orig, 'put COMMAND back');
}

/** The BAR count and ROM register pci_setup_device passes for each header type. */
function barsOf(hdrType: number): { count: number; rom: number } {
  if (hdrType === PCI_HEADER_TYPE_BRIDGE) return { count: 2, rom: PCI_ROM_ADDRESS1 };
  if (hdrType === PCI_HEADER_TYPE_CARDBUS) return { count: 1, rom: 0 };
  return { count: 6, rom: PCI_ROM_ADDRESS };
}

/** dev->mmio_always_on: a host bridge keeps decode on while its BARs are sized (quirks.c quirk_mmio_always_on). */
async function mmioAlwaysOn(d: TracedFunction): Promise<boolean> {
  return (await stepRead(d, PCI_CLASS_REVISION, 4)) >>> 16 === PCI_CLASS_BRIDGE_HOST;
}

/** One dword sized as __pci_read_base / __pci_size_bars do: `l | mask`, read, `l`. */
async function sizeDword(d: TracedFunction, step: string, pos: number, mask: number, orMask: boolean): Promise<number> {
  const l = await stepRead(d, pos, 4);
  await stepWrite(d, step, pos, 4, orMask ? (l | mask) >>> 0 : mask, 'write all-ones to read the size mask back');
  await stepRead(d, pos, 4);
  await stepWrite(d, step, pos, 4, l, 'put the BAR back');
  return l;
}

/** COMMAND decode off (when on and not mmio_always_on); returns what to put back, or null. */
async function decodeOff(d: TracedFunction, step: string, alwaysOn: boolean): Promise<number | null> {
  if (alwaysOn) return null;
  const cmd = await stepRead(d, PCI_COMMAND, 2);
  if (!(cmd & PCI_COMMAND_DECODE_ENABLE)) return null;
  await stepWrite(d, step, PCI_COMMAND, 2, cmd & ~PCI_COMMAND_DECODE_ENABLE, 'no decode while a BAR holds all-ones');
  return cmd;
}

async function decodeOn(d: TracedFunction, step: string, cmd: number | null): Promise<void> {
  if (cmd !== null) await stepWrite(d, step, PCI_COMMAND, 2, cmd, 'decode back on');
}

/** v6.1/v6.12 pci_read_bases: __pci_read_base per BAR from `base`, each with its own decode toggle. */
async function readBasesPerBar(d: TracedFunction, base: number, count: number, rom: number, alwaysOn: boolean): Promise<void> {
  const step = '__pci_read_base';
  for (let i = 0; i < count; i++) {
    const pos = base + 4 * i;
    const cmd = await decodeOff(d, step, alwaysOn);
    const l = await sizeDword(d, step, pos, ALL_ONES, true);
    if (isMem64Bar(l) && i + 1 < count) {
      await sizeDword(d, step, pos + 4, ALL_ONES, false);
      i++;
    }
    await decodeOn(d, step, cmd);
  }
  if (!rom) return;
  const cmd = await decodeOff(d, step, alwaysOn);
  await sizeDword(d, step, rom, PCI_ROM_ADDRESS_MASK, true);
  await decodeOn(d, step, cmd);
}

/** v6.15+ pci_read_bases: one decode toggle around __pci_size_stdbars and __pci_size_rom. */
async function readBasesBatched(d: KexecDev, count: number, rom: number, alwaysOn: boolean): Promise<void> {
  const cmd = await decodeOff(d, 'pci_read_bases', alwaysOn);
  for (let i = 0; i < count; i++) await sizeDword(d, '__pci_size_stdbars', PCI_BASE_ADDRESS_0 + 4 * i, ALL_ONES, false);
  if (rom) await sizeDword(d, '__pci_size_rom', rom, PCI_ROM_ADDRESS_MASK, false);
  await decodeOn(d, 'pci_read_bases', cmd);
}

/**
 * probe.c pci_read_bridge_windows (Debian 7.3.4 read), after pci_read_bases on a bridge: which
 * windows the bridge implements. An I/O Base of 0 is probed with 0xe0f0 and put back to 0, a
 * Prefetchable Memory Base of 0 with 0xffe0fff0 and put back to 0 (a window kernel A programmed
 * is read only); a 64-bit prefetchable window's upper base is written all-ones and put back, to
 * see whether its upper bits are writable. QEMU's trace shows the last on a q35 pcie-root-port in
 * kernel B's boot (docs/real-run.md).
 */
async function pciReadBridgeWindows(d: KexecDev): Promise<void> {
  const step = 'pci_read_bridge_windows';
  if ((await stepRead(d, PCI_IO_BASE, 2)) === 0) {
    await stepWrite(d, step, PCI_IO_BASE, 2, 0xe0f0, 'probe for an I/O window');
    await stepWrite(d, step, PCI_IO_BASE, 2, 0, 'put I/O Base back');
  }
  // DECchip 21050 pass 2 errata: no prefetchable window is used on it.
  if ((await stepRead(d, PCI_VENDOR_ID, 4)) === 0x00011011) return;
  let pmem = await stepRead(d, PCI_PREF_MEMORY_BASE, 4);
  if (pmem === 0) {
    await stepWrite(d, step, PCI_PREF_MEMORY_BASE, 4, 0xffe0fff0, 'probe for a prefetchable window');
    pmem = await stepRead(d, PCI_PREF_MEMORY_BASE, 4);
    await stepWrite(d, step, PCI_PREF_MEMORY_BASE, 4, 0, 'put Prefetchable Memory Base back');
  }
  if ((pmem & PCI_PREF_RANGE_TYPE_MASK) !== PCI_PREF_RANGE_TYPE_64) return;
  const hi = await stepRead(d, PCI_PREF_BASE_UPPER32, 4);
  await stepWrite(d, step, PCI_PREF_BASE_UPPER32, 4, ALL_ONES, 'are the upper bits of the 64-bit prefetchable window writable?');
  await stepWrite(d, step, PCI_PREF_BASE_UPPER32, 4, hi, 'put the upper base back');
}

/** pci_setup_device's writes to `d`, in the order the kernel makes them. */
export async function pciSetupDeviceWrites(d: KexecDev, sizing: BarSizing): Promise<void> {
  await pciIntxMaskBroken(d);
  const alwaysOn = await mmioAlwaysOn(d);
  const { count, rom } = barsOf(d.hdrType);
  if (sizing === 'per-bar') await readBasesPerBar(d, PCI_BASE_ADDRESS_0, count, rom, alwaysOn);
  else await readBasesBatched(d, count, rom, alwaysOn);
  if (d.hdrType === PCI_HEADER_TYPE_BRIDGE) await pciReadBridgeWindows(d);
}

/**
 * iov.c sriov_init's sizing of the six VF BARs from `base` (PCI_SRIOV_BAR), with VF Enable clear:
 * 'per-bar' (v6.1, v6.12) __pci_read_base on each, the PF's decode toggled around each as for its
 * own BARs; 'batched' (v6.15+) one __pci_size_stdbars over all six and no decode toggle ("Sizing
 * SR-IOV BARs with VF Enable cleared - no decode"; Debian 7.3.4 iov.c read). QEMU's trace of
 * Debian 7.2.13 shows the batched writes (test/e2e/sriov-nvme.test.ts).
 */
export async function sriovSizeVfBars(d: TracedFunction, base: number, sizing: BarSizing): Promise<void> {
  if (sizing === 'per-bar') return readBasesPerBar(d, base, PCI_SRIOV_NUM_BARS, 0, await mmioAlwaysOn(d));
  for (let i = 0; i < PCI_SRIOV_NUM_BARS; i++) await sizeDword(d, '__pci_size_stdbars', base + 4 * i, ALL_ONES, false);
}
