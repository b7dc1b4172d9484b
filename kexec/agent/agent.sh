# lusim guest agent: a line protocol on ttyS0 (host side: kexec/agent-client.ts).
#
# Every line the agent writes starts with "@@LUSIM <nonce> ", where the nonce comes from the
# host through the kernel command line (lusim.nonce=), so no other console text (boot messages, a
# previous kernel's output) can pass for an answer:
#   READY <uname -r>                 once, when the agent starts
#   BEGIN <id> / D <id> <text> / END <id> <rc>   around each command's output
# Requests are "<id> <COMMAND> [args]". Nothing the host sends is ever evaluated: each argument
# is matched against a strict pattern before it is used, and only as a quoted word.

# LUSIM_CMDLINE_FILE lets the host-side tests run this script outside a guest.
NONCE=none
for w in $(cat "${LUSIM_CMDLINE_FILE:-/proc/cmdline}"); do
  case "$w" in lusim.nonce=*) NONCE="${w#lusim.nonce=}" ;; esac
done
P="@@LUSIM $NONCE"
OUT=/tmp/agent.out

is_bdf() {
  case "$1" in
    [0-9a-f][0-9a-f][0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f].[0-7]) return 0 ;;
    *) return 1 ;;
  esac
}
has_dev() {
  [ -d "/sys/bus/pci/devices/$1" ] || { echo "no PCI device $1"; return 3; }
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
is_id() {
  case "$1" in ''|*[!0-9]*) return 1 ;; esac
  [ "${#1}" -le 9 ]
}

devices() {
  for d in /sys/bus/pci/devices/*; do
    drv=-
    [ -e "$d/driver" ] && drv=$(basename "$(readlink "$d/driver")")
    # reset_method is hidden when the device has no reset method (drivers/pci/pci.c
    # pci_dev_reset_method_attr_is_visible): print "-" then.
    rm_=-
    [ -r "$d/reset_method" ] && rm_=$(cat "$d/reset_method" 2>/dev/null | tr ' ' ',')
    [ -n "$rm_" ] || rm_=-
    echo "bdf=$(basename "$d") vendor=$(cat "$d/vendor") device=$(cat "$d/device") class=$(cat "$d/class") driver=$drv reset_method=$rm_"
  done
}

kload() {
  dir="/lusim/next/$1"
  [ -d "$dir" ] || { echo "no kernel named $1 in this initramfs"; return 2; }
  # kexec_file_load (-s): the hand-built pipeline's path; the cmdline is the one baked in at build
  # time plus the nonce the next agent will answer with.
  kexec -s -l "$dir/vmlinuz" --initrd="$dir/initrd" --command-line="$(cat "$dir/cmdline") lusim.nonce=$2"
}

bad() { echo "bad arguments for $cmd"; return 2; }

run() {
  cmd=$1 a=$2 b=$3
  case "$cmd" in
    PING) [ -z "$a" ] || bad ;;
    UNAME) [ -z "$a" ] || bad && uname -r ;;
    DEVICES) [ -z "$a" ] || bad && devices ;;
    IOMEM) [ -z "$a" ] || bad && cat /proc/iomem ;;
    LOG) [ -z "$a" ] || bad && cat /tmp/init.log && lsmod ;;
    CONFIG) is_bdf "$a" && [ -z "$b" ] || bad && has_dev "$a" && hexdump -v -e '16/1 "%02x" "\n"' "/sys/bus/pci/devices/$a/config" ;;
    UNBIND)
      is_bdf "$a" && [ -z "$b" ] || bad || return
      has_dev "$a" || return
      [ -e "/sys/bus/pci/devices/$a/driver" ] || { echo "$a has no driver"; return 3; }
      echo "$a" > "/sys/bus/pci/devices/$a/driver/unbind" ;;
    BIND)
      is_bdf "$a" && is_name "$b" || bad || return
      has_dev "$a" || return
      [ -d "/sys/bus/pci/drivers/$b" ] || { echo "no driver $b"; return 3; }
      echo "$a" > "/sys/bus/pci/drivers/$b/bind" ;;
    RESET)
      is_bdf "$a" && [ -z "$b" ] || bad || return
      has_dev "$a" || return
      [ -e "/sys/bus/pci/devices/$a/reset" ] || { echo "$a has no reset method"; return 3; }
      echo 1 > "/sys/bus/pci/devices/$a/reset" ;;
    KLOAD) is_name "$a" && is_nonce "$b" || bad && kload "$a" "$b" ;;
    # kexec -e does not return when it works: the host then waits for the next agent's READY.
    KEXEC) [ -z "$a" ] || bad && sync && kexec -e ;;
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
