#!/usr/bin/env bash
# The release-audit benchmark's benign releases (crates/chainwatch-bench/src/release.rs):
# the upstream release tarballs (Debian's .orig tarballs) of the source packages listed in
# crates/chainwatch-bench/data/release-benign.txt, from Debian bookworm, into
# target/bench-data/release. Nothing is unpacked, built or run.
set -euo pipefail
cd "$(dirname "$0")/.."
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
out=target/bench-data/release
mkdir -p "$out"
sources="$out/Sources"
if [ ! -s "$sources" ]; then
  curl -fsSL "$mirror/dists/bookworm/main/source/Sources.xz" | xz -d > "$sources.tmp"
  mv "$sources.tmp" "$sources"
fi
grep -v '^#' crates/chainwatch-bench/data/release-benign.txt | grep -v '^$' |
  python3 -c '
import sys
wanted = set(sys.stdin.read().split())
stanza = {}
def flush():
    name = stanza.get("Package")
    if name in wanted:
        for line in stanza.get("Files", "").splitlines():
            parts = line.split()
            if len(parts) == 3 and ".orig.tar." in parts[2] and not parts[2].endswith(".asc"):
                print(stanza["Directory"] + "/" + parts[2])
        wanted.discard(name)
key = None
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    line = line.rstrip("\n")
    if not line:
        flush(); stanza = {}; key = None; continue
    if line[0] in " \t" and key:
        stanza[key] += "\n" + line.strip()
    elif ":" in line:
        key, _, value = line.partition(":")
        stanza[key] = value.strip()
flush()
' "$sources" | while read -r path; do
    file="$out/$(basename "$path")"
    [ -s "$file" ] || curl -fsSL -o "$file" "$mirror/$path" || { rm -f "$file"; echo "release-benign: skipped $path" >&2; }
  done
echo "release-benign: $(ls "$out"/*.orig.tar.* | wc -l) release tarballs in $out"
