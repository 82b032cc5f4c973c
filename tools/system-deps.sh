#!/usr/bin/env bash
# System packages from Debian (never a downloaded browser). Installs only what is missing; needs
# root (or sudo) when something is.
#   tools/system-deps.sh        for the tests: chromium (headless browser tests, and SwiftShader:
#                               WebGPU without a GPU through its Vulkan ICD) and libvulkan1 (the
#                               Vulkan loader Dawn, the npm `webgpu` package, opens)
#   tools/system-deps.sh bench  also python3-torch and python3-onnx, the peers in `npm run bench`, and
#                               OpenBLAS: Debian's torch calls the system BLAS, which is otherwise the
#                               reference one (~2 GFLOP/s, 15x slower than OpenBLAS on one thread)
set -euo pipefail
wanted=(chromium libvulkan1)
[ "${1:-}" = bench ] && wanted+=(python3-torch python3-onnx libopenblas0-pthread)
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing system packages: ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
