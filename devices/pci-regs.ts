/**
 * The include/uapi/linux/pci_regs.h constants lusim uses: register offsets, capability IDs and bit
 * masks, spelled as Linux spells them and grouped (and ordered) as pci_regs.h groups them. This
 * is the one place these numbers are stated; register tables (devices/header.ts,
 * devices/caps/*.ts), the kernel steps (sim/linux, sim/kexec-sim) and the QEMU side (kexec/)
 * import them from here.
 *
 * Each value was compared with pci_regs.h of v6.1 and v7.1.3 and is the same in both; the few
 * marked "v7.1 header" are not in v6.1's pci_regs.h (added later; same value in v7.1). Values
 * are written as pci_regs.h writes them. Constants that pci_regs.h does not define (QEMU's
 * pcie_regs.h defaults, include/linux/pci.h enums, drivers/pci/pci.h TTLs, errno values) stay
 * beside their one user, named as their source names them.
 */

// Configuration space sizes and the standard header (common to all header types)
export const PCI_CFG_SPACE_SIZE = 256;
export const PCI_CFG_SPACE_EXP_SIZE = 4096;
export const PCI_STD_HEADER_SIZEOF = 64;
export const PCI_VENDOR_ID = 0x00;
export const PCI_DEVICE_ID = 0x02;
export const PCI_COMMAND = 0x04;
export const PCI_COMMAND_IO = 0x1;
export const PCI_COMMAND_MEMORY = 0x2;
export const PCI_COMMAND_MASTER = 0x4;
export const PCI_COMMAND_PARITY = 0x40;
export const PCI_COMMAND_SERR = 0x100;
export const PCI_COMMAND_INTX_DISABLE = 0x400;
export const PCI_STATUS = 0x06;
export const PCI_STATUS_INTERRUPT = 0x08;
export const PCI_STATUS_CAP_LIST = 0x10;
export const PCI_CLASS_REVISION = 0x08;
export const PCI_REVISION_ID = 0x08;
export const PCI_CLASS_PROG = 0x09;
export const PCI_CLASS_DEVICE = 0x0a;
export const PCI_CACHE_LINE_SIZE = 0x0c;
export const PCI_LATENCY_TIMER = 0x0d;
export const PCI_HEADER_TYPE = 0x0e;
export const PCI_HEADER_TYPE_MASK = 0x7f;
export const PCI_HEADER_TYPE_NORMAL = 0;
export const PCI_HEADER_TYPE_BRIDGE = 1;
export const PCI_HEADER_TYPE_CARDBUS = 2;
export const PCI_HEADER_TYPE_MFD = 0x80; // v7.1 header; not in v6.1's
export const PCI_BIST = 0x0f;
export const PCI_BASE_ADDRESS_0 = 0x10;
export const PCI_BASE_ADDRESS_SPACE_IO = 0x01;
export const PCI_BASE_ADDRESS_MEM_TYPE_MASK = 0x06;
export const PCI_BASE_ADDRESS_MEM_TYPE_64 = 0x04;
export const PCI_BASE_ADDRESS_MEM_PREFETCH = 0x08;

// Header type 0 (normal devices)
export const PCI_CARDBUS_CIS = 0x28;
export const PCI_SUBSYSTEM_VENDOR_ID = 0x2c;
export const PCI_SUBSYSTEM_ID = 0x2e;
/** CardBus bridges (header type 2) keep their subsystem IDs at 0x40. */
export const PCI_CB_SUBSYSTEM_VENDOR_ID = 0x40;
export const PCI_CB_SUBSYSTEM_ID = 0x42;
export const PCI_ROM_ADDRESS = 0x30;
export const PCI_ROM_ADDRESS_ENABLE = 0x01;
export const PCI_CAPABILITY_LIST = 0x34;
export const PCI_INTERRUPT_LINE = 0x3c;
export const PCI_INTERRUPT_PIN = 0x3d;
export const PCI_MIN_GNT = 0x3e;
export const PCI_MAX_LAT = 0x3f;

