/**
 * iov.c sriov_init and sriov_restore_state (sim/linux/iov.ts, restore.ts): the VF BARs. Read in
 * 6.1-rc7 and 7.1.3: sriov_init reads each VF BAR into dev->resource[PCI_IOV_RESOURCES + i];
 * sriov_restore_state writes ARI, then every VF BAR from its resource (pci_iov_update_resource:
 * region.start | the type bits, the upper half of a 64-bit BAR after it), then SYS_PGSIZE, NumVFs
 * and SRIOV_CTRL. So VF BARs a reset cleared after kernel B's enumeration come back.
 */
import { describe, expect, it } from 'vitest';
import { pciIovInit } from '../../../sim/linux/iov.js';
import { KEXEC_VERSION_DATA } from '../../../sim/kexec-sim/index.js';
import type { KernelProfileId } from '../../../sim/linux/profile.js';
import { kernelProfile } from '../../../sim/linux/profiles.js';
import { pciSaveState } from '../../../sim/linux/save.js';
import { pciRestoreState } from '../../../sim/linux/restore.js';
import { PCI_EXP_TYPE_ENDPOINT, PCI_EXP_TYPE_ROOT_PORT, PCI_EXT_CAP_ID_SRIOV, PCI_EXT_CAP_ID_VF_REBAR } from '../../../devices/pci-regs.js';
import { buildSynthetic } from './helpers/synthetic.js';
import { enumerate } from './helpers/enumerate.js';

const SRIOV = 0x100;
const BAR = (i: number) => SRIOV + 0x24 + 4 * i;
const VF_REBAR = 0x200;

/** TotalVFs 4, First VF Offset and VF Stride 1, supported page sizes 4K; VF BAR0 32-bit at 0xd2840000, BAR2/3 64-bit prefetchable at 0x1_2000000c, BAR4 unassigned (0). */
const pf = (vfRebar = false, vfOffset = 1) => buildSynthetic({
  pcie: { type: PCI_EXP_TYPE_ENDPOINT },
  ext: [{ id: PCI_EXT_CAP_ID_SRIOV, at: SRIOV }, ...(vfRebar ? [{ id: PCI_EXT_CAP_ID_VF_REBAR, at: VF_REBAR }] : [])],
  size: 4096,
  init: [
    [SRIOV + 0x0e, 2, 4], [SRIOV + 0x14, 2, vfOffset], [SRIOV + 0x16, 2, 1], [SRIOV + 0x1c, 4, 0x553], [BAR(0), 4, 0xd2840000], [BAR(2), 4, 0x2000000c], [BAR(3), 4, 0x1], [BAR(4), 4, 0],
    // One VF Resizable BAR entry for VF BAR 2 (NBAR 1), BAR_SIZE 3: 8 MB per VF.
    ...(vfRebar ? [[VF_REBAR + 0x04, 4, 0x000000f0], [VF_REBAR + 0x08, 4, 0x00000322]] as const : []),
  ],
});

describe('sriov_init\'s writes (iov.c, Debian 7.3.4 read; QEMU\'s trace of 7.2.13 in test/e2e/sriov-nvme.test.ts)', () => {
  const writes = async (k: string, vfOffset = 1) => {
    const s = pf(false, vfOffset);
    s.space.poke(0x04, 2, 0x0006); // memory decode and bus master on, as a preserved PF is at kernel B's enumeration
    const dev = await enumerate(kernelProfile(k), s.access);
    const from = dev.log.writes.length;
    await pciIovInit(dev, KEXEC_VERSION_DATA[k as KernelProfileId].barSizing);
    return { dev, writes: dev.log.writes.slice(from).map((e) => `${(e.offset - (e.offset >= SRIOV ? SRIOV : 0)).toString(16)}=${e.value.toString(16)}`) };
  };
  const NUMVFS = ['10=4', '10=3', '10=2', '10=1', '10=0']; // compute_max_vf_buses: TotalVFs down to 1, then 0
  it('7.1 (batched sizing, v6.15+): CTRL, SYS_PGSIZE, the six VF BARs sized without a decode toggle, then NumVFs', async () => {
    const bars = [0xd2840000, 0, 0x2000000c, 0x1, 0, 0].flatMap((v, i) => [`${(0x24 + 4 * i).toString(16)}=ffffffff`, `${(0x24 + 4 * i).toString(16)}=${v.toString(16)}`]);
    expect((await writes('7.1')).writes).toEqual(['8=0', '20=1', ...bars, ...NUMVFS]);
  });
  it('6.1 (per BAR, __pci_read_base): the same around each VF BAR with COMMAND decode off and on; the 64-bit BAR2 sized with its upper half', async () => {
    const { writes: w } = await writes('6.1');
    expect(w.slice(0, 2)).toEqual(['8=0', '20=1']);
    expect(w.slice(-5)).toEqual(NUMVFS);
    // BAR0 (32-bit), BAR1, BAR2 with BAR3 (64-bit), BAR4, BAR5: five decode toggles around them.
    expect(w.filter((x) => x.startsWith('4=')).length).toBe(10);
    expect(w.filter((x) => x.endsWith('=ffffffff')).length).toBe(6);
  });
  it('a First VF Offset of 0 fails compute_max_vf_buses (-EIO): NumVFs back to 0, no dev->sriov', async () => {
    const { dev, writes: w } = await writes('7.1', 0);
    expect(w.slice(-2)).toEqual(['10=4', '10=0']);
    expect(dev.kernel.sriov).toBeUndefined();
  });
});

