#!/usr/bin/env bash
# Runs a command as root with a real IPVS kernel, in a network namespace of its own.
#
#   hack/kernel-run.sh [--which] [--] COMMAND [ARGS...]
#
# Two paths, chosen once per call (KIPVS_KERNEL=native|uml|auto, default auto):
#   native  the host kernel has IPVS (e.g. a GitHub ubuntu runner): load the modules, then run the
#           command in a fresh network namespace and a private mount namespace (so `ip netns add`
#           pods stay inside it).
#   uml     otherwise: boot User-Mode Linux 7.x taken from Debian's packages (see hack/uml/fetch.sh),
#           with the host's filesystem as its root, run the command as init's child, carry its exit
#           status back through a file. The whole run is bounded by `timeout -k`.
# When neither path can work it stops at once and says why and what to install.
# --which prints the chosen path and the reason, and runs nothing (used by the unit tests).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# the modules the tests need: IPVS and its schedulers, links, bridge filtering, conntrack, nf_tables
KIPVS_MODULES=${KIPVS_MODULES:-"ip_vs ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_sh ip_vs_mh ip_vs_sed ip_vs_nq ip_vs_dh ip_vs_lblc ip_vs_lblcr ip_vs_fo ip_vs_ovf nf_conntrack dummy veth bridge br_netfilter nf_tables nf_nat nft_ct nft_masq"}
timeout_s=${KIPVS_KERNEL_TIMEOUT:-3600}

which_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --which) which_only=1; shift ;;
    --) shift; break ;;
    *) break ;;
  esac
done

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }

# --- path choice -------------------------------------------------------------------------------
# Probes may be forced through KIPVS_PROBE_NATIVE / KIPVS_PROBE_UML (yes|no) so the choice itself is
# testable on any machine.
probe_native() {
  case "${KIPVS_PROBE_NATIVE:-}" in yes) return 0 ;; no) return 1 ;; esac
  [ -d /proc/net/ip_vs ] || [ -e /proc/net/ip_vs ] && return 0
  command -v modprobe >/dev/null 2>&1 || return 1
  as_root modprobe ip_vs >/dev/null 2>&1 || return 1
  [ -e /proc/net/ip_vs ]
}
uml_missing() {
  # prints what the UML path lacks on this machine, nothing when it can work
  case "${KIPVS_PROBE_UML:-}" in yes) return 0 ;; no) echo "UML disabled by KIPVS_PROBE_UML=no"; return 0 ;; esac
  local miss=()
  [ "$(uname -m)" = x86_64 ] || { echo "UML from Debian is used here only on x86_64 (this is $(uname -m))"; return 0; }
  [ "$(id -u)" = 0 ] || miss+=("root (run as root or with sudo)")
  for t in apt-get dpkg-deb patchelf modprobe timeout; do command -v "$t" >/dev/null 2>&1 || miss+=("$t"); done
  [ ${#miss[@]} -eq 0 ] || echo "missing: ${miss[*]} (Debian packages: apt-get install -y patchelf kmod coreutils)"
}
choose_path() {
  local want=${KIPVS_KERNEL:-auto} why
  case "$want" in
    native)
      probe_native || { echo "fail: KIPVS_KERNEL=native but this kernel has no IPVS (modprobe ip_vs failed; needs root/sudo and the ip_vs module)"; return; }
      echo "native: forced by KIPVS_KERNEL=native"; return ;;
    uml)
      why=$(uml_missing)
      [ -z "$why" ] || { echo "fail: KIPVS_KERNEL=uml but $why"; return; }
      echo "uml: forced by KIPVS_KERNEL=uml"; return ;;
    auto) ;;
    *) echo "fail: KIPVS_KERNEL must be native, uml or auto (got '$want')"; return ;;
  esac
  if probe_native; then echo "native: the host kernel has IPVS"; return; fi
  why=$(uml_missing)
  if [ -z "$why" ]; then echo "uml: the host kernel has no IPVS; booting User-Mode Linux"; return; fi
  echo "fail: the host kernel has no IPVS (modprobe ip_vs failed) and User-Mode Linux cannot run here: $why"
}

choice=$(choose_path)
if [ "$which_only" = 1 ]; then echo "$choice"; exit 0; fi
case "$choice" in
  fail:*) echo "kernel-run: ${choice#fail: }" >&2; exit 3 ;;
