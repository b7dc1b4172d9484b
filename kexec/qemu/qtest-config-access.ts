/**
 * Config-space and BAR access to a PCI function in QEMU through qtest.
 *
 * - ECAM (q35 MMCONFIG): address = base + (bus<<20 | dev<<15 | fn<<12 | offset), 4 KiB per function
 *   (hw/pci/pcie_host.c pcie_mmcfg_data_read). Mapped only while MCH PCIEXBAR (0:0.0 offset 0x60)
 *   has its enable bit (hw/pci-host/q35.c mch_update_pciexbar); firmware sets it, mch_reset clears
 *   it, so hermetic (-S) runs enable it here.
 * - CF8/CFC (hw/pci/pci_host.c pci_data_read): the offset is masked to 8 bits, so only the first
 *   256 bytes are reachable. Fallback when ECAM is off. Racy against a running guest's own CF8
 *   latch (qemu.md 3.3); fine in hermetic mode.
 *
 * Like hardware, accesses outside the function's space read all-ones and writes are dropped.
 */
import type { BarAccess, ConfigAccess } from '../../devices/access.js';
import { KexecError } from '../errors.js';
import type { QtestClient } from './qtest.js';
import {
  PCI_BASE_ADDRESS_0, PCI_BASE_ADDRESS_MEM_TYPE_64, PCI_BASE_ADDRESS_SPACE_IO, PCI_COMMAND,
  PCI_COMMAND_MEMORY,
} from '../../devices/pci-regs.js';

export interface Bdf {
  readonly bus: number;
  readonly dev: number;
  readonly fn: number;
}

export const Q35_ECAM_BASE = 0xb0000000;
/** MCH host bridge register holding the MMCONFIG base and enable bit (hw/pci-host/q35.h MCH_HOST_BRIDGE_PCIEXBAR). */
const MCH_PCIEXBAR = 0x60;
const PCIEXBAR_EN = 1;
const HOST_BRIDGE: Bdf = { bus: 0, dev: 0, fn: 0 };
const CF8 = 0xcf8;
const CFC = 0xcfc;

export function formatBdf(b: Bdf): string {
  const h = (n: number, w: number): string => n.toString(16).padStart(w, '0');
  return `${h(b.bus, 2)}:${h(b.dev, 2)}.${b.fn}`;
}

function checkBdf(b: Bdf): void {
  const ok = Number.isInteger(b.bus) && b.bus >= 0 && b.bus < 256 && Number.isInteger(b.dev) && b.dev >= 0 && b.dev < 32 && Number.isInteger(b.fn) && b.fn >= 0 && b.fn < 8;
  if (!ok) throw new KexecError('pci-access', `invalid PCI address ${JSON.stringify(b)}: bus 0-255, device 0-31, function 0-7.`, { ...b });
}

/** The CF8 CONFIG_ADDRESS value for a dword-aligned offset below 256. */
export function cf8Address(b: Bdf, offset: number): number {
  return (0x80000000 | (b.bus << 16) | (b.dev << 11) | (b.fn << 8) | (offset & 0xfc)) >>> 0;
}

export function ecamAddress(base: number, b: Bdf, offset: number): number {
  return base + ((b.bus << 20) | (b.dev << 15) | (b.fn << 12)) + offset;
}

type Mode = { kind: 'ecam'; base: number } | { kind: 'cf8' };

const ONES = [0, 0xff, 0xffff, 0, 0xffffffff] as const;

export class QtestConfigAccess implements ConfigAccess {
  readonly size: number;

  private constructor(
    private readonly qtest: QtestClient,
    readonly bdf: Bdf,
    private readonly mode: Mode,
  ) {
    this.size = mode.kind === 'ecam' ? 4096 : 256;
  }

  /** 4 KiB extended config space through ECAM at `base` (see ecamBase / enableEcam). */
  static ecam(qtest: QtestClient, bdf: Bdf, base: number): QtestConfigAccess {
    checkBdf(bdf);
    return new QtestConfigAccess(qtest, bdf, { kind: 'ecam', base });
  }

