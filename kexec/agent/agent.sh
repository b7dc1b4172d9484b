# lusim guest agent: a line protocol on ttyS0 (host side: kexec/guest/agent-client.ts).
#
# Every line the agent writes starts with "@@LUSIM <nonce> ", where the nonce comes from the
# host through the kernel command line (lusim.nonce=), so no other console text (boot messages, a
# previous kernel's output) can pass for an answer:
#   READY <uname -r>                 once, when the agent starts
#   BEGIN <id> / D <id> <text> / END <id> <rc>   around each command's output
# Requests are "<id> <COMMAND> [args]". Nothing the host sends is ever evaluated: each argument
# is matched against a strict pattern before it is used, and only as a quoted word.

# LUSIM_CMDLINE_FILE, LUSIM_SYS (a sysfs root) and LUSIM_TMP (a scratch directory, not the host's
# shared /tmp) let the host-side tests run this script outside a guest.
SYS=${LUSIM_SYS:-/sys}
NONCE=none
for w in $(cat "${LUSIM_CMDLINE_FILE:-/proc/cmdline}"); do
  case "$w" in lusim.nonce=*) NONCE="${w#lusim.nonce=}" ;; esac
done
P="@@LUSIM $NONCE"
OUT=${LUSIM_TMP:-/tmp}/agent.out

is_bdf() {
  case "$1" in
    [0-9a-f][0-9a-f][0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f].[0-7]) return 0 ;;
    *) return 1 ;;
  esac
}
has_dev() {
  [ -d "$SYS/bus/pci/devices/$1" ] || { echo "no PCI device $1"; return 3; }
}
# Driver, kernel and module names: [a-z0-9_-], 1..32 characters.
is_name() {
  case "$1" in ''|*[!a-z0-9_-]*) return 1 ;; esac
  [ "${#1}" -le 32 ]
}
is_nonce() {
  case "$1" in ''|*[!0-9a-f]*) return 1 ;; esac
  [ "${#1}" -ge 8 ] && [ "${#1}" -le 32 ]
}
# A VF count: 1..255 (PCI_SRIOV_NUM_VF is 16 bits, QEMU's nvme caps TotalVFs far lower).
is_count() {
  case "$1" in ''|0*|*[!0-9]*) return 1 ;; esac
  [ "${#1}" -le 3 ] && [ "$1" -le 255 ]
}
is_id() {
  case "$1" in ''|*[!0-9]*) return 1 ;; esac
  [ "${#1}" -le 9 ]
}

# The kernel log from line $1 on (what a request made it say, and whatever else it said since),
# without a WARN's or Oops' register lines, stack frames and boilerplate (its kernel RIP line stays:
# it names the function); the last 8 lines of it.
kernel_log_since() {
  dmesg | tail -n "+$1" | grep -v -e '\]  ' -e '\] R[ABCDS0-9][A-Z0-9]*: ' -e '\] [CDEFG]S: ' -e '\] CR2: ' -e 'Code: ' \
    -e 'Modules linked in' -e 'Hardware name' -e '\] CPU: ' -e 'cut here' -e 'end trace' -e 'Call Trace' -e 'RIP: 0033' | tail -n 8
}

# Only shell builtins (read, cd, parameter expansion): under TCG every fork+exec costs several
# milliseconds, and the cycle lists devices four times (basename/readlink/cat/tr per device took
# 200-290 ms for 8 functions; see docs/real-run.md).
devices() {
  for d in "$SYS"/bus/pci/devices/*; do
    drv=-
    [ -e "$d/driver" ] && cd -P "$d/driver" 2>/dev/null && drv=${PWD##*/}
    cd /
    # reset_method is hidden when the device has no reset method (drivers/pci/pci.c
    # pci_dev_reset_method_attr_is_visible): print "-" then.
    rm_=
    [ -r "$d/reset_method" ] && read -r rm_ 2>/dev/null < "$d/reset_method"
    rm_=${rm_// /,}
    read -r vendor < "$d/vendor"
    read -r device < "$d/device"
    read -r class < "$d/class"
    echo "bdf=${d##*/} vendor=$vendor device=$device class=$class driver=$drv reset_method=${rm_:--}"
  done
}

