// SPDX-License-Identifier: GPL-2.0
/*
 * lusim_pci: the guest kernel's own PCI state save and restore, driven from lusim's agent.
 *
 * lusim asks whether the opaque blob one kernel's pci_store_saved_state() writes is safe for a
 * different kernel's pci_load_saved_state() and pci_restore_state(). This module lets the kernel
 * itself answer: the agent (kexec/agent/agent.sh) writes one command per write(2) to
 * /sys/kernel/debug/lusim_pci/ctl and reads the answer from .../result:
 *
 *   save BDF       pci_save_state(dev)                         -> "ret=N"
 *   store BDF      held = pci_store_saved_state(dev)           -> "ret=N size=N"
 *   stash SLOT     copy the held blob into handover slot SLOT  -> "ret=N size=N crc=0x..."
 *   unstash SLOT   copy slot SLOT into the held blob           -> "ret=N size=N"
 *   load BDF       pci_load_saved_state(dev, held)             -> "ret=N" (e.g. -22)
 *   restore BDF    pci_restore_state(dev)                      -> "ret=0"
 *   buffers BDF    state_saved and every save buffer of dev, in list order:
 *                  "state_saved=N" then "cap nr=0xNN ext=N size=N data=HEX" per buffer
 *   blob           the held blob as hex                        -> "size=N hex=..."
 *   preserve BDF   keep dev's bus master across the kexec      -> "ret=N preserved=N"
 *
 * The handover range is the memmap= reservation lusim boots both kernels with (handover_base,
 * handover_size); slots live in its upper half (kexec/run/handover.ts MODULE_SLOTS), each a 16-byte
 * header { u32 magic "LUSB", u32 size, u32 crc32, u32 0 } and the blob bytes, so the host reads
 * and may rewrite them over qtest before the kexec.
 *
 * The size of a blob and the buffer list come from the kernel's private layouts
 * (drivers/pci/pci.h struct pci_cap_saved_data / pci_cap_saved_state, drivers/pci/pci.c struct
 * pci_saved_state), unchanged since v3.x and restated below under lusim_ names: they are not in
 * include/linux. The host checks what this module reports against its own parse of the blob.
 */
#include <linux/crc32.h>
#include <linux/debugfs.h>
#include <linux/io.h>
#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

static unsigned long handover_base;
static unsigned long handover_size;
module_param(handover_base, ulong, 0444);
MODULE_PARM_DESC(handover_base, "guest-physical base of the memmap= handover range");
module_param(handover_size, ulong, 0444);
MODULE_PARM_DESC(handover_size, "length of the handover range in bytes");

#define SLOT_AREA_OFFSET(size)	((size) / 2)
#define SLOT_SIZE		0x4000
#define SLOT_HEADER		16
#define SLOT_MAGIC		0x4253554c	/* "LUSB" little-endian */
#define RESULT_MAX		8192

/* drivers/pci/pci.h: one save buffer (cap_nr, cap_extended, size in bytes, data). */
struct lusim_cap_saved_data {
	u16 cap_nr;
	bool cap_extended;
	unsigned int size;
	u32 data[];
};

/* drivers/pci/pci.h: the list node on pci_dev.saved_cap_space holding that buffer. */
struct lusim_cap_saved_state {
	struct hlist_node next;
	struct lusim_cap_saved_data cap;
};

/* drivers/pci/pci.c: what pci_store_saved_state() returns. */
struct lusim_saved_state {
	u32 config_space[16];
	struct lusim_cap_saved_data cap[];
};

static DEFINE_MUTEX(lock);
static void *range;
static struct pci_saved_state *held;
static size_t held_size;
static char result[RESULT_MAX];
static size_t result_len;
static struct dentry *dir;

static void say(const char *fmt, ...)
{
	va_list ap;

	if (result_len >= RESULT_MAX)
		return;
	va_start(ap, fmt);
	result_len += vscnprintf(result + result_len, RESULT_MAX - result_len, fmt, ap);
	va_end(ap);
}

