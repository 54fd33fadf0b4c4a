#!/bin/sh
# SPDX-License-Identifier: MIT
# llama.cpp, the engine Bendi's benchmarks are held against, for measuring
# it on the same machine and file: Debian unstable's build (its CPU
# backends for every x86-64 level and its Vulkan backend), unpacked under
# DIR with its own C library (nothing is installed system-wide), and one
# command in BINDIR:
#
#   bendi-llama-bench  llama-bench, with llama.cpp's options, e.g.
#                      bendi-llama-bench -m tl.gguf -p 512 -n 128 -t 2
#                      bendi-llama-bench -m tl.gguf -ngl 99    (Vulkan)
#
# Usage: llama-cpp-reference.sh DIR BINDIR
#        llama-cpp-reference.sh --debs DEBS_DIR DIR BINDIR
# The second form unpacks .deb files fetched earlier (apt-get download) on
# a machine without a Debian mirror, such as a lent GPU machine.
#
# ggml looks for its backends in the directory Debian installs them to,
# then beside the program (here the C library's loader) and in the current
# directory; the command runs from the backends' directory so the last
# finds them, and makes file arguments absolute first. ggml's Vulkan
# backend skips CPU devices (lavapipe) unless GGML_VK_VISIBLE_DEVICES
# names them: GGML_VK_VISIBLE_DEVICES=0 bendi-llama-bench ... -ngl 99.
set -eu

debs=
if [ "${1:-}" = "--debs" ]; then
  debs=$(cd "$2" && pwd)
  shift 2
fi
if [ $# -ne 2 ]; then
  echo "usage: $0 [--debs DEBS_DIR] DIR BINDIR" >&2
  exit 2
fi
mkdir -p "$1" "$2"
dir=$(cd "$1" && pwd)
bindir=$(cd "$2" && pwd)
packages="llama.cpp-tools libllama0 libggml0 libggml0-backend-vulkan libc6 libgcc-s1 libgomp1 libstdc++6
          libssl3t64 libvulkan1"

if [ -z "$debs" ]; then
  arch=$(dpkg --print-architecture)
  mirror=$(grep -rhoE 'https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d 2>/dev/null |
           grep -v security | head -n 1 | tr -d ' ')
  mirror=${mirror:-http://deb.debian.org/debian}
  conf="$dir/apt"
  mkdir -p "$conf/lists/partial" "$conf/cache/archives/partial" "$dir/debs"
  echo "deb [arch=$arch signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror sid main" > "$conf/sources.list"
  cat > "$conf/apt.conf" <<CONF
Dir::Etc::sourcelist "$conf/sources.list";
Dir::Etc::sourceparts "-";
Dir::State::Lists "$conf/lists";
Dir::Cache "$conf/cache";
CONF
  APT_CONFIG="$conf/apt.conf" apt-get -q update >/dev/null
  chmod 755 "$dir" "$dir/debs"
  # shellcheck disable=SC2086
  (cd "$dir/debs" && APT_CONFIG="$conf/apt.conf" apt-get -q download $packages >/dev/null 2>&1 ||
     APT_CONFIG="$conf/apt.conf" apt-get -q download $packages)
  debs="$dir/debs"
fi

mkdir -p "$dir/root"
for deb in "$debs"/*.deb; do
  if command -v dpkg-deb > /dev/null; then
    dpkg-deb -x "$deb" "$dir/root"
  else
    # A .deb is an ar archive whose data.tar.* holds the files.
    python3 - "$deb" "$dir/root" <<'PY'
import io, sys, tarfile
data = open(sys.argv[1], 'rb').read()
pos = 8
while pos < len(data):
    name = data[pos:pos + 16].decode().strip().rstrip('/')
    size = int(data[pos + 48:pos + 58].decode())
    body = data[pos + 60:pos + 60 + size]
    if name.startswith('data.tar'):
        tarfile.open(fileobj=io.BytesIO(body)).extractall(sys.argv[2])
    pos += 60 + size + (size & 1)
PY
  fi
done

lib=$(dirname "$(ls "$dir"/root/usr/lib/*/ld-linux*.so.* | head -n 1)")
loader=$(ls "$lib"/ld-linux*.so.* | head -n 1)
backends="$lib/ggml/backends0"
[ -x "$dir/root/usr/bin/llama-bench" ] && [ -f "$backends/libggml-vulkan.so" ] || {
  echo "$0: llama-bench or its Vulkan backend is missing from the packages" >&2
  exit 1
}
cat > "$bindir/bendi-llama-bench" <<WRAPPER
#!/bin/sh
# llama-bench from $dir (tests/llama-cpp-reference.sh)
n=\$#
while [ \$n -gt 0 ]; do
  arg=\$1
  shift
  [ -e "\$arg" ] && arg=\$(realpath "\$arg")
  set -- "\$@" "\$arg"
  n=\$((n - 1))
done
# The loader's path replaces LD_LIBRARY_PATH, which may name a GPU driver's.
cd "$backends" && exec "$loader" --library-path "$lib:$lib/llama\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" \
  "$dir/root/usr/bin/llama-bench" "\$@"
WRAPPER
chmod 755 "$bindir/bendi-llama-bench"
echo "llama-bench $(basename "$debs"/llama.cpp-tools_*.deb .deb | sed 's/.*_\(.*\)_.*/\1/; s/%3a/:/') in $dir: $bindir/bendi-llama-bench"
