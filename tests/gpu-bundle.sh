#!/bin/sh
# SPDX-License-Identifier: MIT
# Packs what tests/gpu-check.sh needs on a lent GPU machine that has no
# Debian, no build tools and no network: the programs built here, the
# shared libraries they load (not the C library's own), the test data,
# glvnd's packages (NVIDIA's Vulkan driver needs libGLX and libGLdispatch,
# which such machines may lack: without them unpacked into the system's
# folders the loader finds the driver but not vkCreateInstance in it, as
# seen on an H200) and, where LLAMA_DEBS names the folder
# tests/llama-cpp-reference.sh fetched into, llama.cpp's packages. One
# xz file, a few tens of MB, to carry beside the checkout; on the machine,
# tests/gpu-device-run.sh unpacks it and runs the checks.
#
# Usage: [LLAMA_DEBS=DIR] gpu-bundle.sh BUILD_DIR SHARED_DIR BUNDLE.tar.xz
set -eu

if [ $# -ne 3 ]; then
  echo "usage: $0 BUILD_DIR SHARED_DIR BUNDLE.tar.xz" >&2
  exit 2
fi
build=$1 shared=$2 bundle=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/lib" "$work/data" "$work/debs" "$work/glvnd"

cp "$build/src/cli/bendi-cli" "$build/tests/test-vulkan-fast" "$build/tests/test-vulkan-ops" \
   "$build/tests/test-vulkan-model" "$build/tests/perf-vulkan" "$work/bin/"
strip "$work"/bin/*
# Every library they link but the C library's own, and the Vulkan loader
# (opened at run time), glvnd's two for NVIDIA's driver.
for program in "$work"/bin/*; do ldd "$program"; done | awk '/=>/ { print $3 }' | sort -u |
  grep -v -E '/(libc|libm|libpthread|libdl|librt|libresolv|ld-linux[^/]*)\.so' |
  while read -r library; do cp -L "$library" "$work/lib/"; done
for library in libvulkan.so.1 libGLX.so.0 libGLdispatch.so.0; do
  path=$(ldconfig -p | awk -v name="$library" '$1 == name && /x86-64/ { print $NF; exit }')
  [ -n "$path" ] || { echo "$0: no $library here (apt-get install libvulkan1 libglx0 libglvnd0)" >&2; exit 1; }
  cp -L "$path" "$work/lib/"
done
cp -r "$shared/golden" "$shared/models" "$shared/vocab" "$work/data/"
if [ -n "${LLAMA_DEBS:-}" ]; then
  cp "$LLAMA_DEBS"/*.deb "$work/debs/"
fi
(cd "$work/glvnd" && apt-get download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 \
   > /dev/null 2>&1) || { echo "$0: apt-get download of glvnd's packages failed" >&2; exit 1; }
tar -C "$work" -cJf "$bundle" bin lib data debs glvnd
echo "$bundle: $(du -h "$bundle" | cut -f1)"
