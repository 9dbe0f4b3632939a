#!/usr/bin/env bash
# ci/qemu/setup.sh: installs what the QEMU VM tests need, from Debian's apt mirrors only.
#   * qemu-system-x86 from bookworm-backports (QEMU 10 has `-device igb`; bookworm's 7.2 does not)
#   * busybox-static and cpio (the guest's initramfs), tshark (checks the captured frames on the host)
#   * a Debian bookworm linux-image-6.1.*-amd64 package, downloaded and unpacked (not installed) into
#     $NICSIM_QEMU_CACHE (default /var/cache/nicsim-qemu)/linux: the guest kernel and its vfio modules.
# Idempotent: when everything is present it only checks and exits (well under a second).
set -euo pipefail

cache="${NICSIM_QEMU_CACHE:-/var/cache/nicsim-qemu}"
backports_list=/etc/apt/sources.list.d/nicsim-bookworm-backports.sources
say() { echo "ci/qemu/setup.sh: $*" >&2; }
installed() { dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null | grep -qx installed; }

sudo=
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { say "need root (or sudo) to install packages"; exit 1; }
  sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive

# The backports suite, on the same mirror the machine already uses (no host is named in this repo).
updated=""
update() { [ -n "$updated" ] || { say "apt-get update"; $sudo apt-get update -qq; updated=1; }; }
if [ ! -f "$backports_list" ]; then
  uri=$(grep -hE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list \
          2>/dev/null | grep -oE '(https?|file)://[^ ]*/debian/?( |$)' | grep -v security | head -1 | tr -d ' ' || true)
  [ -n "$uri" ] || { say "no Debian mirror URI found in the apt sources to reuse for bookworm-backports"; exit 1; }
  say "adding bookworm-backports from $uri ($backports_list)"
  printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: %s\n' \
    "$uri" /usr/share/keyrings/debian-archive-keyring.gpg | $sudo tee "$backports_list" >/dev/null
  update
fi

missing=()
for p in busybox-static cpio tshark; do installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  update
  say "installing ${missing[*]}"
  echo 'wireshark-common wireshark-common/install-setuid boolean false' | $sudo debconf-set-selections
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! installed qemu-system-x86 || ! qemu-system-x86_64 -device help 2>/dev/null | grep '"igb"' >/dev/null; then
  update
  say "installing qemu-system-x86 from bookworm-backports"
  $sudo apt-get install -y -qq --no-install-recommends -t bookworm-backports qemu-system-x86 >/dev/null
fi

# The guest kernel: the bookworm 6.1 image apt offers (linux-image-amd64's dependency), unpacked only.
if [ ! -f "$cache/linux/.complete" ]; then
  pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-6\.1\.[0-9.-]*-amd64/ {print $2; exit}')
  [ -n "$pkg" ] || pkg=$(apt-cache search --names-only '^linux-image-6\.1\.[0-9.-]+-amd64$' | awk '{print $1}' | sort -V | tail -1)
  [ -n "$pkg" ] || { update; pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-6\.1/ {print $2; exit}'); }
  [ -n "$pkg" ] || { say "apt offers no linux-image-6.1.*-amd64 package"; exit 1; }
  say "downloading $pkg and unpacking it (not installing) into $cache/linux"
  $sudo mkdir -p "$cache"
  tmp=$(mktemp -d) && chmod 0777 "$tmp"  # apt downloads as user _apt
  (cd "$tmp" && apt-get download -qq "$pkg")
  $sudo rm -rf "$cache/linux"
  $sudo dpkg -x "$tmp"/"$pkg"_*.deb "$cache/linux"
  rm -rf "$tmp"
  echo "$pkg" | $sudo tee "$cache/linux/.complete" >/dev/null
fi
say "ready: $(qemu-system-x86_64 --version | head -1); guest kernel $(cat "$cache/linux/.complete") in $cache/linux"
