/**
 * The pci_regs.h (include/uapi/linux/pci_regs.h) constants the kernel steps in sim/linux use,
 * spelled as Linux spells them. Offsets are the same in v6.1, v6.12, v6.19 and v7.1
 * (linux-pci.md section 8). Capability files in devices/caps/ declare the register tables; these
 * are only the numbers the kernel code paths read and write.
 */

// Header (type 0 and type 1).
export const PCI_VENDOR_ID = 0x00;
export const PCI_COMMAND = 0x04;
export const PCI_COMMAND_INTX_DISABLE = 0x0400;
export const PCI_STATUS = 0x06;
export const PCI_STATUS_CAP_LIST = 0x0010;
export const PCI_HEADER_TYPE = 0x0e;
export const PCI_HEADER_TYPE_NORMAL = 0;
export const PCI_HEADER_TYPE_BRIDGE = 1;
export const PCI_HEADER_TYPE_CARDBUS = 2;
export const PCI_CAPABILITY_LIST = 0x34;
export const PCI_CB_CAPABILITY_LIST = 0x14;
export const PCI_STD_HEADER_SIZEOF = 64;
export const PCI_CFG_SPACE_SIZE = 256;
export const PCI_CFG_SPACE_EXP_SIZE = 4096;

// Standard capability IDs.
export const PCI_CAP_ID_PM = 0x01;
export const PCI_CAP_ID_MSI = 0x05;
export const PCI_CAP_ID_PCIX = 0x07;
export const PCI_CAP_ID_EXP = 0x10;
export const PCI_CAP_ID_MSIX = 0x11;

// Extended capability IDs.
export const PCI_EXT_CAP_ID_ERR = 0x01;
export const PCI_EXT_CAP_ID_VC = 0x02;
export const PCI_EXT_CAP_ID_MFVC = 0x08;
export const PCI_EXT_CAP_ID_VC9 = 0x09;
export const PCI_EXT_CAP_ID_ACS = 0x0d;
export const PCI_EXT_CAP_ID_ATS = 0x0f;
export const PCI_EXT_CAP_ID_SRIOV = 0x10;
export const PCI_EXT_CAP_ID_PRI = 0x13;
export const PCI_EXT_CAP_ID_REBAR = 0x15;
export const PCI_EXT_CAP_ID_TPH = 0x17;
export const PCI_EXT_CAP_ID_LTR = 0x18;
export const PCI_EXT_CAP_ID_PASID = 0x1b;
export const PCI_EXT_CAP_ID_DPC = 0x1d;
export const PCI_EXT_CAP_ID_L1SS = 0x1e;
export const PCI_EXT_CAP_ID_PTM = 0x1f;

/** PCI_EXT_CAP_ID(header) = header & 0xffff. */
export const pciExtCapId = (header: number): number => header & 0xffff;
/** PCI_EXT_CAP_NEXT(header) = (header >> 20) & 0xffc: the low two bits are masked off. */
export const pciExtCapNext = (header: number): number => (header >>> 20) & 0xffc;