static void say_hex(const void *p, size_t n)
{
	const u8 *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		say("%02x", b[i]);
}

/*
 * Bytes of a blob as pci_store_saved_state() sized it: the config header, each entry's header and
 * data, and the zero-size terminator entry. Bounded by max so a corrupt blob cannot run away.
 */
static size_t blob_size(const void *blob, size_t max)
{
	size_t off = offsetof(struct lusim_saved_state, cap);
	const struct lusim_cap_saved_data *cap;

	while (off + sizeof(*cap) <= max) {
		cap = blob + off;
		if (!cap->size)
			return off + sizeof(*cap);
		off += sizeof(*cap) + cap->size;
	}
	return 0;
}

static void drop_held(void)
{
	kfree(held);
	held = NULL;
	held_size = 0;
}

static struct pci_dev *find_dev(const char *arg)
{
	unsigned int domain, bus, slot, fn;
	char tail;

	if (sscanf(arg, "%4x:%2x:%2x.%1x%c", &domain, &bus, &slot, &fn, &tail) != 4 ||
	    slot > 0x1f || fn > 7)
		return NULL;
	return pci_get_domain_bus_and_slot(domain, bus, PCI_DEVFN(slot, fn));
}

static void *slot_addr(unsigned int slot)
{
	unsigned long off = SLOT_AREA_OFFSET(handover_size) + (unsigned long)slot * SLOT_SIZE;

	if (off + SLOT_SIZE > handover_size)
		return NULL;
	return range + off;
}

static void cmd_store(struct pci_dev *dev)
{
	struct pci_saved_state *state = pci_store_saved_state(dev);
	size_t size;

	if (!state) {
		say("ret=%d size=0\n", -ENOENT);
		return;
	}
	size = blob_size(state, SIZE_MAX);	/* the kernel always terminates it */
	drop_held();
	held = state;
	held_size = size;
	say("ret=0 size=%zu\n", size);
}

static void cmd_stash(unsigned int slot)
{
	u8 *p = slot_addr(slot);
	u32 hdr[4];

	if (!p || !held || held_size > SLOT_SIZE - SLOT_HEADER) {
		say("ret=%d size=0\n", !p ? -ERANGE : !held ? -ENOENT : -EFBIG);
		return;
	}
	hdr[0] = SLOT_MAGIC;
	hdr[1] = held_size;
	hdr[2] = crc32_le(~0, (const u8 *)held, held_size) ^ ~0;
	hdr[3] = 0;
	memcpy(p + SLOT_HEADER, held, held_size);
	memcpy(p, hdr, sizeof(hdr));
	say("ret=0 size=%zu crc=0x%08x\n", held_size, hdr[2]);
}

static void cmd_unstash(unsigned int slot)
{
	const u8 *p = slot_addr(slot);
	u32 hdr[4];
	void *copy;

	if (!p) {
		say("ret=%d size=0\n", -ERANGE);
		return;
	}
	memcpy(hdr, p, sizeof(hdr));
	if (hdr[0] != SLOT_MAGIC || hdr[1] > SLOT_SIZE - SLOT_HEADER ||
	    (crc32_le(~0, p + SLOT_HEADER, hdr[1]) ^ ~0) != hdr[2]) {
		say("ret=%d size=0 why=%s\n", -EBADMSG, hdr[0] != SLOT_MAGIC ? "no-blob" :
		    hdr[1] > SLOT_SIZE - SLOT_HEADER ? "too-large" : "crc");
		return;
	}
	/*
	 * pci_load_saved_state() walks entries until a zero size, with no length: refuse a blob
	 * whose entries do not end inside its own size rather than let the kernel read past it.
	 */
	if (blob_size(p + SLOT_HEADER, hdr[1]) != hdr[1]) {
		say("ret=%d size=%u why=unterminated\n", -EBADMSG, hdr[1]);
		return;
	}
	copy = kmemdup(p + SLOT_HEADER, hdr[1], GFP_KERNEL);
	if (!copy) {
		say("ret=%d size=0\n", -ENOMEM);
		return;
	}
	drop_held();
	held = copy;
	held_size = hdr[1];
	say("ret=0 size=%zu\n", held_size);
}