kload() {
  dir="/lusim/next/$1"
  [ -d "$dir" ] || { echo "no kernel named $1 in this initramfs"; return 2; }
  read -r memmin < "$dir/mem-min"
  case "$memmin" in 0x[0-9a-f]*) ;; *) echo "bad mem-min in $dir"; return 2 ;; esac
  # kexec_load (-l) with -i: kexec-tools skips the SHA-256 of the segments, and purgatory its
  # check of them (purgatory/purgatory.c: skip_checks), two passes over ~19 MiB that took about
  # 1.4 s under TCG (kexec_file_load, -s, cannot skip its digest: docs/real-run.md).
  # kexec-tools places segments from /sys/firmware/memmap, which does not show memmap=, so
  # --mem-min keeps every segment above the handover range (kexec/kexec.c locate_hole,
  # valid_memory_range). The cmdline is the one baked in at build time plus the next agent's nonce.
  # A kernel reached through LUO needs kexec_file_load (-s): KHO hands its data over only there
  # (kernel/kexec_file.c kimage_file_prepare_segments -> kho_fill_kimage). The kernel places the
  # segments itself (kexec_locate_mem_hole): in KHO scratch memory when KHO is on, else in System
  # RAM; a memmap= range is neither, so --mem-min is not needed there.
  if [ -e "$dir/kexec-file" ]; then
    kexec -s -l "$dir/vmlinuz" --initrd="$dir/initrd" --command-line="$(cat "$dir/cmdline") lusim.nonce=$2"
    return
  fi
  kexec -l -i --mem-min="$memmin" "$dir/vmlinuz" --initrd="$dir/initrd" --command-line="$(cat "$dir/cmdline") lusim.nonce=$2"
}

# KLUO save|load: the handover range through LUO (kexec/luo-helper/lusim_luo.c), its range from
# lusim/luo.params (written by the host into the initramfs, never taken from the request).
kluo() {
  [ -x /lusim/lusim_luo ] || { echo "luo-missing: this initramfs has no lusim_luo"; return 5; }
  read -r base size < /lusim/luo.params
  /lusim/lusim_luo "$1" "$base" "$size"
}

# lusim's guest module (kexec/guest-module/lusim_pci.c): its debugfs control file and answers.
# LUSIM_DEBUGFS lets the host-side tests point the agent at a stand-in for debugfs.
DBG=${LUSIM_DEBUGFS:-/sys/kernel/debug}/lusim_pci
kmod() {
  [ -f /lusim/lusim_pci.ko ] || { echo "no guest module in this initramfs"; return 3; }
  [ -d "$DBG" ] && return 0
  grep -q debugfs /proc/filesystems || { echo "debugfs-missing: this kernel has no debugfs"; return 5; }
  grep -q ' /sys/kernel/debug ' /proc/mounts || mount -t debugfs debugfs /sys/kernel/debug || { echo "debugfs-missing: mount failed"; return 5; }
  read -r params < /lusim/lusim_pci.params
  # shellcheck disable=SC2086 # params is "handover_base=0x... handover_size=0x..." from the image builder
  insmod /lusim/lusim_pci.ko $params || { echo "load-failed: insmod refused the module"; dmesg | tail -n 8; return 4; }
  [ -w "$DBG/ctl" ] || { echo "debugfs-missing: $DBG/ctl did not appear"; return 5; }
}
is_slot() {
  case "$1" in [0-9]|[0-2][0-9]|3[01]) return 0 ;; *) return 1 ;; esac
}
# KPCI <verb> <arg>: one module command, its answer on stdout (see lusim_pci.c).
kpci() {
  case "$1" in
    save|store|load|restore|buffers|preserve) is_bdf "$2" || bad || return ;;
    stash|unstash) is_slot "$2" || bad || return ;;
    blob) [ -z "$2" ] || bad || return ;;
    *) bad; return ;;
  esac
  [ -w "$DBG/ctl" ] || { echo "debugfs-missing: the guest module is not loaded (KMOD first)"; return 5; }
  # Builtins only (read, echo): a fork+exec of cat costs several ms under TCG (see devices()).
  echo "$1 $2" > "$DBG/ctl" || return
  while IFS= read -r l; do echo "$l"; done < "$DBG/result"
}

bad() { echo "bad arguments for $cmd"; return 2; }

