#!/usr/bin/env bash
# Model files for `chainwatch audit model`: clean checkpoints and malicious variants made
# with the real libraries (scripts/model_fixtures.py), plus fickling's own injection into
# a clean pickle, in OUT/clean and OUT/malicious (default target/model-data); with
# --large also three files of about 1 GB (safetensors, GGUF, PyTorch zip) for the speed
# targets. The libraries and the peer scanners (picklescan, modelscan, fickling) live in
# target/model-peers (PyPI; fickling needs typing_extensions without declaring it).
# Nothing made here is ever loaded.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/model-data}
large=${2:-}
peers=target/model-peers
packages="typing_extensions numpy==2.4.6 safetensors==0.8.0 joblib==1.6.0 scikit-learn==1.9.1 gguf==0.19.0 h5py==3.16.0 picklescan==1.0.5 modelscan==0.8.8 fickling==0.1.12"
if ! "$peers/bin/python" -c "import numpy, safetensors, joblib, sklearn, gguf, h5py, fickling, picklescan" >/dev/null 2>&1; then
  rm -rf "$peers"
  python3 -m venv "$peers"
  "$peers/bin/pip" install -q --disable-pip-version-check $packages
fi
if [ -f "$out/done" ] && { [ -z "$large" ] || [ -f "$out/large.pt" ]; }; then
  exit 0
fi
tmp="$out.$$.tmp"
rm -rf "$tmp"
mkdir -p "$tmp"
PYTHONHASHSEED=0 "$peers/bin/python" scripts/model_fixtures.py "$tmp" $large
"$peers/bin/fickling" --inject "import os; os.system('echo chainwatch-model-fixture')" \
  "$tmp/clean/forest.pkl" > "$tmp/malicious/forest-fickling.pkl"
touch "$tmp/done"
rm -rf "$out"
mv "$tmp" "$out"
echo "model-fixtures: $(find "$out" -type f | wc -l) files in $out"
