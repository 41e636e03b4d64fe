#!/usr/bin/env bash
# The release-integrity drill's release tarballs, made the way xz-utils' upstream made
# them (autoreconf -fi with this machine's autotools, then an archive of the tree, as
# `make dist` would pack it), from the tag trees of ../shared/corpus/release-integrity/xz:
#   OUT/xz-5.4.6.tar.gz   the clean release
#   OUT/xz-5.6.0.tar.gz   5.6.0 and 5.6.1 with m4/build-to-host.m4 replaced by the serial-30
#   OUT/xz-5.6.1.tar.gz   copy of crates/chainwatch-audit/tests/release (the backdoor's trigger)
# Nothing is configured, built or run. Usage: scripts/xz-drill.sh [OUT] (default
# target/release-drill). Needs autoreconf, autopoint and libtoolize (scripts/services.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
corpus=${CHAINWATCH_CORPUS:-../shared/corpus}
xz="$corpus/release-integrity/xz"
out=$(mkdir -p "${1:-target/release-drill}" && cd "${1:-target/release-drill}" && pwd)
for version in 5.4.6 5.6.0 5.6.1; do
  tarball="$out/xz-$version.tar.gz"
  [ -s "$tarball" ] && continue
  work=$(mktemp -d)
  tar -xzf "$xz/xz-$version-git.tar.gz" -C "$work"
  (cd "$work/xz-$version" && autoreconf -fi >/dev/null 2>&1)
  rm -rf "$work/xz-$version/autom4te.cache"
  if [ "$version" != 5.4.6 ]; then
    cp "$repo/crates/chainwatch-audit/tests/release/build-to-host-5.6.1-style.m4" \
      "$work/xz-$version/m4/build-to-host.m4"
  fi
  # A name of its own: two tests may make the same tarball at once.
  tar -czf "$tarball.$$.tmp" -C "$work" --owner=0 --group=0 --sort=name "xz-$version"
  mv "$tarball.$$.tmp" "$tarball"
  rm -rf "$work"
done
echo "xz-drill: $(ls "$out"/xz-*.tar.gz | tr '\n' ' ')"
