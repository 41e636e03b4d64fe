#!/usr/bin/env bash
# The audit benchmark's benign packages and its peer tool (crates/chainwatch-bench/src/audit.rs):
#   target/bench-data/audit/npm    the npm packages of data/audit-benign-npm.txt and their
#                                  dependencies, installed with --ignore-scripts
#   target/bench-data/audit/pypi   the wheels of data/audit-benign-pypi.txt (--only-binary)
#   target/bench-peers             GuardDog 3.2.0 from PyPI
# Nothing is built, installed into the system or run. Needs npm, pip and the registries.
set -euo pipefail
cd "$(dirname "$0")/.."
data=target/bench-data/audit
lists=crates/chainwatch-bench/data
list() { grep -v '^#' "$1" | grep -v '^$'; }

mkdir -p "$data/npm" "$data/pypi"
if [ ! -d "$data/npm/node_modules" ]; then
  (cd "$data/npm" && [ -f package.json ] || echo '{"private":true}' > package.json)
  # shellcheck disable=SC2046
  (cd "$data/npm" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error \
    $(list "../../../../$lists/audit-benign-npm.txt"))
fi
if [ -z "$(ls "$data/pypi"/*.whl 2>/dev/null)" ]; then
  # shellcheck disable=SC2046
  pip download -q --only-binary=:all: --no-deps -d "$data/pypi" $(list "$lists/audit-benign-pypi.txt")
fi
if [ ! -x target/bench-peers/bin/guarddog ]; then
  python3 -m venv target/bench-peers
  target/bench-peers/bin/pip install -q --disable-pip-version-check guarddog==3.2.0
fi
echo "audit-benign: $(find "$data/npm/node_modules" -name package.json -maxdepth 3 | wc -l) npm manifests, $(ls "$data/pypi"/*.whl | wc -l) wheels"
