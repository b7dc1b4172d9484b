/**
 * The minimal x86_64 config of lusim's LUO kernel (luo-kernel.md "Config"): `make tinyconfig`,
 * then these options with scripts/config, then `make olddefconfig`, then every option checked.
 *
 *  - tools/testing/selftests/liveupdate/config and config.x86_64 (7.3.4): BLK_DEV_INITRD,
 *    DEVTMPFS, KEXEC_FILE, KEXEC_HANDOVER (+_ENABLE_DEFAULT, _DEBUGFS, _DEBUG), LIVEUPDATE,
 *    LIVEUPDATE_TEST (needs RUNTIME_TESTING_MENU), MEMFD_CREATE, TMPFS, SHMEM, SERIAL_8250(_CONSOLE);
 *  - tinyconfig leaves 64BIT off (KHO needs X86_64: ARCH_SUPPORTS_KEXEC_HANDOVER) and RELOCATABLE
 *    off (x86 kexec_file_load refuses a bzImage without XLF_CAN_BE_LOADED_ABOVE_4G);
 *  - the q35 guest lusim boots: ACPI, PCI + MMCONFIG (ECAM), PCIe port services (PCIEPORTBUS,
 *    PCIEAER, PCIEASPM), MSI, the device drivers (nvme, e1000e, virtio-pci/net/blk), the agent's
 *    needs (BINFMT_ELF/SCRIPT, FUTEX, EPOLL, MULTIUSER, PROC_FS, SYSFS, DEBUG_FS for lusim_pci),
 *    loadable modules for lusim_pci.ko, KEXEC for kexec-tools' kexec_load fallback, a second
 *    serial port for the agent (SERIAL_8250_NR_UARTS/RUNTIME_UARTS >= 2), DEVMEM for lusim_luo's
 *    window on the memmap= range (drivers/char/mem.c). DEVMEM brings STRICT_DEVMEM=y on x86; its
 *    arch/x86/mm/init.c devmem_is_allowed refuses System RAM and exclusive resources only, and a
 *    memmap=SIZE$ADDR range is an e820 "Reserved" resource, busy but not exclusive (IO_STRICT_DEVMEM
 *    off: kernel/resource.c resource_is_exclusive).
 * The options are data: their hash is part of the cache key.
 */
export const LUO_KERNEL_OPTIONS: readonly (readonly [string, string])[] = [
  ['64BIT', 'y'], ['RELOCATABLE', 'y'], ['SMP', 'y'], ['NR_CPUS', '4'], ['PRINTK', 'y'], ['TTY', 'y'],
  ['BLK_DEV_INITRD', 'y'], ['RD_GZIP', 'y'], ['DEVTMPFS', 'y'], ['DEVTMPFS_MOUNT', 'y'], ['TMPFS', 'y'], ['SHMEM', 'y'], ['MEMFD_CREATE', 'y'],
  ['PROC_FS', 'y'], ['SYSFS', 'y'], ['DEVMEM', 'y'], ['DEBUG_FS', 'y'], ['BINFMT_ELF', 'y'], ['BINFMT_SCRIPT', 'y'], ['FUTEX', 'y'], ['EPOLL', 'y'], ['MULTIUSER', 'y'],
  ['SIGNALFD', 'y'], ['TIMERFD', 'y'], ['EVENTFD', 'y'], ['FILE_LOCKING', 'y'], ['UNIX', 'y'], ['NET', 'y'], ['INET', 'y'],
  ['SERIAL_8250', 'y'], ['SERIAL_8250_CONSOLE', 'y'], ['SERIAL_8250_NR_UARTS', '4'], ['SERIAL_8250_RUNTIME_UARTS', '4'],
  ['MODULES', 'y'], ['MODULE_UNLOAD', 'y'],
  ['KEXEC', 'y'], ['KEXEC_FILE', 'y'], ['KEXEC_HANDOVER', 'y'], ['KEXEC_HANDOVER_ENABLE_DEFAULT', 'y'], ['KEXEC_HANDOVER_DEBUGFS', 'y'], ['KEXEC_HANDOVER_DEBUG', 'y'],
  ['LIVEUPDATE', 'y'], ['LIVEUPDATE_MEMFD', 'y'], ['RUNTIME_TESTING_MENU', 'y'], ['LIVEUPDATE_TEST', 'y'],
  ['ACPI', 'y'], ['PCI', 'y'], ['PCI_MMCONFIG', 'y'], ['PCI_MSI', 'y'], ['PCIEPORTBUS', 'y'], ['PCIEAER', 'y'], ['PCIEASPM', 'y'], ['HOTPLUG_PCI', 'y'], ['HOTPLUG_PCI_PCIE', 'y'],
  ['BLOCK', 'y'], ['BLK_DEV', 'y'], ['BLK_DEV_NVME', 'y'], ['NETDEVICES', 'y'], ['ETHERNET', 'y'], ['NET_VENDOR_INTEL', 'y'], ['E1000E', 'y'],
  ['VIRTIO_MENU', 'y'], ['VIRTIO', 'y'], ['VIRTIO_PCI', 'y'], ['VIRTIO_NET', 'y'], ['VIRTIO_BLK', 'y'],
];
