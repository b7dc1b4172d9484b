/**
 * Reset differential against real QEMU 7.2 (issue 3, "Evidence"): each fixture device is put into a
 * non-reset state, then reset three ways through qtest/QMP, and the model's after-state (the
 * fixture's 'qemu-7.2' profile, devices/reset/apply.ts applyReset) must equal QEMU's byte for byte:
 *  - FLR: DEVCTL.BCR_FLR written as 1 (pcie.c pcie_cap_flr_write_config; a no-op where DEVCAP.FLR=0);
 *  - system reset: QMP system_reset (runstate.c qemu_system_reset -> qemu_devices_reset), then the
 *    hermetic bring-up again, because mch_reset clears PCIEXBAR and pci_bridge_reset the bus
 *    numbers (qemu.md 3.4); the bring-up's bus-number writes are mirrored in the model;
 *  - secondary bus reset: BRIDGE_CONTROL.BUS_RESET set then cleared on the parent port
 *    (pci_bridge.c pci_bridge_write_config: qbus_reset_all on the 0->1 edge).
 *
 * Non-reset state: every register the model declares is written all-ones through qtest and the
 * model (minus BCR_FLR, BUS_RESET and the virtio PCI_CFG data window, as in differential.test.ts),
 * plus two scratch bytes; then the model is re-synchronised to QEMU's bytes, so the comparison
 * judges the reset alone (write-attribute differences are differential.test.ts's business).
 * Every after-state difference must match a named exception below (docs/qemu-differences.md
 * section 2); an exception no longer observed fails too.
 */
import { describe, expect, it } from 'vitest';
import type { Width } from '../../devices/access.js';
import { applyReset, type ResetKind } from '../../devices/reset/apply.js';
import { FIXTURE_TOPOLOGIES, type FixtureRig, type FixtureTopology, hex, withFixture } from './helpers/qemu-fixture.js';
import {
  PCI_BRIDGE_CONTROL, PCI_BRIDGE_CTL_BUS_RESET, PCI_CAP_ID_EXP, PCI_EXP_DEVCTL, PCI_EXP_DEVCTL_BCR_FLR,
  PCI_HEADER_TYPE, PCI_PRIMARY_BUS,
} from '../../devices/pci-regs.js';

const VIRTIO_PCI_CFG_DATA = 16;

type Trigger = 'flr' | 'system_reset' | 'bus';
const MODEL_KIND: Record<Trigger, ResetKind> = { flr: 'flr', system_reset: 'cold', bus: 'bus' };

interface ResetDiff {
  readonly fixture: string;
  readonly trigger: Trigger;
  readonly offset: number;
  readonly at: string | undefined;
  /** Before the reset (QEMU == model then). */
  readonly before: number;
  readonly qemu: number;
  readonly model: number;
}

const ones = (w: Width): number => (w === 4 ? 0xffffffff : (1 << (8 * w)) - 1);

async function writeBoth(rig: FixtureRig, offset: number, width: Width, value: number): Promise<void> {
  if (width === 1) await rig.cfg.writeb(offset, value);
  else if (width === 2) await rig.cfg.writew(offset, value);
  else await rig.cfg.writel(offset, value);
  rig.fn.space.write(offset, width, value);
}

function virtioCfgData(rig: FixtureRig): number[] {
  const isVirtio = rig.fixture[0] === 0xf4 && rig.fixture[1] === 0x1a;
  return isVirtio ? rig.fn.walk.capabilities.filter((c) => c.key === 'vndr' && rig.fixture[c.offset + 3] === 5).map((c) => c.offset + VIRTIO_PCI_CFG_DATA) : [];
}

/** Drive every declared register (and two scratch bytes) away from its reset value; return QEMU's bytes. */
async function dirty(rig: FixtureRig): Promise<Uint8Array> {
  const cfgData = virtioCfgData(rig);
  const regs = [...rig.fn.space.layout.registers].sort((a, b) => a.offset - b.offset);
  for (const reg of regs) {
    if (cfgData.includes(reg.offset)) continue;
    const avoid = reg.name === 'PCI_EXP_DEVCTL' ? PCI_EXP_DEVCTL_BCR_FLR : reg.name === 'PCI_BRIDGE_CONTROL' ? PCI_BRIDGE_CTL_BUS_RESET : 0;
    await writeBoth(rig, reg.offset, reg.width, (ones(reg.width) & ~avoid) >>> 0);
  }
  const claimed = rig.fn.space.layout.masks.claimed;
  const scratch = [0x40, 0x104, 0x800, 0xffc].map((from) => claimed.findIndex((c, i) => i >= from && c === 0)).filter((o) => o >= 0).slice(0, 2);
  for (const o of scratch) await writeBoth(rig, o, 1, 0x5a);
  const real = await rig.cfg.snapshot();
  rig.fn.space.bytes.set(real);
  return real;
}

function expOffset(rig: FixtureRig): number | undefined {
  return rig.fn.walk.capabilities.find((c) => !c.extended && c.id === PCI_CAP_ID_EXP)?.offset;
}

async function trigger(rig: FixtureRig, t: Trigger): Promise<void> {
  if (t === 'flr') {
    const exp = expOffset(rig);
    if (exp === undefined) throw new Error(`${rig.topology.name} has no PCIe capability`);
    await rig.cfg.writew(exp + PCI_EXP_DEVCTL, (await rig.cfg.readw(exp + PCI_EXP_DEVCTL)) | PCI_EXP_DEVCTL_BCR_FLR);
  } else if (t === 'bus') {
    const parent = rig.pci.config(rig.topology.parent!);
    const ctl = await parent.readw(PCI_BRIDGE_CONTROL);
    await parent.writew(PCI_BRIDGE_CONTROL, ctl | PCI_BRIDGE_CTL_BUS_RESET);
    await parent.writew(PCI_BRIDGE_CONTROL, ctl & ~PCI_BRIDGE_CTL_BUS_RESET);
  } else {
    const since = rig.q.qmp.eventCursor();
    await rig.q.qmp.execute('system_reset');
    await rig.q.qmp.waitForEvent('RESET', { since, timeoutMs: 10_000 });
    await rig.bringUp();
  }
}