// Header type 1 (PCI-to-PCI bridges)
export const PCI_PRIMARY_BUS = 0x18;
export const PCI_SECONDARY_BUS = 0x19;
export const PCI_SUBORDINATE_BUS = 0x1a;
export const PCI_SEC_LATENCY_TIMER = 0x1b;
export const PCI_IO_BASE = 0x1c;
export const PCI_IO_LIMIT = 0x1d;
export const PCI_IO_RANGE_TYPE_MASK = 0x0f;
export const PCI_IO_RANGE_TYPE_32 = 0x01;
export const PCI_SEC_STATUS = 0x1e;
export const PCI_MEMORY_BASE = 0x20;
export const PCI_MEMORY_LIMIT = 0x22;
export const PCI_PREF_MEMORY_BASE = 0x24;
export const PCI_PREF_MEMORY_LIMIT = 0x26;
export const PCI_PREF_RANGE_TYPE_MASK = 0x0f;
export const PCI_PREF_RANGE_TYPE_64 = 0x01;
export const PCI_PREF_BASE_UPPER32 = 0x28;
export const PCI_PREF_LIMIT_UPPER32 = 0x2c;
export const PCI_IO_BASE_UPPER16 = 0x30;
export const PCI_IO_LIMIT_UPPER16 = 0x32;
export const PCI_ROM_ADDRESS1 = 0x38;
export const PCI_BRIDGE_CONTROL = 0x3e;
export const PCI_BRIDGE_CTL_SERR = 0x02;
export const PCI_BRIDGE_CTL_MASTER_ABORT = 0x20;
export const PCI_BRIDGE_CTL_BUS_RESET = 0x40;

// Header type 2 (CardBus bridges)
export const PCI_CB_CAPABILITY_LIST = 0x14;
export const PCI_CB_SEC_STATUS = 0x16;

// Capability lists
export const PCI_CAP_LIST_ID = 0;
export const PCI_CAP_ID_PM = 0x01;
export const PCI_CAP_ID_MSI = 0x05;
export const PCI_CAP_ID_PCIX = 0x07;
export const PCI_CAP_ID_VNDR = 0x09;
export const PCI_CAP_ID_SSVID = 0x0d;
export const PCI_CAP_ID_EXP = 0x10;
export const PCI_CAP_ID_MSIX = 0x11;
export const PCI_CAP_ID_AF = 0x13;
export const PCI_CAP_ID_EA = 0x14;
export const PCI_CAP_LIST_NEXT = 1;

// Power Management Registers
export const PCI_PM_PMC = 2;
export const PCI_PM_CAP_PME_MASK = 0xf800;
export const PCI_PM_CTRL = 4;
export const PCI_PM_CTRL_STATE_MASK = 0x0003;
export const PCI_PM_CTRL_NO_SOFT_RESET = 0x0008;
export const PCI_PM_CTRL_PME_ENABLE = 0x0100;
export const PCI_PM_CTRL_PME_STATUS = 0x8000;
export const PCI_PM_PPB_EXTENSIONS = 6;
export const PCI_PM_DATA_REGISTER = 7;

// Message Signaled Interrupt registers
export const PCI_MSI_FLAGS = 0x02;
export const PCI_MSI_FLAGS_ENABLE = 0x0001;
export const PCI_MSI_FLAGS_QMASK = 0x000e;
export const PCI_MSI_FLAGS_QSIZE = 0x0070;
export const PCI_MSI_FLAGS_64BIT = 0x0080;
export const PCI_MSI_FLAGS_MASKBIT = 0x0100;
export const PCI_MSI_ADDRESS_LO = 0x04;
export const PCI_MSI_ADDRESS_HI = 0x08;
export const PCI_MSI_DATA_32 = 0x08;
export const PCI_MSI_MASK_32 = 0x0c;
export const PCI_MSI_PENDING_32 = 0x10;
export const PCI_MSI_DATA_64 = 0x0c;
export const PCI_MSI_MASK_64 = 0x10;
export const PCI_MSI_PENDING_64 = 0x14;

// MSI-X registers (in MSI-X capability)
export const PCI_MSIX_FLAGS = 2;
export const PCI_MSIX_FLAGS_QSIZE = 0x07ff;
export const PCI_MSIX_FLAGS_MASKALL = 0x4000;
export const PCI_MSIX_FLAGS_ENABLE = 0x8000;
export const PCI_MSIX_TABLE = 4;
export const PCI_MSIX_TABLE_BIR = 0x00000007;
export const PCI_MSIX_TABLE_OFFSET = 0xfffffff8;
export const PCI_MSIX_PBA = 8;
export const PCI_MSIX_PBA_BIR = 0x00000007;
export const PCI_MSIX_PBA_OFFSET = 0xfffffff8;
export const PCI_CAP_MSIX_SIZEOF = 12;

