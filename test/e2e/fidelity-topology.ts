/**
 * The topology the root-port-only tests never saw (issue 12): a switch (x3130-upstream +
 * xio3130-downstream with nvme below), a multifunction device (e1000e fn 0, virtio-net fn 1) and a
 * PCIe-to-PCI bridge with a conventional e1000, each behind its own q35 root port. Shared by
 * fidelity-topologies.test.ts (registers) and topology-trace.test.ts (every write).
 */
export const FIDELITY_TOPOLOGY = `
pcie-root-port,id=rp1,chassis=1
x3130-upstream,id=up,bus=rp1
xio3130-downstream,id=dn,bus=up,chassis=2
nvme,id=nvme0,serial=a,bus=dn
pcie-root-port,id=rp2,chassis=3
e1000e,id=mf0,bus=rp2,addr=0.0,multifunction=on
virtio-net-pci,id=mf1,bus=rp2,addr=0.1,disable-legacy=on
pcie-root-port,id=rp3,chassis=4
pcie-pci-bridge,id=ppb,bus=rp3
e1000,id=conv,bus=ppb,addr=1
`;