esac
[ $# -gt 0 ] || { echo "usage: hack/kernel-run.sh [--which] [--] COMMAND [ARGS...]" >&2; exit 2; }
echo "kernel-run: ${choice}" >&2

# --- native path -------------------------------------------------------------------------------
if [ "${choice%%:*}" = native ]; then
  for m in $KIPVS_MODULES; do as_root modprobe "$m" 2>/dev/null || echo "kernel-run: modprobe $m failed (continuing)" >&2; done
  inner=$(cat <<'EOS'
set -e
mkdir -p /run/netns
mount -t tmpfs kipvs-netns /run/netns
ip link set lo up
cd "$KIPVS_CWD"
echo "kernel-run: kernel $(uname -r) (native, fresh network namespace)" >&2
exec "$@"
EOS
)
  # sudo's secure_path would hide the Node that setup-node or with-node.sh put on PATH
  sudo_=(); [ "$(id -u)" = 0 ] || sudo_=(sudo -n --preserve-env env "PATH=$PATH")
  exec timeout -k 10 "$timeout_s" env KIPVS_CWD="$PWD" KIPVS_KERNEL_PATH=native \
    "${sudo_[@]}" unshare --net --mount --propagation private -- bash -c "$inner" kernel-run "$@"
fi

# --- UML path ----------------------------------------------------------------------------------
uml_dir=$(bash "$root/hack/uml/fetch.sh")
# shellcheck source=/dev/null
. "$uml_dir/uml.env"   # UML_BIN, UML_MODROOT, UML_KVER
work=$(mktemp -d "${TMPDIR:-/tmp}/kipvs-uml.XXXXXX")
trap 'rm -rf "$work"' EXIT
touch "$work/stdout" "$work/stderr"
chmod 755 "$work"

# the command's environment crosses into the guest as a sourced file
{
  export -p | grep -vE '^declare -x (BASHOPTS|SHELLOPTS|BASH_[A-Z_]*|SHLVL|PWD|OLDPWD|_)='
  printf 'export KIPVS_KERNEL_PATH=uml\n'
  printf 'cd %q\n' "$PWD"
  printf 'set --'; printf ' %q' "$@"; printf '\n'
} > "$work/env"

cat > "$work/init" <<EOS
#!/bin/bash
# init of the UML guest: minimal mounts, modules, loopback, then the command
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
exec 2>>"$work/stderr"
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs tmpfs /run
mkdir -p /run/netns
mount -t tmpfs tmpfs /dev/shm 2>/dev/null
echo 1 > /proc/sys/kernel/printk
# Node's libuv maps io_uring rings; fork() of such a process breaks UML 7.2 (real-kernel.md)
echo 2 > /proc/sys/kernel/io_uring_disabled
for m in $KIPVS_MODULES; do modprobe -d "$UML_MODROOT" "\$m" >/dev/null 2>&1 || echo "kernel-run: modprobe \$m failed (continuing)" >&2; done
ip link set lo up
hostname kipvs-uml
. "$work/env"
echo "kernel-run: kernel \$(uname -r) (User-Mode Linux)" >&2
"\$@" >>"$work/stdout" </dev/null
echo \$? > "$work/rc"
sync
halt -f 2>/dev/null
EOS
chmod +x "$work/init"

# seccomp=auto: where the host allows it, the guest's processes trap their own system calls and page
# faults instead of being traced with ptrace; a fresh page costs ~25 us instead of ~60 (measured:
# 64 MiB first touched in 0.41 s against 1.02 s) and the kernel tests run in 1m15s instead of ~2m.
# It trusts the guest's processes with the kernel's memory, which our own tests are.
# KIPVS_UML_SECCOMP=off (or on) overrides the choice.
# One host CPU for the whole guest: UML's kernel and its processes hand its one virtual CPU back and
# forth at every system call and page fault, and across two host CPUs each hand-over is a cross-CPU
# wake-up (2000x5 cold sync in cold-ab.ts: ~860-940 ms pinned against ~1,280-1,430 unpinned).
# KIPVS_UML_PIN=off leaves the guest to the host's scheduler.
pin=()
if [ "${KIPVS_UML_PIN:-auto}" != off ] && command -v taskset >/dev/null 2>&1; then
  cpu=$(taskset -pc $$ 2>/dev/null | sed 's/.*: //' | tr ',' '\n' | tail -n 1 | sed 's/.*-//')
  [ -n "$cpu" ] && pin=(taskset -c "$cpu")
fi
timeout -k 10 "$timeout_s" "${pin[@]}" "$UML_BIN" mem="${KIPVS_UML_MEM:-3G}" seccomp="${KIPVS_UML_SECCOMP:-auto}" \
  root=/dev/root rootfstype=hostfs rootflags=/ rw quiet init="$work/init" con=null con0=null,fd:3 3>"$work/console" </dev/null >/dev/null 2>&1 &
uml_pid=$!
tail -n +1 -s 0.2 -f --pid="$uml_pid" "$work/stdout" &
t1=$!
tail -n +1 -s 0.2 -f --pid="$uml_pid" "$work/stderr" >&2 &
t2=$!
set +e
wait "$uml_pid"
uml_rc=$?
wait "$t1" "$t2"
set -e
if [ ! -s "$work/rc" ]; then
  echo "kernel-run: the UML kernel ended without the command's exit status (uml exit $uml_rc; 124 = timed out after ${timeout_s}s). Its console:" >&2
  tail -n 40 "$work/console" >&2 || true
  exit 125
fi
exit "$(cat "$work/rc")"