describe('ARI Capable Hierarchy (iov.c sriov_init: pci_ari_enabled, and only for the first PF on the bus)', () => {
  // A Root Port above with ARI Forwarding Enable set (DEVCTL2 bit 5 at its PCIe capability + 0x28).
  const port = () => buildSynthetic({ headerType: 1, pcie: { type: PCI_EXP_TYPE_ROOT_PORT }, size: 4096, init: [[0x40 + 0x28, 2, 0x0020]] });
  const ctrlAfter = async (physfnBefore: boolean, withPort = true) => {
    const s = pf();
    const parent = withPort ? await enumerate(kernelProfile('7.1'), port().access, { name: 'parent' }) : undefined;
    const dev = await enumerate(kernelProfile('7.1'), s.access, parent ? { parent } : {});
    await pciIovInit(dev, 'batched', physfnBefore);
    return [s.space.read(SRIOV + 0x08, 2), dev.kernel.sriov?.ctrl];
  };
  it('the first PF below a port forwarding ARI gets it; a PF after another on the bus (physfnBefore) does not; without the port, none', async () => {
    expect(await ctrlAfter(false)).toEqual([0x10, 0x10]);
    expect(await ctrlAfter(true)).toEqual([0, 0]);
    expect(await ctrlAfter(false, false)).toEqual([0, 0]);
  });
});

describe('VF BARs across a reset in kernel B', () => {
  for (const k of ['6.1', '7.1']) {
    it(`${k}: sriov_init records them; sriov_restore_state writes BAR0, then BAR2 and its upper half; the unassigned BAR4 is left alone`, async () => {
      const s = pf();
      const dev = await enumerate(kernelProfile(k), s.access);
      await pciIovInit(dev, KEXEC_VERSION_DATA[k as KernelProfileId].barSizing);
      expect(dev.kernel.sriov?.vfBars).toEqual([{ bar: 0, lo: 0xd2840000 }, { bar: 2, lo: 0x2000000c, hi: 0x1 }]);
      expect(await pciSaveState(kernelProfile(k), dev)).toBe(0);
      for (let i = 0; i < 6; i++) s.space.poke(BAR(i), 4, 0); // a PF FLR clears the SR-IOV capability's BARs
      const log = await pciRestoreState(kernelProfile(k), dev);
      expect([0, 2, 3, 4].map((i) => s.space.read(BAR(i), 4))).toEqual([0xd2840000, 0x2000000c, 0x1, 0]);
      const iov = log.filter((e) => e.fn === 'pci_restore_iov_state').map((e) => e.offset - SRIOV);
      // ARI (SRIOV_CTRL) first, the BARs, then SYS_PGSIZE, NumVFs, SRIOV_CTRL.
      expect(iov).toEqual([0x08, 0x24, 0x2c, 0x30, 0x20, 0x10, 0x08]);
    });
  }
});

describe('VF Resizable BAR (iov.c sriov_restore_vf_rebar_state, v6.19 and 7.1.3; not in v6.12 or 6.1)', () => {
  const run = async (k: string) => {
    const s = pf(true);
    const dev = await enumerate(kernelProfile(k), s.access);
    await pciIovInit(dev, KEXEC_VERSION_DATA[k as KernelProfileId].barSizing);
    expect(dev.kernel.sriov?.vfRebarSizes[2]).toBe(8 << 20);
    await pciSaveState(kernelProfile(k), dev);
    s.space.poke(VF_REBAR + 0x08, 4, 0x00000022); // a reset put BAR_SIZE back to 1 MB
    await pciRestoreState(kernelProfile(k), dev);
    return s.space.read(VF_REBAR + 0x08, 4);
  };
  it('6.19 and 7.1 write BAR_SIZE back from the VF BAR size sriov_init found (8 MB: 3)', async () => {
    expect(await run('6.19')).toBe(0x00000322);
    expect(await run('7.1')).toBe(0x00000322);
  });
  it('6.12 and 6.1 leave it at the reset value', async () => {
    expect(await run('6.12')).toBe(0x00000022);
    expect(await run('6.1')).toBe(0x00000022);
  });
});