# A phase marker in QEMU's config-write trace, as /init writes them (kexec/qemu/write-trace.ts).
mark() {
  printf 'LUS%s' "$1" | dd of="$SYS/bus/pci/devices/0000:00:00.0/config" bs=4 count=1 conv=notrunc 2>/dev/null
  return 0
}

run() {
  cmd=$1 a=$2 b=$3
  case "$cmd" in
    PING) [ -z "$a" ] || bad ;;
    UNAME) [ -z "$a" ] || bad && uname -r ;;
    DEVICES) [ -z "$a" ] || bad && devices ;;
    IOMEM) [ -z "$a" ] || bad && cat /proc/iomem ;;
    LOG) [ -z "$a" ] || bad && cat /tmp/init.log && lsmod ;;
    CONFIG) is_bdf "$a" && [ -z "$b" ] || bad && has_dev "$a" && hexdump -v -e '16/1 "%02x" "\n"' "$SYS/bus/pci/devices/$a/config" ;;
    UNBIND)
      is_bdf "$a" && [ -z "$b" ] || bad || return
      has_dev "$a" || return
      [ -e "$SYS/bus/pci/devices/$a/driver" ] || { echo "$a has no driver"; return 3; }
      echo "$a" > "$SYS/bus/pci/devices/$a/driver/unbind" ;;
    BIND)
      is_bdf "$a" && is_name "$b" || bad || return
      has_dev "$a" || return
      [ -d "$SYS/bus/pci/drivers/$b" ] || { echo "no driver $b"; return 3; }
      echo "$a" > "$SYS/bus/pci/drivers/$b/bind" ;;
    RESET)
      is_bdf "$a" && [ -z "$b" ] || bad || return
      has_dev "$a" || return
      [ -e "$SYS/bus/pci/devices/$a/reset" ] || { echo "$a has no reset method"; return 3; }
      echo 1 > "$SYS/bus/pci/devices/$a/reset" ;;
    # Enable N VFs (pci-sysfs.c sriov_numvfs_store -> the PF driver's sriov_configure), without
    # probing drivers on them (sriov_drivers_autoprobe 0): a VF of QEMU's nvme has no controller
    # online until the PF's virtualization management commands give it resources.
    SRIOV)
      is_bdf "$a" && is_count "$b" || bad || return
      has_dev "$a" || return
      [ -e "$SYS/bus/pci/devices/$a/sriov_numvfs" ] || { echo "$a has no SR-IOV capability (or its driver cannot enable VFs)"; return 3; }
      echo 0 > "$SYS/bus/pci/devices/$a/sriov_drivers_autoprobe" || return
      # The kernel says why it refused only in its log (kobject, pci_device_add's WARN), below
      # `quiet`'s level: what it logged from the write on.
      logged=$(dmesg | wc -l)
      err=$( { echo "$b" > "$SYS/bus/pci/devices/$a/sriov_numvfs"; } 2>&1 ) || { echo "the kernel refused sriov_numvfs=$b on $a (${err##*: }); it logged:"; out=$(kernel_log_since $((logged + 1))); echo "${out:-(nothing)}"; return 1; } ;;
    KMOD) [ -z "$a" ] || bad && kmod ;;
    KPCI) kpci "$a" "$b" ;;
    KLUO) case "$a" in save|load) [ -z "$b" ] || bad && kluo "$a" ;; *) bad ;; esac ;;
    KLOAD) is_name "$a" && is_nonce "$b" || bad && kload "$a" "$b" ;;
    # kexec -e does not return when it works: the host then waits for the next agent's READY.
    # The marker k (see /init's mark) puts what follows in the trace in kernel A's shutdown.
    KEXEC) [ -z "$a" ] || bad && sync && mark k && kexec -e ;;
    POWEROFF) [ -z "$a" ] || bad && poweroff -f ;;
    *) echo "unknown command $cmd"; return 64 ;;
  esac
}

echo "$P READY $(uname -r)"
while :; do
  IFS=' ' read -r id cmd a b extra || { sleep 1; continue; }
  is_id "$id" || { echo "$P BAD request"; continue; }
  echo "$P BEGIN $id"
  if [ -n "$extra" ]; then
    echo "too many arguments" > "$OUT"; rc=2
  else
    run "$cmd" "$a" "$b" > "$OUT" 2>&1
    rc=$?
  fi
  while IFS= read -r l; do echo "$P D $id $l"; done < "$OUT"
  echo "$P END $id $rc"
done
