/**
 * Register bits the kexec steps use that no devices/caps table exports. Values from
 * include/uapi/linux/pci_regs.h (v7.1.3; identical in v6.1 and v6.12).
 */
export const PCI_BRIDGE_CTL_SERR = 0x0002;

export const PCI_PM_CAP_PME_MASK = 0xf800;

export const PCI_EXP_DEVCAP_PAYLOAD = 0x00000007;
export const PCI_EXP_DEVCAP_EXT_TAG = 0x00000020;
export const PCI_EXP_DEVCTL_CERE = 0x0001;
export const PCI_EXP_DEVCTL_NFERE = 0x0002;
export const PCI_EXP_DEVCTL_FERE = 0x0004;
export const PCI_EXP_DEVCTL_URRE = 0x0008;
export const PCI_EXP_DEVCTL_RELAX_EN = 0x0010;
export const PCI_EXP_DEVCTL_PAYLOAD = 0x00e0;
export const PCI_EXP_DEVCTL_EXT_TAG = 0x0100;
export const PCI_EXP_DEVCTL_NOSNOOP_EN = 0x0800;
export const PCI_EXP_DEVCTL_READRQ = 0x7000;
/** drivers/pci/pcie/aer.c PCI_EXP_AER_FLAGS: the four error reporting enables. */
export const PCI_EXP_AER_FLAGS = PCI_EXP_DEVCTL_CERE | PCI_EXP_DEVCTL_NFERE | PCI_EXP_DEVCTL_FERE | PCI_EXP_DEVCTL_URRE;
export const PCI_EXP_LNKCAP_ASPM_L0S = 0x00000400;
export const PCI_EXP_LNKCAP_ASPM_L1 = 0x00000800;
export const PCI_EXP_LNKCTL_ASPM_L0S = 0x0001;
export const PCI_EXP_LNKCTL_ASPM_L1 = 0x0002;
export const PCI_EXP_LNKCTL_RCB = 0x0008;
export const PCI_EXP_LNKCTL_ASPMC = 0x0003;
export const PCI_EXP_DEVCAP2_LTR = 0x00000800;
export const PCI_EXP_DEVCTL2_LTR_EN = 0x0400;

export const PCI_ERR_COR_ADV_NFAT = 0x00002000;

export const PCI_LTR_MAX_SNOOP_LAT = 0x4;
export const PCI_LTR_MAX_NOSNOOP_LAT = 0x6;

export const PCI_ACS_CAP = 0x04;
export const PCI_ACS_CTRL = 0x06;
export const PCI_ACS_SV = 0x0001;
export const PCI_ACS_TB = 0x0002;
export const PCI_ACS_RR = 0x0004;
export const PCI_ACS_CR = 0x0008;
export const PCI_ACS_UF = 0x0010;
