/**
 * QEMU 7.2's config-space write side effects, as ConfigSpace write hooks that the QEMU profiles
 * install (DeviceProfile.writeHooks, devices/device.ts buildFunction). Each mirrors a step QEMU
 * runs after the masked store, in QEMU's order (hooks run in the order given):
 *  - 'msi': msi.c msi_write_config (pci_default_write_config, every device with MSI): with MSI
 *    enabled, a write anywhere in the capability clamps Multiple Message Enable (QSIZE) to
 *    Multiple Message Capable (QMASK). The spec leaves QSIZE > QMASK undefined.
 *  - 'ioh3420-aer-vector': pcie_root_port.c rp_write_config -> rp_aer_vector_update ->
 *    ioh3420.c ioh3420_aer_vector after every write: PCI_ERR_ROOT_STATUS bits 31:27 (Advanced
 *    Error Interrupt Message Number) = 0 with one MSI vector allocated, 1 with two
 *    (pcie_aer.c pcie_aer_root_set_vector). pcie-root-port's gen_rp_aer_vector is always 0, which
 *    the bytes already hold, so it needs no hook.
 *  - 'slot': pcie.c pcie_cap_slot_write_config (rp_write_config, xio3130_downstream_write_config):
 *    a SLTSTA write with 1s for event bits that were not set restores every event bit (QEMU's
 *    work-around for guests that clear everything at init); a SLTCTL write clears EIC and toggles
 *    SLTSTA.EIS when EIC was written as 1, and sets SLTSTA.CC (pcie_cap_slot_event
 *    PCI_EXP_HP_EV_CCI: the command completes at once).
 *  - 'sriov': pcie_sriov.c pcie_sriov_config_write (the nvme's config write): a write covering
 *    PCI_SRIOV_CTRL's low byte with VF Enable clear, while VFs are registered, runs unregister_vfs,
 *    which sets PCI_SRIOV_NUM_VF to 0 (QEMU 7.2; QEMU 9.0 dropped that store, "I couldn't find such
 *    a behavior specified"). QEMU counts VFs registered when VF Enable was set with NumVFs between
 *    1 and TotalVFs (register_vfs); the bytes say so: VF Enable set before the write, NumVFs in range.
 * Not modelled: interrupts these raise (msi_notify, hotplug_event_notify), and the hot-unplug a
 * SLTCTL write can request (pcie_cap_slot_do_unplug).
 */
import type { ConfigSpace, WriteEvent, WriteHook } from '../config-space.js';
import type { PlacedCapability, WalkResult } from '../walker.js';
import {
  PCI_CAP_ID_EXP, PCI_CAP_ID_MSI, PCI_ERR_ROOT_AER_IRQ, PCI_ERR_ROOT_STATUS, PCI_EXP_SLTCTL,
  PCI_EXP_SLTCTL_EIC, PCI_EXP_SLTSTA, PCI_EXP_SLTSTA_CC, PCI_EXP_SLTSTA_EIS, PCI_EXT_CAP_ID_ERR,
  PCI_MSI_FLAGS, PCI_MSI_FLAGS_ENABLE, PCI_MSI_FLAGS_QMASK, PCI_MSI_FLAGS_QSIZE,
  PCI_EXT_CAP_ID_SRIOV, PCI_SRIOV_CTRL, PCI_SRIOV_CTRL_VFE, PCI_SRIOV_NUM_VF, PCI_SRIOV_TOTAL_VF,
} from '../pci-regs.js';

export type QemuWriteEffect = 'msi' | 'ioh3420-aer-vector' | 'slot' | 'sriov';

/** A root port's PCIERootPortClass.aer_vector (pcie_root_port.c rp_aer_vector_update). */
export type QemuAerVector = 'gen_rp_aer_vector' | 'ioh3420_aer_vector';

/** pcie.c PCIE_SLOT_EVENTS: ABP | PFD | MRLSC | PDC | CC. */
const PCIE_SLOT_EVENTS = 0x0001 | 0x0002 | 0x0004 | 0x0008 | PCI_EXP_SLTSTA_CC;

/** msi.c msi_nr_vectors_allocated: 1 << QSIZE. */
export function msiVectorsAllocated(msiFlags: number): number {
  return 1 << ((msiFlags & PCI_MSI_FLAGS_QSIZE) >> 4);
}

/**
 * The vector rp_aer_vector_update writes, from the MSI flags. undefined where QEMU aborts
 * (ioh3420_aer_vector with 4 or more vectors allocated: a state msi_write_config's clamp to the
 * ioh3420's 2 vectors prevents while MSI is enabled).
 */
export function aerVectorFor(which: QemuAerVector, msiFlags: number): number | undefined {
  if (which === 'gen_rp_aer_vector') return 0;
  const n = msiVectorsAllocated(msiFlags);
  return n === 1 ? 0 : n === 2 ? 1 : undefined;
}

const find = (walk: WalkResult, id: number, extended: boolean): PlacedCapability | undefined =>
  walk.capabilities.find((c) => c.id === id && c.extended === extended && !c.overlaps);