// PCI Express capability.
export const PCI_EXP_FLAGS = 0x02;
export const PCI_EXP_FLAGS_VERS = 0x000f;
export const PCI_EXP_FLAGS_TYPE = 0x00f0;
export const PCI_EXP_FLAGS_SLOT = 0x0100;
export const PCI_EXP_TYPE_ENDPOINT = 0x0;
export const PCI_EXP_TYPE_LEG_END = 0x1;
export const PCI_EXP_TYPE_ROOT_PORT = 0x4;
export const PCI_EXP_TYPE_UPSTREAM = 0x5;
export const PCI_EXP_TYPE_DOWNSTREAM = 0x6;
export const PCI_EXP_TYPE_PCI_BRIDGE = 0x7;
export const PCI_EXP_TYPE_PCIE_BRIDGE = 0x8;
export const PCI_EXP_TYPE_RC_END = 0x9;
export const PCI_EXP_TYPE_RC_EC = 0xa;
export const PCI_EXP_DEVCAP = 0x04;
export const PCI_EXP_DEVCTL = 0x08;
export const PCI_EXP_DEVSTA = 0x0a;
export const PCI_EXP_LNKCAP = 0x0c;
export const PCI_EXP_LNKCTL = 0x10;
export const PCI_EXP_LNKCTL_ASPMC = 0x0003;
export const PCI_EXP_LNKSTA = 0x12;
export const PCI_EXP_SLTCAP = 0x14;
export const PCI_EXP_SLTCTL = 0x18;
export const PCI_EXP_SLTSTA = 0x1a;
export const PCI_EXP_SLTSTA_PDS = 0x0040;
export const PCI_EXP_RTCTL = 0x1c;
export const PCI_EXP_RTCAP = 0x1e;
export const PCI_EXP_RTSTA = 0x20;
export const PCI_EXP_DEVCAP2 = 0x24;
export const PCI_EXP_DEVCTL2 = 0x28;
export const PCI_EXP_DEVCTL2_LTR_EN = 0x0400;
export const PCI_EXP_DEVSTA2 = 0x2a;
export const PCI_EXP_LNKCAP2 = 0x2c;
export const PCI_EXP_LNKCTL2 = 0x30;
export const PCI_EXP_LNKSTA2 = 0x32;
export const PCI_EXP_SLTCAP2 = 0x34;
export const PCI_EXP_SLTCTL2 = 0x38;
export const PCI_EXP_SLTSTA2 = 0x3a;
/** drivers/pci/pci.c: the 7 u16 registers pci_save_pcie_state keeps. */
export const PCI_EXP_SAVE_REGS = 7;

// PCI-X.
export const PCI_X_CMD = 0x02;

// MSI.
export const PCI_MSI_FLAGS = 0x02;
export const PCI_MSI_FLAGS_ENABLE = 0x0001;
export const PCI_MSI_FLAGS_QSIZE = 0x0070;
export const PCI_MSI_ADDRESS_LO = 0x04;
export const PCI_MSI_ADDRESS_HI = 0x08;
export const PCI_MSI_DATA_32 = 0x08;
export const PCI_MSI_DATA_64 = 0x0c;

// MSI-X.
export const PCI_MSIX_FLAGS = 0x02;
export const PCI_MSIX_FLAGS_MASKALL = 0x4000;
export const PCI_MSIX_FLAGS_ENABLE = 0x8000;
export const PCI_MSIX_ENTRY_SIZE = 16;
export const PCI_MSIX_ENTRY_LOWER_ADDR = 0x0;
export const PCI_MSIX_ENTRY_UPPER_ADDR = 0x4;
export const PCI_MSIX_ENTRY_DATA = 0x8;
export const PCI_MSIX_ENTRY_VECTOR_CTRL = 0xc;
export const PCI_MSIX_ENTRY_CTRL_MASKBIT = 0x1;

// AER.
export const PCI_ERR_UNCOR_STATUS = 0x04;
export const PCI_ERR_UNCOR_MASK = 0x08;
export const PCI_ERR_UNCOR_SEVER = 0x0c;
export const PCI_ERR_COR_STATUS = 0x10;
export const PCI_ERR_COR_MASK = 0x14;
export const PCI_ERR_CAP = 0x18;
export const PCI_ERR_ROOT_COMMAND = 0x2c;
export const PCI_ERR_ROOT_STATUS = 0x30;

