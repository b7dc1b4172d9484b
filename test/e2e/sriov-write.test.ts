/**
 * QEMU 7.2's SR-IOV write side effect (devices/profiles/qemu-7.2-writes.ts 'sriov'), measured
 * through qtest (q35 in -S mode, no guest) on an SR-IOV nvme, against the model built from the
 * same bytes: hw/pci/pcie_sriov.c pcie_sriov_config_write -> unregister_vfs sets NumVFs to 0 when
 * VF Enable is cleared with VFs registered. A real kexec showed it first: kernel A enabled 2 VFs
 * (`guest-vfs=2`), and after kernel B's sriov_init cleared VF Enable, NumVFs read 0.
 */
import { describe, expect, it } from 'vitest';
import { buildFunction } from '../../devices/device.js';
import { parseBdf } from '../../devices/dump/bdf.js';
import { profileForDump } from '../../devices/profiles/index.js';
import { PCI_EXT_CAP_ID_SRIOV, PCI_SRIOV_CTRL, PCI_SRIOV_CTRL_VFE, PCI_SRIOV_NUM_VF } from '../../devices/pci-regs.js';
import { withQemu } from '../../kexec/qemu/launcher.js';
import { preparePci } from '../../kexec/qemu/pci-topology.js';
import { parseTopology } from '../../kexec/topology/qemu-device.js';

const NVME = 'nvme,id=dev,bus=rp0,msix_qsize=4,sriov_max_vfs=2,sriov_vq_flexible=4,sriov_vi_flexible=2';

describe('SR-IOV writes: model vs QEMU 7.2 (qtest, hermetic q35)', () => {
  it('clearing VF Enable with VFs registered zeroes NumVFs (unregister_vfs); with none registered it does not', async () => {
    const { devices } = parseTopology(['pcie-root-port,id=rp0', NVME]);
    const seen = await withQemu({ devices: [...devices] }, async (q) => {
      const cfg = (await preparePci(q)).config('dev');
      const dump = { bdf: parseBdf('01:00.0'), bytes: await cfg.snapshot() };
      const fn = buildFunction(dump, profileForDump(dump, 'auto'));
      const pos = fn.walk.capabilities.find((c) => c.extended && c.id === PCI_EXT_CAP_ID_SRIOV)!.offset;
      const out: { step: string; qemu: number; model: number }[] = [];
      const write = async (step: string, reg: number, v: number) => {
        await cfg.writew(pos + reg, v);
        fn.space.write(pos + reg, 2, v);
        out.push({ step, qemu: await cfg.readw(pos + PCI_SRIOV_NUM_VF), model: fn.space.read(pos + PCI_SRIOV_NUM_VF, 2) });
      };
      await write('NumVFs 2', PCI_SRIOV_NUM_VF, 2);
      await write('VF Enable', PCI_SRIOV_CTRL, PCI_SRIOV_CTRL_VFE);
      await write('VF Enable cleared', PCI_SRIOV_CTRL, 0);
      await write('NumVFs 2 again', PCI_SRIOV_NUM_VF, 2);
      await write('CTRL 0 with no VFs registered', PCI_SRIOV_CTRL, 0);
      return out;
    }, 60_000);
    expect(seen).toEqual([
      { step: 'NumVFs 2', qemu: 2, model: 2 },
      { step: 'VF Enable', qemu: 2, model: 2 },
      { step: 'VF Enable cleared', qemu: 0, model: 0 },
      { step: 'NumVFs 2 again', qemu: 2, model: 2 },
      { step: 'CTRL 0 with no VFs registered', qemu: 2, model: 2 },
    ]);
  }, 30_000);
});