// MSI-X Table entry format (in memory mapped by a BAR)
export const PCI_MSIX_ENTRY_SIZE = 16;
export const PCI_MSIX_ENTRY_LOWER_ADDR = 0x0;
export const PCI_MSIX_ENTRY_UPPER_ADDR = 0x4;
export const PCI_MSIX_ENTRY_DATA = 0x8;
export const PCI_MSIX_ENTRY_VECTOR_CTRL = 0xc;
export const PCI_MSIX_ENTRY_CTRL_MASKBIT = 0x00000001;

// PCI Advanced Feature registers
export const PCI_AF_LENGTH = 2;
export const PCI_AF_CAP = 3;
export const PCI_AF_CAP_TP = 0x01;
export const PCI_AF_CAP_FLR = 0x02;
export const PCI_AF_CTRL = 4;
export const PCI_AF_CTRL_FLR = 0x01;
export const PCI_AF_STATUS = 5;
export const PCI_AF_STATUS_TP = 0x01;
export const PCI_CAP_AF_SIZEOF = 6;

// PCI Enhanced Allocation registers
export const PCI_EA_NUM_ENT = 2;
export const PCI_EA_NUM_ENT_MASK = 0x3f;
export const PCI_EA_FIRST_ENT = 4;
export const PCI_EA_FIRST_ENT_BRIDGE = 8;
export const PCI_EA_ES = 0x00000007;
export const PCI_EA_WRITABLE = 0x40000000;
export const PCI_EA_ENABLE = 0x80000000;
export const PCI_EA_IS_64 = 0x00000002;

// PCI-X registers (Type 0 (non-bridge) devices)
export const PCI_X_CMD = 2;
export const PCI_X_STATUS = 4;
export const PCI_CAP_PCIX_SIZEOF_V0 = 8;
export const PCI_CAP_PCIX_SIZEOF_V1 = 24;

// PCI-X registers (Type 1 (bridge) devices)
export const PCI_X_BRIDGE_SSTATUS = 2;
export const PCI_X_BRIDGE_STATUS = 4;

// PCI Bridge Subsystem ID registers
export const PCI_SSVID_VENDOR_ID = 4;
export const PCI_SSVID_DEVICE_ID = 6;