// VC / VC9 / MFVC (same layout).
export const PCI_VC_PORT_CAP1 = 0x04;
export const PCI_VC_CAP1_EVCC = 0x00000007;
export const PCI_VC_CAP1_LPEVCC = 0x00000070;
export const PCI_VC_CAP1_ARB_SIZE = 0x00000c00;
export const PCI_VC_PORT_CAP2 = 0x08;
export const PCI_VC_CAP2_32_PHASE = 0x00000002;
export const PCI_VC_CAP2_64_PHASE = 0x00000004;
export const PCI_VC_CAP2_128_PHASE = 0x00000008;
export const PCI_VC_CAP2_ARB_OFF = 0xff000000;
export const PCI_VC_PORT_CTRL = 0x0c;
export const PCI_VC_PORT_CTRL_LOAD_TABLE = 0x00000001;
export const PCI_VC_PORT_STATUS = 0x0e;
export const PCI_VC_PORT_STATUS_TABLE = 0x00000001;
export const PCI_VC_RES_CAP = 0x10;
export const PCI_VC_RES_CAP_32_PHASE = 0x00000002;
export const PCI_VC_RES_CAP_64_PHASE = 0x00000004;
export const PCI_VC_RES_CAP_128_PHASE = 0x00000008;
export const PCI_VC_RES_CAP_128_PHASE_TB = 0x00000010;
export const PCI_VC_RES_CAP_256_PHASE = 0x00000020;
export const PCI_VC_RES_CAP_ARB_OFF = 0xff000000;
export const PCI_VC_RES_CTRL = 0x14;
export const PCI_VC_RES_CTRL_LOAD_TABLE = 0x00010000;
export const PCI_VC_RES_CTRL_ARB_SELECT = 0x000e0000;
export const PCI_VC_RES_CTRL_ID = 0x07000000;
export const PCI_VC_RES_CTRL_ENABLE = 0x80000000;
export const PCI_VC_RES_STATUS = 0x1a;
export const PCI_VC_RES_STATUS_TABLE = 0x00000001;
export const PCI_VC_RES_STATUS_NEGO = 0x00000002;
export const PCI_CAP_VC_PER_VC_SIZEOF = 0x0c;

// ACS, ATS, PRI, PASID.
export const PCI_ACS_CAP = 0x04;
export const PCI_ACS_SV = 0x0001;
export const PCI_ACS_RR = 0x0004;
export const PCI_ACS_CR = 0x0008;
export const PCI_ACS_UF = 0x0010;
export const PCI_ACS_TB = 0x0002;
export const PCI_ACS_CTRL = 0x06;
export const PCI_ATS_CTRL = 0x06;
export const PCI_ATS_CTRL_ENABLE = 0x8000;
/** PCI_ATS_CTRL_STU(x) = (x) & 0x1f; PCI_ATS_MIN_STU = 12 (ats.c). */
export const PCI_ATS_MIN_STU = 12;
export const PCI_PRI_CTRL = 0x04;
export const PCI_PRI_CTRL_ENABLE = 0x0001;
export const PCI_PRI_ALLOC_REQ = 0x0c;
export const PCI_PASID_CTRL = 0x06;
export const PCI_PASID_CTRL_ENABLE = 0x0001;

// Resizable BAR.
export const PCI_REBAR_CTRL = 0x08;
export const PCI_REBAR_CTRL_BAR_IDX = 0x00000007;
export const PCI_REBAR_CTRL_NBAR_MASK = 0x000000e0;
export const PCI_REBAR_CTRL_BAR_SIZE = 0x00001f00;

// SR-IOV.
export const PCI_SRIOV_CTRL = 0x08;
export const PCI_SRIOV_CTRL_VFE = 0x0001;
export const PCI_SRIOV_CTRL_ARI = 0x0010;
export const PCI_SRIOV_NUM_VF = 0x10;
export const PCI_SRIOV_SYS_PGSIZE = 0x20;

// DPC, PTM, LTR, L1SS, TPH.
export const PCI_EXP_DPC_CTL = 0x06;
export const PCI_PTM_CTRL = 0x08;
export const PCI_LTR_MAX_SNOOP_LAT = 0x04;
export const PCI_L1SS_CTL1 = 0x08;
export const PCI_L1SS_CTL1_L1_2_MASK = 0x00000005;
export const PCI_L1SS_CTL2 = 0x0c;
export const PCI_TPH_CAP = 0x04;
export const PCI_TPH_CAP_LOC_MASK = 0x00000600;
export const PCI_TPH_LOC_CAP = 0x00000200;
export const PCI_TPH_CAP_ST_MASK = 0x07ff0000;
export const PCI_TPH_CTRL = 0x08;
export const PCI_TPH_BASE_SIZEOF = 0x0c;

/** errno values returned by the modelled functions (negated, as the kernel does). */
export const ENOMEM = 12;
