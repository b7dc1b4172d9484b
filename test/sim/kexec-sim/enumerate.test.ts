/** kernelEnumerate: probe.c pci_configure_device + pci_init_capabilities, per kernel version. */
import { describe, expect, it } from 'vitest';
import { KEXEC_VERSION_DATA, kernelEnumerate } from '../../../sim/kexec-sim/index.js';
import { qemuFixture, SYN, steps, syntheticEndpoint } from './helpers.js';
import { PCI_ERR_COR_STATUS, PCI_ERR_UNCOR_STATUS, PCI_MSI_FLAGS, PCI_PM_CTRL } from '../../../devices/pci-regs.js';

const DEVCTL = SYN.PCIE + 0x08;
const DEVCTL2 = SYN.PCIE + 0x28;
const LNKCTL = SYN.PCIE + 0x10;

describe('kernelEnumerate (probe.c pci_device_add)', () => {
  it('pci_read_bridge_windows on a bridge: the 64-bit prefetchable upper base all-ones and back; unprogrammed I/O and prefetchable bases probed and put back to 0', async () => {
    const windows = async (edit?: (b: Uint8Array) => void) => (await kernelEnumerate((await qemuFixture('pcie-root-port', edit)).fa, '7.1')).writes
      .filter((w) => w.fn === 'pci_read_bridge_windows').map((w) => `${w.offset.toString(16)}=${w.value.toString(16)}`);
    // As kernel A left a q35 port: windows programmed, the prefetchable one 64-bit.
    expect(await windows((b) => { b[0x1c] = 0x10; b[0x1d] = 0x10; b.set([0xf1, 0xff, 0x01, 0x00], 0x24); })).toEqual(['28=ffffffff', '28=0']);
    // I/O Base and Prefetchable Memory Base 0, the type bits of a 32-bit window: both probed and
    // put back, and no upper base to probe.
    expect(await windows((b) => { b.fill(0, 0x1c, 0x1e); b.fill(0, 0x24, 0x2c); })).toEqual(['1c=e0f0', '1c=0', '24=ffe0fff0', '24=0']);
  });

  it('pci_configure_mps: MPS 256 under a 128-byte upstream port is lowered to 128', async () => {
    const m = await syntheticEndpoint();
    const log = await kernelEnumerate(m.fa, '6.12');
    expect(log.writes.find((w) => w.fn === 'pci_configure_mps')).toBeDefined();
    expect((await m.fa.config.readw(DEVCTL)) & 0x00e0).toBe(0);
  });

  it('pci_configure_mps: no upstream bridge visible, MPS left as found', async () => {
    const m = await syntheticEndpoint();
    await kernelEnumerate(m.fa, '6.12', { upstream: undefined });
    expect((await m.fa.config.readw(DEVCTL)) & 0x00e0).toBe(0x20);
  });

  it('pci_configure_extended_tags and pci_configure_ltr set EXT_TAG and LTR_EN; a second boot finds them set and writes nothing', async () => {
    const m = await syntheticEndpoint();
    await kernelEnumerate(m.fa, '6.1');
    expect((await m.fa.config.readw(DEVCTL)) & 0x0100).toBe(0x0100);
    expect((await m.fa.config.readw(DEVCTL2)) & 0x0400).toBe(0x0400);
    const again = await kernelEnumerate(m.fa, '6.12');
    expect(steps(again)).not.toContain('pci_configure_extended_tags');
    expect(steps(again)).not.toContain('pci_configure_ltr');
    expect(again.notes.map((n) => n.step)).toContain('pci_configure_ltr');
  });

  it('pci_msi_init clears a left-over MSI enable (msi/pcidev_msi.c)', async () => {
    const m = await syntheticEndpoint((b) => { b[SYN.MSI + 2] |= 0x01; });
    const log = await kernelEnumerate(m.fa, '7.1');
    expect(steps(log)).toContain('pci_msi_init');
    expect((await m.fa.config.readw(SYN.MSI + PCI_MSI_FLAGS)) & 1).toBe(0);
  });

  it('pci_pm_init: only v6.19+ power a D3hot function up (pci_pm_power_up_and_verify_state); all versions disable PME', async () => {
    for (const [id, d0] of [['6.1', false], ['6.12', false], ['6.12.y', false], ['6.19', true], ['7.1', true]] as const) {
      const m = await syntheticEndpoint((b) => { b[SYN.PM + 4] = 0x03; b[SYN.PM + 5] = 0x81; }); // D3hot, PME_Status, PME_En
      const log = await kernelEnumerate(m.fa, id);
      const pmcsr = await m.fa.config.readw(SYN.PM + PCI_PM_CTRL);
      expect(pmcsr & 0x0100, `${id} PME_En`).toBe(0);
      expect(pmcsr & 0x3, `${id} power state`).toBe(d0 ? 0 : 3);
      expect(steps(log).includes('pci_power_up'), id).toBe(d0);
      expect(KEXEC_VERSION_DATA[id].pmInitPowersUp).toBe(d0);
    }
  });

  it('pci_aer_init: pci_aer_clear_status writes the RW1C status back, pci_enable_pcie_error_reporting sets DEVCTL CERE|NFERE|FERE|URRE', async () => {
    const m = await syntheticEndpoint((b) => { b[SYN.AER + PCI_ERR_COR_STATUS] = 0x41; b[SYN.AER + PCI_ERR_UNCOR_STATUS + 2] = 0x10; });
    const log = await kernelEnumerate(m.fa, '6.1');
    expect(log.writes.filter((w) => w.fn === 'pci_aer_clear_status').map((w) => w.value)).toEqual([0x41, 0x100000]);
    expect(await m.fa.config.readl(SYN.AER + PCI_ERR_COR_STATUS)).toBe(0);
    expect(await m.fa.config.readl(SYN.AER + PCI_ERR_UNCOR_STATUS)).toBe(0);
    expect((await m.fa.config.readw(DEVCTL)) & 0xf).toBe(0xf);
  });

  it('pci_aer_init does nothing when firmware owns AER (pcie_aer_is_native false)', async () => {
    const m = await syntheticEndpoint((b) => { b[SYN.AER + PCI_ERR_COR_STATUS] = 0x01; });
    const log = await kernelEnumerate(m.fa, '6.12', { aerNative: false });
    expect(steps(log)).not.toContain('pci_aer_clear_status');
    expect((await m.fa.config.readw(DEVCTL)) & 0xf).toBe(0);
  });

  it('pci_acs_init: 6.1 writes only with an IOMMU, 6.12/6.19 always write ACS_CTRL back, 7.1 defers to pci_dma_configure', async () => {
    const acsWrites = async (id: '6.1' | '6.12' | '6.19' | '7.1', iommu: boolean) => {
      const m = await syntheticEndpoint();
      const log = await kernelEnumerate(m.fa, id, { iommu });
      return { w: log.writes.filter((x) => x.offset === SYN.ACS + 6).map((x) => x.value), ctrl: await m.fa.config.readw(SYN.ACS + 6) };
    };
    expect(await acsWrites('6.1', false)).toEqual({ w: [], ctrl: 0 });
    expect(await acsWrites('6.1', true)).toEqual({ w: [0x001d], ctrl: 0x001d });
    expect(await acsWrites('6.12', false)).toEqual({ w: [0], ctrl: 0 });
    expect(await acsWrites('6.19', true)).toEqual({ w: [0x001d], ctrl: 0x001d });
    expect(await acsWrites('7.1', true)).toEqual({ w: [], ctrl: 0 });
  });

  it('pci_configure_rcb runs in 7.1 only, and only when the Root Port is visible', async () => {
    const rp = { mps: 128, isRootPort: true, ltrPath: true, noRelaxedOrdering: false, rcb: true };
    for (const id of ['6.19', '7.1'] as const) {
      const m = await syntheticEndpoint();
      await kernelEnumerate(m.fa, id, { upstream: rp });
      expect((await m.fa.config.readw(LNKCTL)) & 0x8, id).toBe(id === '7.1' ? 0x8 : 0);
    }
  });

  it('pcie_aspm_init_link_state with the default policy keeps ASPM Control as found', async () => {
    const m = await syntheticEndpoint((b) => { b[LNKCTL] = 0x02; });
    const log = await kernelEnumerate(m.fa, '7.1');
    expect((await m.fa.config.readw(LNKCTL)) & 0x3).toBe(0x2);
    expect(log.notes.map((n) => n.step)).toContain('pcie_aspm_init_link_state');
  });
});