// PCI Express capability registers
export const PCI_EXP_FLAGS = 0x02;
export const PCI_EXP_FLAGS_VERS = 0x000f;
export const PCI_EXP_FLAGS_TYPE = 0x00f0;
export const PCI_EXP_TYPE_ENDPOINT = 0x0;
export const PCI_EXP_TYPE_LEG_END = 0x1;
export const PCI_EXP_TYPE_ROOT_PORT = 0x4;
export const PCI_EXP_TYPE_UPSTREAM = 0x5;
export const PCI_EXP_TYPE_DOWNSTREAM = 0x6;
export const PCI_EXP_TYPE_PCI_BRIDGE = 0x7;
export const PCI_EXP_TYPE_PCIE_BRIDGE = 0x8;
export const PCI_EXP_TYPE_RC_END = 0x9;
export const PCI_EXP_TYPE_RC_EC = 0xa;
export const PCI_EXP_FLAGS_SLOT = 0x0100;
export const PCI_EXP_DEVCAP = 0x04;
export const PCI_EXP_DEVCAP_PAYLOAD = 0x00000007;
export const PCI_EXP_DEVCAP_EXT_TAG = 0x00000020;
/** Role-Based Error Reporting (PCIe r7.0 7.5.3.3). */
export const PCI_EXP_DEVCAP_RBER = 0x00008000;
export const PCI_EXP_DEVCAP_FLR = 0x10000000;
export const PCI_EXP_DEVCTL = 0x08;
export const PCI_EXP_DEVCTL_CERE = 0x0001;
export const PCI_EXP_DEVCTL_NFERE = 0x0002;
export const PCI_EXP_DEVCTL_FERE = 0x0004;
export const PCI_EXP_DEVCTL_URRE = 0x0008;
export const PCI_EXP_DEVCTL_RELAX_EN = 0x0010;
export const PCI_EXP_DEVCTL_PAYLOAD = 0x00e0;
export const PCI_EXP_DEVCTL_EXT_TAG = 0x0100;
export const PCI_EXP_DEVCTL_NOSNOOP_EN = 0x0800;
export const PCI_EXP_DEVCTL_READRQ = 0x7000;
export const PCI_EXP_DEVCTL_BCR_FLR = 0x8000;
export const PCI_EXP_DEVSTA = 0x0a;
export const PCI_EXP_LNKCAP = 0x0c;
export const PCI_EXP_LNKCAP_ASPM_L0S = 0x00000400;
export const PCI_EXP_LNKCAP_ASPM_L1 = 0x00000800;
export const PCI_EXP_LNKCAP_ASPMS = 0x00000c00;
export const PCI_EXP_LNKCTL = 0x10;
export const PCI_EXP_LNKCTL_ASPMC = 0x0003;
export const PCI_EXP_LNKCTL_ASPM_L0S = 0x0001;
export const PCI_EXP_LNKCTL_ASPM_L1 = 0x0002;
export const PCI_EXP_LNKCTL_RCB = 0x0008;
export const PCI_EXP_LNKCTL_RL = 0x0020;
export const PCI_EXP_LNKCTL_CCC = 0x0040;
export const PCI_EXP_LNKCTL_LBMIE = 0x0400;
export const PCI_EXP_LNKCTL_LABIE = 0x0800;
export const PCI_EXP_LNKSTA = 0x12;
export const PCI_EXP_LNKSTA_SLC = 0x1000;
export const PCI_EXP_LNKSTA_LBMS = 0x4000;
export const PCI_EXP_LNKSTA_LABS = 0x8000;
export const PCI_EXP_SLTCAP = 0x14;
export const PCI_EXP_SLTCTL = 0x18;
export const PCI_EXP_SLTCTL_EIC = 0x0800;
export const PCI_EXP_SLTSTA = 0x1a;
export const PCI_EXP_SLTSTA_CC = 0x0010;
export const PCI_EXP_SLTSTA_PDS = 0x0040;
export const PCI_EXP_SLTSTA_EIS = 0x0080;
export const PCI_EXP_RTCTL = 0x1c;
export const PCI_EXP_RTCTL_PMEIE = 0x0008;
export const PCI_EXP_RTCAP = 0x1e;
export const PCI_EXP_RTCAP_CRSVIS = 1;
export const PCI_EXP_RTSTA = 0x20;
export const PCI_EXP_RTSTA_PME = 0x00010000;
export const PCI_EXP_DEVCAP2 = 0x24;
export const PCI_EXP_DEVCAP2_LTR = 0x00000800;
export const PCI_EXP_DEVCAP2_ARI = 0x00000020;
export const PCI_EXP_DEVCAP2_EE_PREFIX = 0x00200000;
export const PCI_EXP_DEVCTL2 = 0x28;
export const PCI_EXP_DEVCTL2_LTR_EN = 0x0400;
export const PCI_EXP_DEVCTL2_ARI = 0x0020;
export const PCI_EXP_DEVSTA2 = 0x2a;
export const PCI_EXP_LNKCAP2 = 0x2c;
export const PCI_EXP_LNKCTL2 = 0x30;
export const PCI_EXP_LNKSTA2 = 0x32;
export const PCI_EXP_SLTCAP2 = 0x34;
export const PCI_EXP_SLTCTL2 = 0x38;
export const PCI_EXP_SLTSTA2 = 0x3a;