  /** The first 256 bytes through CF8/CFC. */
  static cf8(qtest: QtestClient, bdf: Bdf): QtestConfigAccess {
    checkBdf(bdf);
    return new QtestConfigAccess(qtest, bdf, { kind: 'cf8' });
  }

  get via(): 'ecam' | 'cf8' {
    return this.mode.kind;
  }

  readb(offset: number): Promise<number> {
    return this.read(offset, 1);
  }
  readw(offset: number): Promise<number> {
    return this.read(offset, 2);
  }
  readl(offset: number): Promise<number> {
    return this.read(offset, 4);
  }
  writeb(offset: number, value: number): Promise<void> {
    return this.write(offset, 1, value);
  }
  writew(offset: number, value: number): Promise<void> {
    return this.write(offset, 2, value);
  }
  writel(offset: number, value: number): Promise<void> {
    return this.write(offset, 4, value);
  }

  /** The whole space in one go: one `b64read` over ECAM, or 64 pipelined CF8 dword reads. */
  async snapshot(): Promise<Uint8Array> {
    if (this.mode.kind === 'ecam') return this.qtest.b64read(ecamAddress(this.mode.base, this.bdf, 0), this.size);
    const dwords = await Promise.all(Array.from({ length: this.size / 4 }, (_, i) => this.read(i * 4, 4)));
    const out = new Uint8Array(this.size);
    const view = new DataView(out.buffer);
    dwords.forEach((d, i) => view.setUint32(i * 4, d, true));
    return out;
  }

  private inRange(offset: number, width: number): boolean {
    return Number.isInteger(offset) && offset >= 0 && offset + width <= this.size && offset % width === 0;
  }

  private async read(offset: number, width: 1 | 2 | 4): Promise<number> {
    if (!this.inRange(offset, width)) return ONES[width];
    if (this.mode.kind === 'ecam') {
      const a = ecamAddress(this.mode.base, this.bdf, offset);
      return width === 1 ? this.qtest.readb(a) : width === 2 ? this.qtest.readw(a) : this.qtest.readl(a);
    }
    // Both commands are queued before either reply arrives, so nothing of ours runs between them.
    void this.qtest.outl(CF8, cf8Address(this.bdf, offset)).catch(() => undefined);
    const port = CFC + (offset & 3);
    return width === 1 ? this.qtest.inb(port) : width === 2 ? this.qtest.inw(port) : this.qtest.inl(port);
  }

  private async write(offset: number, width: 1 | 2 | 4, value: number): Promise<void> {
    if (!this.inRange(offset, width)) return;
    const v = ((value >>> 0) & ONES[width]) >>> 0;
    if (this.mode.kind === 'ecam') {
      const a = ecamAddress(this.mode.base, this.bdf, offset);
      return width === 1 ? this.qtest.writeb(a, v) : width === 2 ? this.qtest.writew(a, v) : this.qtest.writel(a, v);
    }
    void this.qtest.outl(CF8, cf8Address(this.bdf, offset)).catch(() => undefined);
    const port = CFC + (offset & 3);
    return width === 1 ? this.qtest.outb(port, v) : width === 2 ? this.qtest.outw(port, v) : this.qtest.outl(port, v);
  }
}

/** The host bridge through CF8 (always reachable, even with ECAM off). */
function hostBridge(qtest: QtestClient): QtestConfigAccess {
  return QtestConfigAccess.cf8(qtest, HOST_BRIDGE);
}