/** A register's value before the write: written bytes from the event, the others as they are. */
function before(space: ConfigSpace, ev: WriteEvent, offset: number, width: 2 | 4): number {
  let v = 0;
  for (let i = width - 1; i >= 0; i--) {
    const at = offset + i;
    const b = at >= ev.offset && at < ev.offset + ev.width ? Math.floor(ev.before / 2 ** (8 * (at - ev.offset))) & 0xff : space.bytes[at];
    v = v * 256 + b;
  }
  return v;
}

function msiHook(msi: PlacedCapability): WriteHook {
  return {
    name: 'qemu-7.2 msi_write_config',
    start: msi.offset,
    end: msi.offset + msi.size,
    onWrite: (space) => {
      const at = msi.offset + PCI_MSI_FLAGS;
      const flags = space.read(at, 2);
      if (!(flags & PCI_MSI_FLAGS_ENABLE)) return;
      const logMax = (flags & PCI_MSI_FLAGS_QMASK) >> 1;
      if ((flags & PCI_MSI_FLAGS_QSIZE) >> 4 > logMax) space.poke(at, 2, (flags & ~PCI_MSI_FLAGS_QSIZE) | (logMax << 4));
    },
  };
}

function aerVectorHook(aer: PlacedCapability, msi: PlacedCapability | undefined, size: number): WriteHook {
  return {
    name: 'qemu-7.2 rp_aer_vector_update (ioh3420_aer_vector)',
    start: 0,
    end: size,
    onWrite: (space) => {
      const vector = aerVectorFor('ioh3420_aer_vector', msi ? space.read(msi.offset + PCI_MSI_FLAGS, 2) : 0);
      if (vector === undefined) return;
      const at = aer.offset + PCI_ERR_ROOT_STATUS;
      space.poke(at, 4, ((space.read(at, 4) & ~PCI_ERR_ROOT_AER_IRQ) | (vector << 27)) >>> 0);
    },
  };
}

function slotHook(exp: PlacedCapability): WriteHook {
  const ctl = exp.offset + PCI_EXP_SLTCTL;
  const sta = exp.offset + PCI_EXP_SLTSTA;
  const overlaps = (ev: WriteEvent, at: number) => ev.offset < at + 2 && at < ev.offset + ev.width;
  return {
    name: 'qemu-7.2 pcie_cap_slot_write_config',
    start: ctl,
    end: sta + 2,
    onWrite: (space, ev) => {
      let sltsta = space.read(sta, 2);
      if (overlaps(ev, sta)) {
        // QEMU tests the raw written value against the old status, whatever the access offset.
        const old = before(space, ev, sta, 2);
        if (ev.written & ~old & PCIE_SLOT_EVENTS) {
          sltsta = (sltsta & ~PCIE_SLOT_EVENTS) | (old & PCIE_SLOT_EVENTS);
          space.poke(sta, 2, sltsta);
        }
      }
      if (!overlaps(ev, ctl)) return;
      const sltctl = space.read(ctl, 2);
      if (sltctl & PCI_EXP_SLTCTL_EIC) {
        space.poke(ctl, 2, sltctl & ~PCI_EXP_SLTCTL_EIC);
        sltsta ^= PCI_EXP_SLTSTA_EIS;
      }
      space.poke(sta, 2, sltsta | PCI_EXP_SLTSTA_CC);
    },
  };
}

function sriovHook(sriov: PlacedCapability): WriteHook {
  const ctrl = sriov.offset + PCI_SRIOV_CTRL;
  const numVf = sriov.offset + PCI_SRIOV_NUM_VF;
  return {
    name: 'qemu-7.2 pcie_sriov_config_write',
    start: ctrl,
    end: ctrl + 1,
    onWrite: (space, ev) => {
      if (space.read(ctrl, 1) & PCI_SRIOV_CTRL_VFE) return;
      const n = space.read(numVf, 2);
      const registered = (before(space, ev, ctrl, 2) & PCI_SRIOV_CTRL_VFE) !== 0 && n >= 1 && n <= space.read(sriov.offset + PCI_SRIOV_TOTAL_VF, 2);
      if (registered) space.poke(numVf, 2, 0);
    },
  };
}

/** The hooks for `effects` on a function with these capabilities (effects it lacks are skipped). */
export function qemuWriteHooks(effects: readonly QemuWriteEffect[], walk: WalkResult, size: number): WriteHook[] {
  const msi = find(walk, PCI_CAP_ID_MSI, false);
  const exp = find(walk, PCI_CAP_ID_EXP, false);
  const aer = find(walk, PCI_EXT_CAP_ID_ERR, true);
  const sriov = find(walk, PCI_EXT_CAP_ID_SRIOV, true);
  const hooks: WriteHook[] = [];
  for (const e of effects) {
    if (e === 'msi' && msi) hooks.push(msiHook(msi));
    if (e === 'ioh3420-aer-vector' && aer) hooks.push(aerVectorHook(aer, msi, size));
    if (e === 'slot' && exp) hooks.push(slotHook(exp));
    if (e === 'sriov' && sriov) hooks.push(sriovHook(sriov));
  }
  return hooks;
}