// Extended Capabilities (PCI-X 2.0 and Express)
export const PCI_EXT_CAP_ID_ERR = 0x01;
export const PCI_EXT_CAP_ID_VC = 0x02;
export const PCI_EXT_CAP_ID_DSN = 0x03;
export const PCI_EXT_CAP_ID_MFVC = 0x08;
export const PCI_EXT_CAP_ID_VC9 = 0x09;
export const PCI_EXT_CAP_ID_VNDR = 0x0b;
export const PCI_EXT_CAP_ID_ACS = 0x0d;
export const PCI_EXT_CAP_ID_ARI = 0x0e;
export const PCI_EXT_CAP_ID_ATS = 0x0f;
export const PCI_EXT_CAP_ID_SRIOV = 0x10;
export const PCI_EXT_CAP_ID_PRI = 0x13;
export const PCI_EXT_CAP_ID_REBAR = 0x15;
export const PCI_EXT_CAP_ID_VF_REBAR = 0x24;
export const PCI_EXT_CAP_ID_TPH = 0x17;
export const PCI_EXT_CAP_ID_LTR = 0x18;
export const PCI_EXT_CAP_ID_PASID = 0x1b;
export const PCI_EXT_CAP_ID_DPC = 0x1d;
export const PCI_EXT_CAP_ID_L1SS = 0x1e;
export const PCI_EXT_CAP_ID_PTM = 0x1f;
export const PCI_EXT_CAP_ID_DVSEC = 0x23;
export const PCI_EXT_CAP_ID_DOE = 0x2e;
export const PCI_EXT_CAP_DSN_SIZEOF = 12;
/** PCI_EXT_CAP_ID(header): header & 0xffff. */
export const PCI_EXT_CAP_ID = (header: number): number => header & 0xffff;
/** PCI_EXT_CAP_VER(header): (header >> 16) & 0xf. */
export const PCI_EXT_CAP_VER = (header: number): number => (header >>> 16) & 0xf;
/** PCI_EXT_CAP_NEXT(header): (header >> 20) & 0xffc; the low two bits are masked off. */
export const PCI_EXT_CAP_NEXT = (header: number): number => (header >>> 20) & 0xffc;

// Advanced Error Reporting
export const PCI_ERR_UNCOR_STATUS = 0x04;
export const PCI_ERR_UNCOR_MASK = 0x08;
export const PCI_ERR_UNCOR_SEVER = 0x0c;
export const PCI_ERR_COR_STATUS = 0x10;
export const PCI_ERR_COR_ADV_NFAT = 0x00002000;
export const PCI_ERR_COR_MASK = 0x14;
export const PCI_ERR_CAP = 0x18;
export const PCI_ERR_HEADER_LOG = 0x1c;
export const PCI_ERR_ROOT_COMMAND = 0x2c;
export const PCI_ERR_ROOT_STATUS = 0x30;
export const PCI_ERR_ROOT_AER_IRQ = 0xf8000000;
export const PCI_ERR_ROOT_ERR_SRC = 0x34;
export const PCI_ERR_PREFIX_LOG = 0x38; // v7.1 header; not in v6.1's

// Virtual Channel
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
export const PCI_CAP_VC_BASE_SIZEOF = 0x10;
export const PCI_CAP_VC_PER_VC_SIZEOF = 0x0c;

// Vendor-Specific (VSEC, PCI_EXT_CAP_ID_VNDR)
export const PCI_VNDR_HEADER = 4;

// Alternative Routing-ID Interpretation
export const PCI_ARI_CAP = 0x04;
export const PCI_ARI_CTRL = 0x06;

// Address Translation Service
export const PCI_ATS_CAP = 0x04;
export const PCI_ATS_CTRL = 0x06;
export const PCI_ATS_CTRL_ENABLE = 0x8000;
export const PCI_ATS_MIN_STU = 12;

// Page Request Interface
export const PCI_PRI_CTRL = 0x04;
export const PCI_PRI_CTRL_ENABLE = 0x0001;
export const PCI_PRI_STATUS = 0x06;
export const PCI_PRI_MAX_REQ = 0x08;
export const PCI_PRI_ALLOC_REQ = 0x0c;

// Process Address Space ID
export const PCI_PASID_CAP = 0x04;
export const PCI_PASID_CTRL = 0x06;
export const PCI_PASID_CTRL_ENABLE = 0x0001;

