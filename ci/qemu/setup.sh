#!/usr/bin/env bash
# ci/qemu/setup.sh: installs what the QEMU VM tests need, from Debian's apt mirrors only.
#   * qemu-system-x86 from bookworm-backports (QEMU 10 has `-device igb`; bookworm's 7.2 does not)
#   * busybox-static and cpio (the guest's initramfs), tshark (checks the captured frames on the host)
#   * a Debian bookworm linux-image-6.1.*-amd64 package, downloaded and unpacked (not installed) into
#     $NICSIM_QEMU_CACHE (default /var/cache/nicsim-qemu)/linux: the guest kernel and its vfio modules.
#   * QEMU 11 (trixie-backports; it has the vfio-user client, `-device vfio-user-pci`) in a private root,
#     $NICSIM_QEMU_CACHE/qemu11, without touching the system: a private apt configuration (its own source list,
#     lists, cache and an empty dpkg status) downloads qemu-system-x86 and its dependencies, `dpkg -x` unpacks
#     them, and $NICSIM_QEMU_CACHE/qemu11/qemu-system-x86_64 runs that QEMU through the root's own dynamic
#     loader and libraries (tests/qemu:qemu_vfio_user_test). A failure here is reported and skipped: the
#     other QEMU tests do not need it.
#   * DPDK 22.11 (bookworm's dpdk-dev: dpdk-testpmd and the librte-* libraries, the ixgbe PMD among them) the
#     same way, in $NICSIM_QEMU_CACHE/dpdk, for the guest of tests/qemu:qemu_dpdk_test (build_guest.sh -D).
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

# Private roots (QEMU 11, DPDK; see the top): a private apt configuration downloads PACKAGE and its whole
# dependency closure (an empty dpkg status: the machine's own packages are not assumed), `dpkg -x` unpacks
# every package into ROOT. The mirror is the one the machine's apt sources already name.
private_root() {  # private_root ROOT "SUITE..." DEFAULT_RELEASE PACKAGE...
  local root="$1" suites="$2" release="$3" uri apt opts deb s
  shift 3
  uri=$(grep -hE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list \
          2>/dev/null | grep -oE '(https?|file)://[^ ]*/debian/?( |$)' | grep -v security | head -1 | tr -d ' ' || true)
  [ -n "$uri" ] || { say "$root: no Debian mirror URI in the apt sources to reuse"; return 1; }
  apt="$root-apt"
  say "downloading $* ($suites from $uri) and unpacking it into a private root $root"
  $sudo rm -rf "$apt" "$root"
  $sudo mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$root"
  $sudo touch "$apt/status"
  for s in $suites; do
    printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' "$uri" "$s"
  done | $sudo tee "$apt/sources.list" >/dev/null
  opts=(-o Dir::Etc::sourcelist="$apt/sources.list" -o Dir::Etc::sourceparts=- -o Dir::State::Lists="$apt/lists"
        -o Dir::Cache="$apt/cache" -o Dir::State::status="$apt/status" -o APT::Architecture=amd64
        -o APT::Sandbox::User=root -o Debug::NoLocking=1)
  $sudo apt-get "${opts[@]}" update -qq || { say "$root: apt-get update ($suites) failed"; return 1; }
  $sudo apt-get "${opts[@]}" install -y -qq --download-only --no-install-recommends -t "$release" "$@" \
    >/dev/null || { say "$root: downloading $* from $release failed"; return 1; }
  for deb in "$apt"/cache/archives/*.deb; do $sudo dpkg -x "$deb" "$root" || return 1; done
  # What came from where, for build_guest.sh's report and a reader: package, version.
  for deb in "$apt"/cache/archives/*.deb; do dpkg-deb --showformat='${Package} ${Version}\n' -W "$deb"; done |
    $sudo tee "$root/.packages" >/dev/null
  $sudo rm -rf "$apt/cache/archives"
}

# QEMU 11 (trixie-backports: it has the vfio-user client, `-device vfio-user-pci`) in $cache/qemu11.
qemu11="$cache/qemu11"
qemu11_ok() { [ -f "$qemu11/.complete" ] && "$qemu11/qemu-system-x86_64" -device help 2>/dev/null | grep -q '"vfio-user-pci"'; }
install_qemu11() {
  private_root "$qemu11" "trixie trixie-backports" trixie-backports qemu-system-x86 || return 1
  # The launcher: the root's dynamic loader with the root's libraries, firmware and modules.
  $sudo tee "$qemu11/qemu-system-x86_64" >/dev/null <<'LAUNCHER'
#!/bin/sh
# QEMU from this private root (ci/qemu/setup.sh), run by the root's own loader and libraries.
r=$(cd "$(dirname "$0")" && pwd)
QEMU_MODULE_DIR="$r/usr/lib/x86_64-linux-gnu/qemu" exec "$r/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" \
  --library-path "$r/usr/lib/x86_64-linux-gnu:$r/lib/x86_64-linux-gnu" "$r/usr/bin/qemu-system-x86_64" -L "$r/usr/share/qemu" "$@"
LAUNCHER
  $sudo chmod 755 "$qemu11/qemu-system-x86_64"
  "$qemu11/qemu-system-x86_64" --version | head -1 | $sudo tee "$qemu11/.complete" >/dev/null
  qemu11_ok || { say "QEMU 11: the unpacked QEMU does not run or has no vfio-user-pci"; return 1; }
}

# DPDK 22.11 (bookworm's dpdk-dev package holds dpdk-testpmd; the librte-* libraries, the ixgbe PMD among them,
# are its dependencies) in $cache/dpdk, for the guest of tests/qemu:qemu_dpdk_test: build_guest.sh -D packs
# testpmd and the libraries it loads from there. Never installed on the machine; nothing built from sources.
dpdk="$cache/dpdk"
dpdk_ok() { [ -f "$dpdk/.complete" ] && [ -x "$dpdk/usr/bin/dpdk-testpmd" ] && [ -f "$dpdk/usr/libexec/coreutils/libstdbuf.so" ]; }
install_dpdk() {
  # coreutils for libstdbuf.so: testpmd's output line-buffered into a file the guest script reads as it goes.
  private_root "$dpdk" bookworm bookworm dpdk-dev librte-mempool-ring23 coreutils || return 1
  [ -x "$dpdk/usr/bin/dpdk-testpmd" ] || { say "DPDK: no usr/bin/dpdk-testpmd in dpdk-dev"; return 1; }
  awk '$1 == "dpdk-dev" { print "dpdk-dev " $2 }' "$dpdk/.packages" | $sudo tee "$dpdk/.complete" >/dev/null
}

# A failed attempt is not repeated for a day ($cache/NAME.unavailable): ./bazelw runs this script whenever a
# piece is missing, and an unreachable suite must not cost every build an apt-get update.
for piece in qemu11 dpdk; do
  unavailable="$cache/$piece.unavailable"
  if ! "${piece}_ok" && ! [ -n "$(find "$unavailable" -mmin -1440 2>/dev/null)" ]; then
    if "install_$piece"; then
      $sudo rm -f "$unavailable"
    else
      say "$piece is not available: the QEMU tests that need it will skip (retried after a day)"
      $sudo mkdir -p "$cache" && $sudo touch "$unavailable"
    fi
  fi
done

say "ready: $(qemu-system-x86_64 --version | head -1); guest kernel $(cat "$cache/linux/.complete") in $cache/linux"
qemu11_ok && say "ready: $(cat "$qemu11/.complete") (vfio-user) in $qemu11"
dpdk_ok && say "ready: DPDK ($(cat "$dpdk/.complete")) in $dpdk"
true
