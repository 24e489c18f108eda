#!/usr/bin/env bash
# Installs what Verdict needs that a fresh machine may lack. Safe to run again: it only
# installs what is missing.
#   scripts/setup.sh          system libraries (Z3, the OpenCL loader and PoCL, zlib, OpenBLAS)
#   scripts/setup.sh --test   also the Python test oracle (onnxruntime, numpy)
set -euo pipefail

packages=(libz3-dev ocl-icd-opencl-dev pocl-opencl-icd zlib1g-dev libopenblas-dev)
missing=()
for package in "${packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

command -v swift >/dev/null || { echo "setup: swift is not on PATH (Verdict needs Swift 6)" >&2; exit 1; }

if [ "${1:-}" = "--test" ]; then
    if ! python3 -c "import onnxruntime, numpy" >/dev/null 2>&1; then
        echo "setup: installing onnxruntime and numpy (the test oracle)"
        python3 -m pip install -q --disable-pip-version-check onnxruntime numpy
    fi
fi
