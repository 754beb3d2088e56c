#!/usr/bin/env bash
# Removes what kube-proxy's IPVS mode leaves in a node's firewall once its DaemonSet is gone and
# kube-ipvs-proxy serves the node (docs/install.md, "Migrating from kube-proxy's IPVS mode"):
#   - its iptables chains in the nat, filter and mangle tables (IPv4 and IPv6, legacy and nft
#     backends alike) and the jumps into them from the built-in chains, one atomic
#     iptables-restore --noflush per table
#   - then its ipsets (KUBE-*, KUBE-6-* for IPv6)
# It never touches IPVS, kube-ipvs0, conntrack or sysctls (kube-ipvs-proxy has taken those over),
# nor the chains the kubelet owns (KUBE-FIREWALL, KUBE-KUBELET-CANARY, KUBE-IPTABLES-HINT).
# A chain that something other than kube-proxy still jumps to (e.g. a CNI using KUBE-MARK-MASQ) is
# left alone and reported.
#
#   remove-kube-proxy-leftovers.sh [--tables=nat,filter,mangle]           print what would be removed
#   remove-kube-proxy-leftovers.sh [--tables=nat,filter,mangle] --apply   remove it (as root, on the node)
# --tables limits the iptables tables handled (e.g. --tables=filter keeps kube-proxy's masquerading in
# nat); ipsets are destroyed only where no rule uses them any more.
#
# Do NOT use `kube-proxy --cleanup` for this: it also flushes every IPVS virtual server.
set -euo pipefail

apply=0
tables="nat filter mangle"
for arg in "$@"; do
  case "$arg" in
    --apply) apply=1 ;;
    --tables=*) tables=${arg#--tables=}; tables=${tables//,/ } ;;
    *) echo "usage: $0 [--tables=nat,filter,mangle] [--apply]" >&2; exit 2 ;;
  esac
done
for t in $tables; do
  case "$t" in nat|filter|mangle) ;; *) echo "$0: unknown table '$t' (nat, filter, mangle)" >&2; exit 2 ;; esac
done

# the chains kube-proxy's IPVS proxier creates (pkg/proxy/ipvs/proxier.go), per table
declare -A owned=(
  [nat]="KUBE-SERVICES KUBE-POSTROUTING KUBE-NODE-PORT KUBE-LOAD-BALANCER KUBE-MARK-MASQ KUBE-PROXY-CANARY"
  [filter]="KUBE-FORWARD KUBE-NODE-PORT KUBE-PROXY-FIREWALL KUBE-SOURCE-RANGES-FIREWALL KUBE-IPVS-FILTER KUBE-IPVS-OUT-FILTER KUBE-PROXY-CANARY"
  [mangle]="KUBE-PROXY-CANARY"
)
builtin=" PREROUTING INPUT FORWARD OUTPUT POSTROUTING "
status=0

# prints the iptables-restore script that removes kube-proxy's chains from one table, and reports
# (on stderr) chains kept because something else still uses them
removal_script() {
  local table=$1 dump=$2
  awk -v owned=" ${owned[$table]} " -v builtin="$builtin" -v table="$table" '
    /^:/ { name = substr($1, 2); if (index(owned, " " name " ")) present[name] = 1; next }
    /^-A / {
      src = $2; dst = ""
      for (i = 3; i < NF; i++) if ($i == "-j" || $i == "-g") dst = $(i + 1)
      if (dst == "" || !index(owned, " " dst " ")) next
      if (index(owned, " " src " ")) { edge[++m] = src " " dst; next }
      if (index(builtin, " " src " ")) { jumps[++n] = "-D" substr($0, 3); jumpdst[n] = dst }
      else { kept[dst] = 1; printf "keep %s %s: chain %s still jumps to it\n", table, dst, src > "/dev/stderr" }
    }
    END {
      # a kept chain keeps the chains it jumps to
      do {
        grew = 0
        for (i = 1; i <= m; i++) {
          split(edge[i], e, " ")
          if ((e[1] in kept) && !(e[2] in kept)) { kept[e[2]] = 1; grew = 1 }
        }
      } while (grew)
      body = ""
      for (i = 1; i <= n; i++) if (!(jumpdst[i] in kept)) body = body jumps[i] "\n"
      for (c in present) if (!(c in kept)) body = body "-F " c "\n"
      for (c in present) if (!(c in kept)) body = body "-X " c "\n"
      if (body != "") printf "*%s\n%sCOMMIT\n", table, body
    }' <<<"$dump"
}

clean_iptables() {
  local save=$1 restore=$2 table dump script present
  command -v "$save" >/dev/null 2>&1 || return 0
  # without -t, *-save lists only the tables that exist: asking for one by name would create it
  present=$("$save" 2>/dev/null | sed -n 's/^\*//p') || return 0
  for table in $tables; do
    grep -qx "$table" <<<"$present" || continue
    dump=$("$save" -t "$table" 2>/dev/null) || continue
    script=$(removal_script "$table" "$dump")
    [ -n "$script" ] || continue
    echo "## $restore --noflush  ($table)"
    printf '%s\n' "$script"
    if [ "$apply" = 1 ]; then
      printf '%s\n' "$script" | "$restore" -w --noflush || { echo "FAILED: $restore ($table)" >&2; status=1; }
    fi
  done
}

# the same tables can exist in both backends: kube-proxy's image chose one, the node's iptables may be the other
backends=()
for b in legacy nft; do command -v "iptables-$b-save" >/dev/null 2>&1 && backends+=("$b"); done
if [ ${#backends[@]} -eq 0 ]; then
  clean_iptables iptables-save iptables-restore
  clean_iptables ip6tables-save ip6tables-restore
else
  for b in "${backends[@]}"; do
    clean_iptables "iptables-$b-save" "iptables-$b-restore"
    clean_iptables "ip6tables-$b-save" "ip6tables-$b-restore"
  done
fi

# ipsets last: a set cannot be destroyed while a rule still matches on it
if command -v ipset >/dev/null 2>&1; then
  for set in $(ipset list -n 2>/dev/null | grep '^KUBE-' || true); do
    echo "## ipset destroy $set"
    if [ "$apply" = 1 ]; then
      # a set still matched by a rule we kept cannot be destroyed: report it, it is not an error
      ipset destroy "$set" 2>/dev/null || echo "keep ipset $set: still in use" >&2
    fi
  done
fi

[ "$apply" = 1 ] || echo "# dry run: nothing changed; rerun with --apply to remove the above" >&2
exit "$status"