static void cmd_buffers(struct pci_dev *dev)
{
	struct lusim_cap_saved_state *tmp;

	say("state_saved=%u\n", dev->state_saved);
	hlist_for_each_entry(tmp, &dev->saved_cap_space, next) {
		say("cap nr=0x%02x ext=%u size=%u data=", tmp->cap.cap_nr, tmp->cap.cap_extended,
		    tmp->cap.size);
		say_hex(tmp->cap.data, tmp->cap.size);
		say("\n");
	}
}

/*
 * preserve: the one change the PCI Live Update series makes to a kexec's device shutdown
 * ("PCI: liveupdate: skip BME clear on kexec"): drivers/pci/pci-driver.c pci_device_shutdown
 * runs the driver's ->shutdown, then clears bus master when kexec_in_progress and current_state
 * <= PCI_D3hot, and the series adds !pci_liveupdate_is_outgoing(pci_dev) to that condition.
 * Debian's kernels have no Live Update, so a kprobe on pci_clear_master skips the call when it
 * comes from pci_device_shutdown for a preserved device: the return address on the stack at the
 * probed entry is in pci_device_shutdown, or in device_shutdown where the call is
 * pci_device_shutdown's last statement and gcc made it a tail call (7.2.13: the first version of
 * this check missed every call there). Drivers' own calls (e1000e's __e1000_shutdown) and
 * pci_disable_device (nvme) are untouched, as in the series; a driver ->shutdown ending in a
 * tail call to pci_clear_master would be skipped too (none of the drivers lusim's topologies
 * bind does so). sim/kexec-sim/shutdown.ts kernelShutdown is the model of it.
 * Each skip is printed, so the host sees on the console that the emulation took effect.
 */
#define PRESERVED_MAX	32
static struct pci_dev *preserved[PRESERVED_MAX];
static unsigned int n_preserved;
static bool probe_armed;

/* Where a skipped pci_clear_master "returns" from: its caller's return address is still on top. */
static noinline void lusim_skip_return(void)
{
	barrier();
}

static bool is_preserved(struct pci_dev *dev)
{
	unsigned int i;

	for (i = 0; i < n_preserved; i++)
		if (preserved[i] == dev)
			return true;
	return false;
}

static int clear_master_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct pci_dev *dev = (struct pci_dev *)regs->di;	/* x86-64: first argument */
	unsigned long caller = *(unsigned long *)regs->sp;	/* at the entry: the return address */
	char sym[KSYM_SYMBOL_LEN];

	if (!is_preserved(dev))
		return 0;
	sprint_symbol_no_offset(sym, caller);
	if (strcmp(sym, "pci_device_shutdown") && strcmp(sym, "device_shutdown"))
		return 0;
	pr_info("lusim_pci: preserved %s: pci_device_shutdown's pci_clear_master skipped\n", pci_name(dev));
	regs->ip = (unsigned long)lusim_skip_return;
	return 1;
}

/* A post handler makes kprobes arm the probe with FTRACE_OPS_FL_IPMODIFY (kprobes.c arm_kprobe_ftrace). */
static void clear_master_post(struct kprobe *p, struct pt_regs *regs, unsigned long flags)
{
}

static struct kprobe clear_master_probe = {
	.symbol_name = "pci_clear_master",
	.pre_handler = clear_master_pre,
	.post_handler = clear_master_post,
};

static void cmd_preserve(struct pci_dev *dev)
{
	int ret;

	if (is_preserved(dev)) {
		say("ret=0 preserved=%u\n", n_preserved);
		return;
	}
	if (n_preserved == PRESERVED_MAX) {
		say("ret=%d preserved=%u\n", -ENOSPC, n_preserved);
		return;
	}
	if (!probe_armed) {
		ret = register_kprobe(&clear_master_probe);
		if (ret) {
			say("ret=%d preserved=%u\n", ret, n_preserved);
			return;
		}
		probe_armed = true;
	}
	preserved[n_preserved++] = pci_dev_get(dev);
	say("ret=0 preserved=%u\n", n_preserved);
}