/** ECAM base as firmware or the guest left it in PCIEXBAR, or null while ECAM is disabled. */
export async function ecamBase(qtest: QtestClient): Promise<number | null> {
  const mch = hostBridge(qtest);
  const [lo, hi] = await Promise.all([mch.readl(MCH_PCIEXBAR), mch.readl(MCH_PCIEXBAR + 4)]);
  if ((lo & PCIEXBAR_EN) === 0) return null;
  // hw/pci-host/q35.c mch_update_pciexbar: base bits 35:28, plus bit 27 and 26 (QEMU 7.2 keeps
  // both for 128 MiB) or bit 26 (64 MiB) depending on the length field, bits 2:1.
  const lengthField = (lo >>> 1) & 3;
  const lowMask = lengthField === 1 ? 0xfc000000 : lengthField === 2 ? 0xf4000000 : 0xf0000000;
  return (hi & 0xf) * 2 ** 32 + ((lo & lowMask) >>> 0);
}

/** Hermetic mode: enable ECAM at the q35 default base (0:0.0 0x64 = 0, 0x60 = base | EN), as firmware would. */
export async function enableEcam(qtest: QtestClient, base = Q35_ECAM_BASE): Promise<number> {
  const mch = hostBridge(qtest);
  await mch.writel(MCH_PCIEXBAR + 4, 0);
  await mch.writel(MCH_PCIEXBAR, (base | PCIEXBAR_EN) >>> 0);
  const got = await ecamBase(qtest);
  if (got !== base) throw new KexecError('pci-access', `PCIEXBAR did not take ${base.toString(16)} (reads ${got?.toString(16) ?? 'disabled'}); is this a q35 machine?`, { base });
  return base;
}

/** Memory BAR `bar` of a function: its bus address, or null if it is unassigned or an I/O BAR. */
export async function barAddress(cfg: ConfigAccess, bar: number): Promise<number | null> {
  const lo = await cfg.readl(PCI_BASE_ADDRESS_0 + 4 * bar);
  if (lo & PCI_BASE_ADDRESS_SPACE_IO) return null;
  let addr = (lo & ~0xf) >>> 0;
  if (lo & PCI_BASE_ADDRESS_MEM_TYPE_64) addr += (await cfg.readl(PCI_BASE_ADDRESS_0 + 4 * bar + 4)) * 2 ** 32;
  return addr === 0 ? null : addr;
}

/**
 * Memory-space access to a function's BARs (MSI-X table and PBA). The BAR address is read from
 * config space on every access, so a guest re-assigning BARs is followed. Memory decode must be on
 * (COMMAND.MEMORY) for QEMU to map the BAR (hw/pci/pci.c pci_bar_address).
 */
export class QtestBarAccess implements BarAccess {
  constructor(
    private readonly qtest: QtestClient,
    private readonly cfg: ConfigAccess,
  ) {}

  async readl(bar: number, offset: number): Promise<number> {
    return this.qtest.readl(await this.addr(bar, offset));
  }

  async writel(bar: number, offset: number, value: number): Promise<void> {
    await this.qtest.writel(await this.addr(bar, offset), value >>> 0);
  }

  /** `length` bytes of a BAR in one `b64read` (a whole MSI-X table or PBA). */
  async readRange(bar: number, offset: number, length: number): Promise<Uint8Array> {
    return this.qtest.b64read(await this.addr(bar, offset), length);
  }

  private async addr(bar: number, offset: number): Promise<number> {
    if (!Number.isInteger(bar) || bar < 0 || bar > 5) throw new KexecError('pci-access', `BAR index ${bar} is not 0-5.`, { bar });
    const [base, cmd] = await Promise.all([barAddress(this.cfg, bar), this.cfg.readw(PCI_COMMAND)]);
    if (base === null) throw new KexecError('pci-access', `BAR${bar} is unassigned or not a memory BAR; in hermetic mode run assignBars() first.`, { bar });
    if ((cmd & PCI_COMMAND_MEMORY) === 0) throw new KexecError('pci-access', `memory decode is off (COMMAND=${cmd.toString(16)}), so BAR${bar} is not mapped; set PCI_COMMAND_MEMORY first.`, { bar, command: cmd });
    return base + offset;
  }
}
