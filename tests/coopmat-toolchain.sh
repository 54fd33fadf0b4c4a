#!/bin/sh
# SPDX-License-Identifier: MIT
# The cooperative-matrix toolchain for a Debian 12 machine, whose glslc is
# too old for GL_KHR_cooperative_matrix and whose lavapipe does not expose
# VK_KHR_cooperative_matrix: Debian 13's glslc and Debian unstable's Mesa,
# unpacked under DIR with their own C libraries (nothing is installed
# system-wide), and two commands in BINDIR:
#
#   glslc-coopmat      glslc that compiles the cooperative-matrix shaders
#                      (shaders/meson.build looks for it on PATH)
#   bendi-coopmat-run  runs a program on that lavapipe (tests/meson.build
#                      runs the cooperative-matrix tests through it)
#
# Usage: coopmat-toolchain.sh DIR BINDIR      (CI: as root, BINDIR on PATH)
#
# Unstable moves: the Mesa and LLVM it unpacks are whatever it has today,
# and the packages to fetch are read from their dependencies, not named.
set -eu

if [ $# -ne 2 ]; then
  echo "usage: $0 DIR BINDIR" >&2
  exit 2
fi
mkdir -p "$1" "$2"
dir=$(cd "$1" && pwd)
bindir=$(cd "$2" && pwd)
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)

# The machine's own Debian mirror, or the default one.
mirror=$(grep -rhoE 'https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d 2>/dev/null |
         grep -v security | head -n 1 | tr -d ' ')
mirror=${mirror:-http://deb.debian.org/debian}

# A private apt configuration for @suite: its own lists and cache.
apt_for () {
  conf="$dir/apt-$1"
  mkdir -p "$conf/lists/partial" "$conf/cache/archives/partial"
  echo "deb [arch=$arch signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $1 main" > "$conf/sources.list"
  cat > "$conf/apt.conf" <<EOF
Dir::Etc::sourcelist "$conf/sources.list";
Dir::Etc::sourceparts "-";
Dir::State::Lists "$conf/lists";
Dir::Cache "$conf/cache";
APT::Get::Download-Only "true";
EOF
  APT_CONFIG="$conf/apt.conf" apt-get -q update >/dev/null
}

# Package @1's own dependencies in @suite (real packages only).
depends_of () {
  APT_CONFIG="$dir/apt-$1/apt.conf" apt-cache depends --no-recommends --no-suggests --no-conflicts \
    --no-breaks --no-replaces --no-enhances "$2" | sed -n 's/^ *|\{0,1\}Depends: \([a-z0-9][^ <>]*\)$/\1/p'
}

# Downloads the packages (@2...) of suite @1 and unpacks them into DIR/@1.
unpack () {
  suite=$1
  shift
  mkdir -p "$dir/debs-$suite" "$dir/$suite"
  chmod 755 "$dir" "$dir/debs-$suite"
  (cd "$dir/debs-$suite" && APT_CONFIG="$dir/apt-$suite/apt.conf" apt-get -q download "$@" >/dev/null 2>&1 ||
     APT_CONFIG="$dir/apt-$suite/apt.conf" apt-get -q download "$@")
  for deb in "$dir/debs-$suite"/*.deb; do
    dpkg-deb -x "$deb" "$dir/$suite"
  done
}

# The program loader of an unpacked C library.
loader_of () {
  ls "$dir/$1/usr/lib/$multiarch"/ld-linux*.so.* "$dir/$1/lib/$multiarch"/ld-linux*.so.* 2>/dev/null | head -n 1
}

# --- the compiler: glslc from Debian 13 ---------------------------------
apt_for trixie
unpack trixie glslc libshaderc1 libc6 libstdc++6 libgcc-s1
loader=$(loader_of trixie)
cat > "$bindir/glslc-coopmat" <<EOF
#!/bin/sh
exec "$loader" --library-path "$dir/trixie/usr/lib/$multiarch" "$dir/trixie/usr/bin/glslc" "\$@"
EOF
chmod 755 "$bindir/glslc-coopmat"

# --- the device: lavapipe from Debian unstable -------------------------
# Mesa's Vulkan drivers, their dependencies and those of theirs (LLVM's).
apt_for sid
packages="mesa-vulkan-drivers"
for package in $(depends_of sid mesa-vulkan-drivers); do
  packages="$packages $package $(depends_of sid "$package")"
done
# shellcheck disable=SC2086 # a list of package names
unpack sid $(echo $packages | tr ' ' '\n' | sort -u)
loader=$(loader_of sid)
lavapipe=$(ls "$dir/sid/usr/lib/$multiarch"/libvulkan_lvp.so)
cat > "$dir/lavapipe.json" <<EOF
{ "file_format_version": "1.0.0", "ICD": { "library_path": "$lavapipe", "api_version": "1.3.0" } }
EOF
cat > "$bindir/bendi-coopmat-run" <<EOF
#!/bin/sh
# Runs a program on Debian unstable's lavapipe, with that release's C library.
export VK_ICD_FILENAMES="$dir/lavapipe.json" VK_DRIVER_FILES="$dir/lavapipe.json"
exec "$loader" --library-path "$dir/sid/usr/lib/$multiarch:/usr/lib/$multiarch:/lib/$multiarch" "\$@"
EOF
chmod 755 "$bindir/bendi-coopmat-run"

# Both must work, or neither is left behind for the build to find.
cat > "$dir/probe.comp" <<EOF
#version 450
#extension GL_KHR_cooperative_matrix : require
#extension GL_KHR_memory_scope_semantics : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
layout (local_size_x = 32) in;
void main () { coopmat<float16_t, gl_ScopeSubgroup, 16, 16, gl_MatrixUseA> a = coopmat<float16_t, gl_ScopeSubgroup, 16, 16, gl_MatrixUseA> (0.0); }
EOF
if ! "$bindir/glslc-coopmat" --target-env=vulkan1.3 "$dir/probe.comp" -o "$dir/probe.spv" ||
   ! "$bindir/bendi-coopmat-run" /bin/true; then
  rm -f "$bindir/glslc-coopmat" "$bindir/bendi-coopmat-run"
  echo "$0: the unpacked toolchain does not run" >&2
  exit 1
fi
echo "cooperative-matrix toolchain: $("$bindir/glslc-coopmat" --version | head -n 1); $(ls "$dir/debs-sid" | grep mesa-vulkan)"
