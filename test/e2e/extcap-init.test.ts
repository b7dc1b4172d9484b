/**
 * x-pcie-extcap-init, which every QEMU PCIe device has (hw/pci/pci.c pci_props, on by default), and
 * which `lusim fuzz --qemu` samples (sim/fuzz/qemu-sample.ts): measured in QEMU 7.2 through qtest
 * (q35 in -S mode, no guest), against the model built from the same bytes with the same property
 * (devices/profiles/qemu-7.2.ts withQemuProperties).
 *
 * hw/pci/pcie.c pcie_cap_init clears the wmask of the 0x100 header only with the property on, so a
 * function without extended capabilities (nvme without SR-IOV) reads 0 at 0x100 after any write;
 * off, pci_init_wmask's RW scratch remains there. A function whose 0x100 holds a capability (nvme
 * with SR-IOV: ARI, hw/nvme/ctrl.c nvme_init_pci) keeps that capability's header read-only either
 * way (pcie_add_capability clears the wmask of what it adds).
 */
import { describe, expect, it } from 'vitest';
import { buildFunction } from '../../devices/device.js';
import { parseBdf } from '../../devices/dump/bdf.js';
import { profileForDump } from '../../devices/profiles/index.js';
import { withQemu } from '../../kexec/qemu/launcher.js';
import { preparePci } from '../../kexec/qemu/pci-topology.js';
import { parseTopology } from '../../kexec/topology/qemu-device.js';

/** 0x100 after writing all-ones there, in QEMU and in the model of the function QEMU started with `props`. */
async function header100AfterWrite(props: Record<string, string>): Promise<{ qemu: number; model: number; profile: string }> {
  // Through the topology parser, so an SR-IOV nvme gets its NVM subsystem as in a real run.
  const nvme = ['nvme,id=dev,bus=rp0', ...Object.entries(props).map(([k, v]) => `${k}=${v}`)].join(',');
  const { devices } = parseTopology(['pcie-root-port,id=rp0', nvme]);
  return withQemu({ devices: [...devices] }, async (q) => {
    const cfg = (await preparePci(q)).config('dev');
    const dump = { bdf: parseBdf('01:00.0'), bytes: await cfg.snapshot() };
    const fn = buildFunction(dump, profileForDump(dump, 'auto', props));
    await cfg.writel(0x100, 0xffffffff);
    fn.space.write(0x100, 4, 0xffffffff);
    return { qemu: await cfg.readl(0x100), model: fn.space.read(0x100, 4), profile: fn.profile.name };
  }, 60_000);
}

describe('x-pcie-extcap-init: the 0x100 header, model vs QEMU 7.2 (qtest, hermetic q35)', () => {
  it('on (the default): an unclaimed 0x100 header stays read-only zero', async () => {
    const r = await header100AfterWrite({});
    expect(r).toMatchObject({ qemu: 0, model: 0, profile: 'qemu-7.2-nvme' });
  }, 30_000);

  it('off: an unclaimed 0x100 header is writable scratch', async () => {
    const r = await header100AfterWrite({ 'x-pcie-extcap-init': 'off' });
    expect(r).toMatchObject({ qemu: 0xffffffff, model: 0xffffffff, profile: 'qemu-7.2-nvme,x-pcie-extcap-init=off' });
  }, 30_000);

  it('off, with a capability at 0x100 (SR-IOV nvme: ARI): the capability\'s header stays as it is', async () => {
    const r = await header100AfterWrite({ 'x-pcie-extcap-init': 'off', msix_qsize: '3', sriov_max_vfs: '2', sriov_vq_flexible: '4', sriov_vi_flexible: '2' });
    expect(r.qemu).toBe(r.model);
    expect(r.qemu & 0xffff).toBe(0x000e);
  }, 30_000);
});
