#!/bin/sh
# Debian packages the real-run tests need (README, ecosystem.md). Installs only what is missing;
# needs root or sudo. Everything else lusim needs comes from npm.
set -eu
# make, gcc-12 and binutils build the guest module for bookworm kernels (kexec/guest-module).
# chromium renders the suite's HTML report headless in its test (test/cli/suite-html-browser.test.ts).
# gcc, flex, bison, bc and libelf-dev (objtool) build the LUO kernel (kexec/luo-kernel, `lusim kernels build-luo`).
PKGS="qemu-system-x86 busybox-static kexec-tools pciutils device-tree-compiler cpio make gcc-12 binutils chromium gcc flex bison bc libelf-dev"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo -n"; else
  echo "lusim: need root to install:$missing  (run: apt-get install -y$missing)" >&2; exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