interface Round {
  readonly diffs: ResetDiff[];
  /** Bytes QEMU's reset changed (the reset really happened). */
  readonly changed: number;
}

async function resetRound(rig: FixtureRig, t: Trigger): Promise<Round> {
  const before = await dirty(rig);
  await trigger(rig, t);
  // Every port the fixtures reset has a device at devfn 0 below it (pcie.c pcie_cap_slot_reset).
  applyReset(rig.fn, MODEL_KIND[t], { personality: 'qemu-7.2', slotPopulated: true });
  if (t === 'system_reset' && (rig.fixture[PCI_HEADER_TYPE] & 0x7f) === 1) {
    // The bring-up numbered the bridges again (pci-topology.ts numberBridges): mirror that write
    // (through the model's write path, so the profile's write hooks run as QEMU's config_write does).
    rig.fn.space.write(PCI_PRIMARY_BUS, 4, await rig.cfg.readl(PCI_PRIMARY_BUS));
  }
  const real = await rig.cfg.snapshot();
  const blind = virtioCfgData(rig);
  const out: ResetDiff[] = [];
  const changed = real.filter((b, i) => b !== before[i]).length;
  for (let i = 0; i < real.length; i++) {
    if (blind.some((o) => i >= o && i < o + 4) || real[i] === rig.fn.space.bytes[i]) continue;
    out.push({ fixture: rig.topology.name, trigger: t, offset: i, at: rig.fn.space.layout.registerAt[i]?.name, before: before[i], qemu: real[i], model: rig.fn.space.bytes[i] });
  }
  return { diffs: out, changed };
}

/** DEVCAP.FLR: QEMU performs an FLR only where pcie_cap_flr_init set it. */
function hasFlr(rig: FixtureRig): boolean {
  const exp = expOffset(rig);
  return exp !== undefined && (rig.fixture[exp + 7] & 0x10) !== 0;
}

interface Exception {
  readonly name: string;
  /** The fixtures it applies to, each with the resets that show it. */
  readonly cases: readonly (readonly [fixture: string, triggers: readonly Trigger[]])[];
  readonly matches: (d: ResetDiff) => boolean;
  readonly why: string;
}

/**
 * The named exceptions (docs/qemu-differences.md section 2). None left: the xio3130 reset handlers
 * and rp_aer_vector_update are modelled (devices/reset/qemu.ts), and the bring-up's write to the
 * ioh3420 after system_reset recomputes PCI_ERR_ROOT_AER_IRQ in the model as in QEMU
 * (rp_write_config -> rp_aer_vector_update: the ioh3420 profile's write hook).
 */
const EXCEPTIONS: readonly Exception[] = [];

function describeDiff(d: ResetDiff): string {
  return `${d.fixture} ${d.trigger}: byte ${hex(d.offset, 3)} (${d.at ?? 'unclaimed'}) before ${hex(d.before)} QEMU ${hex(d.qemu)} model ${hex(d.model)}`;
}

function triggersFor(t: FixtureTopology): Trigger[] {
  return t.parent === undefined ? ['flr', 'system_reset'] : ['flr', 'bus', 'system_reset'];
}

const observed: ResetDiff[] = [];
let rounds = 0;

describe('reset after-states: model (qemu-7.2 personality) vs QEMU 7.2', () => {
  it.each(FIXTURE_TOPOLOGIES.map((t) => [t.name, t] as const))('%s: FLR, secondary bus reset and system_reset leave the bytes the model predicts', async (name, topology) => {
    const diffs = await withFixture(topology, async (rig) => {
      const all: ResetDiff[] = [];
      for (const t of triggersFor(topology)) {
        const round = await resetRound(rig, t);
        all.push(...round.diffs);
        rounds++;
        // A reset that changed nothing in QEMU would make the comparison vacuous (FLR is a no-op by design without DEVCAP.FLR).
        if (t !== 'flr' || hasFlr(rig)) expect(round.changed, `${name} ${t} changed no byte in QEMU`).toBeGreaterThan(0);
        else expect(round.changed, `${name}: BCR_FLR without DEVCAP.FLR must do nothing`).toBe(0);
      }
      return all;
    });
    observed.push(...diffs);
    const unexplained = diffs.filter((d) => !EXCEPTIONS.some((e) => e.cases.some(([f, ts]) => f === name && ts.includes(d.trigger)) && e.matches(d)));
    expect(unexplained.map(describeDiff), 'after-state differences no exception explains: fix devices/reset/qemu.ts or name an exception').toEqual([]);
  }, 30_000);

  it('every exception is still observed', () => {
    expect(rounds).toBe(FIXTURE_TOPOLOGIES.reduce((n, t) => n + triggersFor(t).length, 0));
    const stale = EXCEPTIONS.flatMap((e) => e.cases.flatMap(([f, ts]) => ts.filter((t) => !observed.some((d) => d.fixture === f && d.trigger === t && e.matches(d))).map((t) => `${e.name} on ${f} (${t})`)));
    expect(stale, 'exceptions no longer observed: remove them (and their docs/qemu-differences.md entry)').toEqual([]);
  });
});
