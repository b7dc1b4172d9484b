/** Kconfig from a kernel's own config (sim/linux/kconfig.ts) and its effect on the model. */
import { describe, expect, it } from 'vitest';
import { applyKconfig, parseKconfig } from '../../../sim/linux/kconfig.js';
import { kernelProfile } from '../../../sim/linux/profiles.js';
import { checkHandover } from '../../../sim/linux/handover-abi.js';
import { buildSynthetic } from './helpers/synthetic.js';
import { capList, enumerate } from './helpers/enumerate.js';
import { PCI_EXP_TYPE_ENDPOINT, PCI_EXT_CAP_ID_ERR, PCI_EXT_CAP_ID_PTM } from '../../../devices/pci-regs.js';

// The lines of Debian's 7.2.13+deb14-cloud-amd64 config that matter (read in the cached package).
const DEBIAN_72 = [
  '# CONFIG_KEXEC_HANDOVER is not set', 'CONFIG_PCIEAER=y', 'CONFIG_PCIEASPM=y', 'CONFIG_PCIEASPM_DEFAULT=y',
  '# CONFIG_PCIEASPM_POWERSAVE is not set', 'CONFIG_PCIE_DPC=y', 'CONFIG_PCIE_PTM=y', 'CONFIG_PCI_IOV=y', '# CONFIG_PCIE_TPH is not set',
].join('\n');

describe('parseKconfig / applyKconfig', () => {
  it('reads set and "is not set" lines; unset options are off and reported as unset', () => {
    const k = applyKconfig(parseKconfig(DEBIAN_72));
    expect(k.config).toMatchObject({ PCIEAER: true, PCIE_TPH: false, KEXEC_HANDOVER: false, LIVEUPDATE: false, aspmPolicy: 'default' });
    expect(k.used.find((u) => u.option === 'CONFIG_LIVEUPDATE')!.value).toBe('unset');
    expect(k.used.find((u) => u.option === 'CONFIG_KEXEC_HANDOVER')!.value).toBe('n');
  });

  it('PCIEAER and PCIE_PTM off: pci_aer_init and pci_ptm_init allocate no buffers', async () => {
    const k = applyKconfig(parseKconfig('CONFIG_PCIEAER=n\n# CONFIG_PCIE_PTM is not set\nCONFIG_PCIEASPM=y'));
    const s = () => buildSynthetic({ pcie: { type: PCI_EXP_TYPE_ENDPOINT }, ext: [{ id: PCI_EXT_CAP_ID_ERR, at: 0x100 }, { id: PCI_EXT_CAP_ID_PTM, at: 0x150 }] });
    expect(capList(await enumerate(kernelProfile('7.3'), s().access))).toEqual(['ERR:16', 'PTM:4', 'EXP:14']);
    expect(capList(await enumerate(kernelProfile('7.3', k.config), s().access))).toEqual(['EXP:14']);
  });

  it('a kernel built without KEXEC_HANDOVER hands nothing over; with KHO and LUO the strings decide', () => {
    const debian = applyKconfig(parseKconfig(DEBIAN_72)).config;
    expect(checkHandover('7.2', '7.3', 'memfd', { from: debian, to: debian }).refusal?.message).toMatch(/without CONFIG_KEXEC_HANDOVER/);
    const luo = applyKconfig(parseKconfig('CONFIG_KEXEC_HANDOVER=y\nCONFIG_LIVEUPDATE=y')).config;
    expect(checkHandover('7.2', '7.3', 'memfd', { from: luo, to: luo }).ok).toBe(true);
    expect(checkHandover('lu-pci', 'lu-pci', 'vfio-pci', { from: luo, to: luo }).refusal?.message).toMatch(/lu-pci is built without CONFIG_PCI_LIVEUPDATE/);
    const pci = applyKconfig(parseKconfig('CONFIG_KEXEC_HANDOVER=y\nCONFIG_LIVEUPDATE=y\nCONFIG_PCI_LIVEUPDATE=y')).config;
    expect(checkHandover('lu-pci', 'lu-pci', 'vfio-pci', { from: pci, to: luo }).refusal?.step).toBe('pci_liveupdate_flb_get_incoming');
    expect(checkHandover('lu-pci', 'lu-pci', 'vfio-pci', { from: pci, to: pci }).ok).toBe(true);
  });
});
