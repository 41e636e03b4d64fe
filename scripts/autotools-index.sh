#!/usr/bin/env bash
# Rebuilds crates/chainwatch-audit/data/autotools-index.tsv: the serial (or script version)
# and content hash of every Autoconf macro file and build-aux script that Debian's
# autoconf, automake, libtool, gettext (with autopoint's archive of every gettext release),
# autoconf-archive, gnulib and pkgconf packages ship, in the suites below. `audit release`
# checks a release's copies against it (docs/audit.md, "Release integrity").
#
# The .deb files are downloaded from Debian's archive and unpacked into
# target/autotools-index; nothing is installed or run. The hashing is chainwatch's own
# (the `autotools_index` example), so the index and the check normalize text the same way.
set -euo pipefail
cd "$(dirname "$0")/.."
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
suites=${SUITES:-"bullseye bookworm trixie sid"}
packages="autoconf automake libtool gettext autopoint autoconf-archive gnulib pkgconf"
work=target/autotools-index
mkdir -p "$work/debs" "$work/tree"

for suite in $suites; do
  for arch in all amd64; do
    index="$work/Packages-$suite-$arch"
    if [ ! -s "$index" ]; then
      curl -fsSL "$mirror/dists/$suite/main/binary-$arch/Packages.xz" | xz -d > "$index"
    fi
    for package in $packages; do
      file=$(awk -v p="$package" '
        /^Package: / { hit = ($2 == p) }
        hit && /^Filename: / { print $2; exit }' "$index")
      [ -n "$file" ] || continue
      deb="$work/debs/$(basename "$file")"
      if [ ! -s "$deb" ]; then
        curl -fsSL -o "$deb" "$mirror/$file"
      fi
    done
  done
done

for deb in "$work"/debs/*.deb; do
  name=$(basename "$deb" .deb)
  dest="$work/tree/$name"
  [ -d "$dest" ] && continue
  mkdir -p "$dest"
  dpkg-deb -x "$deb" "$dest"
  # autopoint keeps the m4 files of every gettext release in one archive.
  for archive in $(find "$dest" -name 'archive.dir.tar.*'); do
    mkdir -p "$dest/autopoint-archive"
    tar -xf "$archive" -C "$dest/autopoint-archive"
  done
done

cargo run --quiet --release -p chainwatch-audit --example autotools_index -- "$work/tree" \
  > crates/chainwatch-audit/data/autotools-index.tsv
echo "autotools-index: $(grep -vc '^#' crates/chainwatch-audit/data/autotools-index.tsv) entries from $(ls "$work"/debs | wc -l) packages"