static void run(const char *verb, const char *arg)
{
	struct pci_dev *dev = NULL;
	unsigned int slot;

	if (!strcmp(verb, "stash") || !strcmp(verb, "unstash")) {
		if (kstrtouint(arg, 10, &slot)) {
			say("ret=%d bad slot\n", -EINVAL);
			return;
		}
		if (verb[0] == 's')
			cmd_stash(slot);
		else
			cmd_unstash(slot);
		return;
	}
	if (!strcmp(verb, "blob")) {
		say("size=%zu hex=", held_size);
		if (held)
			say_hex(held, held_size);
		say("\n");
		return;
	}
	dev = find_dev(arg);
	if (!dev) {
		say("ret=%d no PCI device %s\n", -ENODEV, arg);
		return;
	}
	if (!strcmp(verb, "save"))
		say("ret=%d\n", pci_save_state(dev));
	else if (!strcmp(verb, "store"))
		cmd_store(dev);
	else if (!strcmp(verb, "load"))
		say("ret=%d\n", held ? pci_load_saved_state(dev, held) : -ENOENT);
	else if (!strcmp(verb, "restore")) {
		pci_restore_state(dev);
		say("ret=0\n");
	} else if (!strcmp(verb, "buffers"))
		cmd_buffers(dev);
	else if (!strcmp(verb, "preserve"))
		cmd_preserve(dev);
	else
		say("ret=%d unknown command %s\n", -EINVAL, verb);
	pci_dev_put(dev);
}

static ssize_t ctl_write(struct file *f, const char __user *ubuf, size_t len, loff_t *pos)
{
	char line[64], *arg;

	if (len >= sizeof(line))
		return -EINVAL;
	if (copy_from_user(line, ubuf, len))
		return -EFAULT;
	line[len] = '\0';
	strim(line);
	arg = strchr(line, ' ');
	if (arg)
		*arg++ = '\0';
	mutex_lock(&lock);
	result_len = 0;
	run(line, arg ? arg : "");
	mutex_unlock(&lock);
	return len;
}

static ssize_t result_read(struct file *f, char __user *ubuf, size_t len, loff_t *pos)
{
	ssize_t n;

	mutex_lock(&lock);
	n = simple_read_from_buffer(ubuf, len, pos, result, result_len);
	mutex_unlock(&lock);
	return n;
}

static const struct file_operations ctl_fops = {
	.owner = THIS_MODULE,
	.write = ctl_write,
};

static const struct file_operations result_fops = {
	.owner = THIS_MODULE,
	.read = result_read,
};

static int __init lusim_pci_init(void)
{
	if (!handover_base || handover_size < 2 * SLOT_SIZE) {
		pr_err("lusim_pci: handover_base and handover_size (>= %d) are required\n", 2 * SLOT_SIZE);
		return -EINVAL;
	}
	range = memremap(handover_base, handover_size, MEMREMAP_WB);
	if (!range) {
		pr_err("lusim_pci: memremap of 0x%lx+0x%lx failed\n", handover_base, handover_size);
		return -ENOMEM;
	}
	dir = debugfs_create_dir("lusim_pci", NULL);
	debugfs_create_file("ctl", 0200, dir, NULL, &ctl_fops);
	debugfs_create_file("result", 0400, dir, NULL, &result_fops);
	return 0;
}

static void __exit lusim_pci_exit(void)
{
	debugfs_remove_recursive(dir);
	if (probe_armed)
		unregister_kprobe(&clear_master_probe);
	while (n_preserved)
		pci_dev_put(preserved[--n_preserved]);
	drop_held();
	memunmap(range);
}

module_init(lusim_pci_init);
module_exit(lusim_pci_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("lusim: the kernel's own pci_save_state/pci_restore_state, driven over debugfs");