// Single Root I/O Virtualization
export const PCI_SRIOV_CAP = 0x04;
export const PCI_SRIOV_CTRL = 0x08;
export const PCI_SRIOV_CTRL_VFE = 0x0001;
export const PCI_SRIOV_CTRL_ARI = 0x0010;
export const PCI_SRIOV_STATUS = 0x0a;
export const PCI_SRIOV_INITIAL_VF = 0x0c;
export const PCI_SRIOV_TOTAL_VF = 0x0e;
export const PCI_SRIOV_NUM_VF = 0x10;
export const PCI_SRIOV_FUNC_LINK = 0x12;
export const PCI_SRIOV_VF_OFFSET = 0x14;
export const PCI_SRIOV_VF_STRIDE = 0x16;
export const PCI_SRIOV_VF_DID = 0x1a;
export const PCI_SRIOV_SUP_PGSIZE = 0x1c;
export const PCI_SRIOV_SYS_PGSIZE = 0x20;
export const PCI_SRIOV_BAR = 0x24;
export const PCI_SRIOV_NUM_BARS = 6;
export const PCI_SRIOV_VFM = 0x3c;
export const PCI_LTR_MAX_SNOOP_LAT = 0x4;
export const PCI_LTR_MAX_NOSNOOP_LAT = 0x6;

// Access Control Service
export const PCI_ACS_CAP = 0x04;
export const PCI_ACS_SV = 0x0001;
export const PCI_ACS_TB = 0x0002;
export const PCI_ACS_RR = 0x0004;
export const PCI_ACS_CR = 0x0008;
export const PCI_ACS_UF = 0x0010;
export const PCI_ACS_EC = 0x0020;
export const PCI_ACS_CTRL = 0x06;
export const PCI_ACS_EGRESS_CTL_V = 0x08;

// Resizable BARs
export const PCI_REBAR_CAP = 4;
export const PCI_REBAR_CTRL = 8;
export const PCI_REBAR_CTRL_BAR_IDX = 0x00000007;
export const PCI_REBAR_CTRL_NBAR_MASK = 0x000000e0;
export const PCI_REBAR_CTRL_BAR_SIZE = 0x00001f00;

// TPH Requester
export const PCI_TPH_CAP = 4;
export const PCI_TPH_CAP_LOC_MASK = 0x00000600;
export const PCI_TPH_LOC_CAP = 0x00000200;
export const PCI_TPH_CAP_ST_MASK = 0x07ff0000;
export const PCI_TPH_BASE_SIZEOF = 0xc;
export const PCI_TPH_CTRL = 8; // v7.1 header; not in v6.1's

// Downstream Port Containment
export const PCI_EXP_DPC_CAP = 0x04;
export const PCI_EXP_DPC_CAP_RP_EXT = 0x0020;
export const PCI_EXP_DPC_CTL = 0x06;
export const PCI_EXP_DPC_STATUS = 0x08;
export const PCI_EXP_DPC_SOURCE_ID = 0x0a;
export const PCI_EXP_DPC_RP_PIO_HEADER_LOG = 0x20;
export const PCI_EXP_DPC_RP_PIO_IMPSPEC_LOG = 0x30;
export const PCI_EXP_DPC_RP_PIO_TLPPREFIX_LOG = 0x34;

// Precision Time Measurement
export const PCI_PTM_CAP = 0x04;
export const PCI_PTM_CTRL = 0x08;

// ASPM L1 PM Substates
export const PCI_L1SS_CAP = 0x04;
export const PCI_L1SS_CTL1 = 0x08;
export const PCI_L1SS_CTL1_L1_2_MASK = 0x00000005;
export const PCI_L1SS_CTL2 = 0x0c;

// Designated Vendor-Specific (DVSEC, PCI_EXT_CAP_ID_DVSEC)
export const PCI_DVSEC_HEADER1 = 0x4;
export const PCI_DVSEC_HEADER2 = 0x8;

// Data Object Exchange
export const PCI_DOE_CAP = 0x04;
export const PCI_DOE_CTRL = 0x08;
export const PCI_DOE_STATUS = 0x0c;
export const PCI_DOE_WRITE = 0x10;
export const PCI_DOE_READ = 0x14;
export const PCI_DOE_CAP_SIZEOF = 0x18; // v7.1 header; not in v6.1's

// CXL r4.0, 8.1.5: Extensions DVSEC for Ports
export const PCI_DVSEC_CXL_PORT = 3; // v7.1 header; not in v6.1's
export const PCI_DVSEC_CXL_PORT_CTL = 0x0c; // v7.1 header; not in v6.1's
