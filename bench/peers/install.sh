#!/usr/bin/env bash
# Installs what the peer benchmarks (bench/compare.sh) need; CI does not run them, so this is not
# part of scripts/install-deps. Debian's PyTorch (1.13) + OpenBLAS (without libopenblas0-pthread
# torch falls back to the reference BLAS and is many times slower), and ONNX Runtime from npm
# (pinned in package-lock.json; --ignore-scripts because its install script downloads GPU
# binaries, which fails offline — the CPU binaries ship in the package).
set -euo pipefail
cd "$(dirname "$0")"
packages=(python3-torch python3-numpy libopenblas0-pthread)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Any node >= 18 with its npm will do (e.g. NodeSource's nodejs, which conflicts with Debian's npm).
command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs npm)
if ((${#missing[@]})); then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
