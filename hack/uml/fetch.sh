#!/usr/bin/env bash
# Fetches User-Mode Linux from Debian's packages once, prepares it to run here, prints its folder.
#
# Debian's bookworm/trixie UML kernels crash on CPUs with AVX-512/AMX; the forky (testing) 7.x one
# works but needs glibc >= 2.38. So the UML package and a matching libc6 are downloaded (not
# installed), unpacked side by side, and a copy of linux.uml gets that libc as its interpreter.
# The Debian mirror is read from this machine's own apt configuration.
# Output folder: $KIPVS_CACHE/uml (default .cache/uml in the checkout) containing uml.env.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache=${KIPVS_CACHE:-$root/.cache}/uml
suites=${KIPVS_UML_SUITES:-"forky sid"}

if [ -s "$cache/uml.env" ]; then
  # shellcheck source=/dev/null
  . "$cache/uml.env"
  if [ -x "$UML_BIN" ] && [ -d "$UML_MODROOT/lib/modules/$UML_KVER" ]; then echo "$cache"; exit 0; fi
fi

die() { echo "uml/fetch: $*" >&2; exit 1; }
for t in apt-get dpkg-deb patchelf; do
  command -v "$t" >/dev/null 2>&1 || die "needs $t (apt-get install -y apt dpkg patchelf)"
done

# The first Debian archive URI this machine's apt uses (deb822 .sources or one-line .list form),
# skipping the security archive, whose layout has no testing suite of packages.
debian_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($i !~ /security/) print $i; break } }' "$f"
  done
}
mirror=${KIPVS_DEBIAN_MIRROR:-$(debian_mirror | head -n 1)}
[ -n "$mirror" ] || die "found no Debian archive in /etc/apt (sources.list or sources.list.d); set KIPVS_DEBIAN_MIRROR"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kipvs-umlfetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/parts" "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/debs"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$keyring" ] || die "needs Debian's archive keyring ($keyring: apt-get install -y debian-archive-keyring)"
for s in $suites; do
  printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: %s\n\n' "$mirror" "$s" "$keyring"
done > "$tmp/parts/uml.sources"
apt_opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$tmp/parts"
  -o "Dir::State::Lists=$tmp/lists" -o "Dir::Cache=$tmp/cache" -o Dir::State::Status=/dev/null
  -o APT::Architecture=amd64 -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
echo "uml/fetch: downloading user-mode-linux and libc6 ($suites) from the machine's Debian mirror" >&2
apt-get "${apt_opts[@]}" -qq update >&2 || die "apt-get update of $suites failed"
(cd "$tmp/debs" && apt-get "${apt_opts[@]}" -qq download user-mode-linux libc6 >&2) || die "apt-get download failed"

rm -rf "$cache.new" && mkdir -p "$cache.new/root"
for d in "$tmp"/debs/*.deb; do dpkg-deb -x "$d" "$cache.new/root"; done
libdir="$cache/root/usr/lib/x86_64-linux-gnu"
[ -f "$cache.new/root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" ] || die "libc6 package has no ld-linux-x86-64.so.2"
kver=$(find "$cache.new/root/usr/lib/uml/modules" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n 1)
[ -n "$kver" ] || die "user-mode-linux package has no modules"
cp "$cache.new/root/usr/bin/linux.uml" "$cache.new/linux.uml"
# final paths, since the folder is renamed into place below
patchelf --set-interpreter "$libdir/ld-linux-x86-64.so.2" --set-rpath "$libdir" "$cache.new/linux.uml"
# modprobe -d DIR wants DIR/lib/modules/<version>
mkdir -p "$cache.new/modroot/lib/modules"
ln -s "$cache/root/usr/lib/uml/modules/$kver" "$cache.new/modroot/lib/modules/$kver"
printf 'UML_BIN=%q\nUML_MODROOT=%q\nUML_KVER=%q\n' "$cache/linux.uml" "$cache/modroot" "$kver" > "$cache.new/uml.env"
rm -rf "$cache" && mv "$cache.new" "$cache"
echo "uml/fetch: UML $kver ready in $cache" >&2
echo "$cache"
