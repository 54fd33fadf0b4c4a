#!/bin/bash
# SPDX-License-Identifier: MIT
# On a lent GPU machine, from the checkout's root: unpacks the bundle
# tests/gpu-bundle.sh made, finds NVIDIA's Vulkan driver, installs the
# llama.cpp reference when the bundle has it, and runs tests/gpu-check.sh;
# the results, without the models, go to OUT as results.tgz. It stops
# early (exit 3) when Vulkan finds no driver, saving the GPU's minutes.
#
# Usage: [GPU_CHECK_TEST_TIMEOUT=S] [GPU_CHECK_SKIP_TESTS=1] [LIMIT=S] gpu-device-run.sh BUNDLE.tar.xz OUT
# (the first two for gpu-check.sh)
set -u

if [ $# -ne 2 ]; then
  echo "usage: $0 BUNDLE.tar.xz OUT" >&2
  exit 2
fi
bundle=$1 out=$2
start=$(date +%s)
root=$(mktemp -d) results=$(mktemp -d)
trap 'rm -rf "$root" "$results"' EXIT
mkdir -p "$out"
tar -xJf "$bundle" -C "$root"
# What the machine's own README prescribes: glvnd into the system's folders.
for deb in "$root"/glvnd/*.deb; do dpkg -x "$deb" /; done
ldconfig
export LD_LIBRARY_PATH=$root/lib BENDI_TEST_DATA=$root/data
for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json \
           /etc/vulkan/icd.d/nvidia_icd.json; do
  [ -f "$icd" ] && { export VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd; break; }
done
{ nvidia-smi -L; echo "driver manifest: ${VK_DRIVER_FILES:-none}"; nproc; } 2>&1 | tee "$results/machine.txt"
if "$root/bin/bendi-cli" devices 2>&1 | grep -q "No Vulkan"; then
  VK_LOADER_DEBUG=error,warn,driver "$root/bin/bendi-cli" devices 2>&1 | tail -20 | tee "$results/no-vulkan.txt"
  tar -czf "$out/results.tgz" -C "$results" .
  exit 3
fi
if ls "$root"/debs/*.deb > /dev/null 2>&1; then
  sh tests/llama-cpp-reference.sh --debs "$root/debs" "$root/llama" "$root/llama/bin" > "$results/llama-install.txt" 2>&1 &&
    export LLAMA_BENCH=$root/llama/bin/bendi-llama-bench
fi
echo "== setup took $(( $(date +%s) - start )) s"
GPU_CHECK_TEST_TIMEOUT=${GPU_CHECK_TEST_TIMEOUT:-120} timeout "${LIMIT:-450}" \
  bash tests/gpu-check.sh "$root/bin" "$root/data/vocab/ggml-vocab-llama-spm.gguf" "$results" 2>&1 |
  tee "$results/gpu-check.txt"
pkill -f "bendi-cli make-model"
tar -czf "$out/results.tgz" --exclude='*.gguf' --exclude='*.part' -C "$results" .
echo "== $(( $(date +%s) - start )) s in all"
