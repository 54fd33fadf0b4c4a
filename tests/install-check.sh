#!/bin/sh
# SPDX-License-Identifier: MIT
# install-check.sh BUILD_DIR: installs the build into a temporary folder
# and starts the *installed* bendi under Xvfb, in English and in Chinese, to
# prove that an installed Bendi finds its GResources, GSettings schema and
# translations where `meson install` put them, without any of the build
# tree's environment variables. The other installed files (desktop entry,
# metainfo, icons, man page, catalogue) are checked for presence; the data
# suite validates their content.
#
# The binary looks for its translations at the prefix compiled into it
# (e.g. /usr/local/share/locale), not under DESTDIR. So the installed
# prefix is bind-mounted over the real one in a private mount namespace
# (unshare, no root needed) and the app sees exactly the files meson
# installed. Where user namespaces are not allowed, the check falls back to
# pointing BENDI_LOCALEDIR at the installed translations, and says so.
#
# Exit status: 0 passed, 1 failed, 77 skipped (no Xvfb, xprop or xwininfo).
set -eu

if [ $# -lt 1 ]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 1
fi
build=$(cd "$1" && pwd)

for tool in xvfb-run xwininfo xprop glib-compile-schemas python3 meson; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "SKIP: $tool is not installed (xvfb, x11-utils, libglib2.0-bin)"
    exit 77
  fi
done

# The app dies with its X server, which xvfb-run stops on every exit.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bendi-install-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
root=$tmp/root

fail () {
  echo "FAIL: $*" >&2
  exit 1
}

# The install folders as this build was configured, absolute.
eval "$(meson introspect --buildoptions "$build" | python3 -c '
import json, sys
options = {o["name"]: o["value"] for o in json.load(sys.stdin)}
prefix = options["prefix"]
for name in ("bindir", "datadir", "libexecdir", "localedir", "mandir"):
    value = options[name]
    print("%s=%s" % (name, value if value.startswith("/") else prefix + "/" + value))
print("prefix=%s" % prefix)
')"

# --no-rebuild: the meson test that runs this depends on every installed
# target, and a full rebuild from inside a test would build far more.
echo "# meson install into $root"
DESTDIR=$root meson install -C "$build" --no-rebuild --quiet >"$tmp/install.log" 2>&1 \
  || { cat "$tmp/install.log" >&2; fail "meson install"; }

app_id=io.github.bendi.Bendi
for file in \
  "$bindir/bendi" \
  "$bindir/bendi-cli" \
  "$libexecdir/bendi-vulkan-probe" \
  "$datadir/applications/$app_id.desktop" \
  "$datadir/metainfo/$app_id.metainfo.xml" \
  "$datadir/glib-2.0/schemas/$app_id.gschema.xml" \
  "$datadir/icons/hicolor/scalable/apps/$app_id.svg" \
  "$datadir/icons/hicolor/symbolic/apps/$app_id-symbolic.svg" \
  "$datadir/bendi/catalogue.json" \
  "$localedir/zh_CN/LC_MESSAGES/bendi.mo" \
  "$mandir/man1/bendi-cli.1"; do
  [ -f "$root$file" ] || fail "$file was not installed"
  echo "ok - installed $file"
done

# The desktop entry and metainfo were translated when they were merged.
grep -q '^Name\[zh_CN\]=' "$root$datadir/applications/$app_id.desktop" \
  || fail "the installed desktop entry has no Chinese name"
grep -q 'xml:lang="zh_CN"' "$root$datadir/metainfo/$app_id.metainfo.xml" \
  || fail "the installed metainfo has no Chinese text"
echo "ok - desktop entry and metainfo are translated"

# A distribution compiles the schemas in a post-install trigger; meson
# skips that under DESTDIR, so do it here the same way.
glib-compile-schemas --strict "$root$datadir/glib-2.0/schemas" \
  || fail "glib-compile-schemas in the prefix"
echo "ok - schemas compiled in the prefix"

# The installed bendi-cli runs on its own (no build-tree libraries).
"$root$bindir/bendi-cli" --help >/dev/null || fail "installed bendi-cli --help"
echo "ok - installed bendi-cli runs"

# The program that lists the Vulkan devices for the app and the CLI runs
# on its own too, and answers (the first byte says whether it listed).
"$root$libexecdir/bendi-vulkan-probe" >"$tmp/probe.out" || fail "installed bendi-vulkan-probe"
[ -s "$tmp/probe.out" ] || fail "installed bendi-vulkan-probe gave no answer"
echo "ok - installed bendi-vulkan-probe runs"

# The probe does the very bind mount: some containers allow user
# namespaces but not mounts in them.
if [ -d "$prefix" ] && unshare --map-root-user --mount \
     sh -c 'mount --bind "$1" "$2"' sh "$root$prefix" "$prefix" 2>/dev/null; then
  # Inside the namespace the prefix *is* the installed tree.
  mode=namespace
  app_prefix=$prefix
else
  mode=fallback
  app_prefix=$root$prefix
  echo "# no user namespaces here: BENDI_LOCALEDIR points at the installed translations instead"
fi

# A home of its own, so the app neither reads nor writes the user's files.
mkdir -p "$tmp/home/data" "$tmp/home/config" "$tmp/home/cache" "$tmp/home/runtime"
chmod 700 "$tmp/home/runtime"

# run_app LANGUAGE EXPECTED_TITLE: starts the installed app, waits for its
# window and checks the window's title.
run_app () {
  language=$1
  expected=$2
  log=$tmp/app-$language.log
  ready=$tmp/ready-$language

  cat >"$tmp/run-$language.sh" <<EOF
#!/bin/sh
set -e
locale_env=
if [ "$mode" = namespace ]; then
  mount --bind "$root$prefix" "$prefix"
else
  locale_env="BENDI_LOCALEDIR=$root$localedir"
fi
# Nothing from the build tree's environment: the installed files only.
exec env -u GSETTINGS_SCHEMA_DIR -u BENDI_SOURCE_ROOT -u BENDI_CATALOGUE -u BENDI_LOCALEDIR \$locale_env \\
  HOME="$tmp/home" XDG_DATA_HOME="$tmp/home/data" XDG_CONFIG_HOME="$tmp/home/config" \\
  XDG_CACHE_HOME="$tmp/home/cache" XDG_RUNTIME_DIR="$tmp/home/runtime" \\
  XDG_DATA_DIRS="$app_prefix/share:/usr/share" GSETTINGS_BACKEND=memory \\
  GSK_RENDERER=cairo GDK_BACKEND=x11 NO_AT_BRIDGE=1 GTK_A11Y=none \\
  G_DEBUG=fatal-criticals LC_ALL=en_US.UTF-8 LANGUAGE="$language" \\
  "$app_prefix/bin/bendi"
EOF
  chmod +x "$tmp/run-$language.sh"

  # The watcher runs inside xvfb-run's display: it starts the app, polls
  # the window tree until a top-level window has a title, and records it.
  cat >"$tmp/watch-$language.sh" <<EOF
#!/bin/sh
if [ "$mode" = namespace ]; then
  unshare --map-root-user --mount "$tmp/run-$language.sh" >"$log" 2>&1 &
else
  "$tmp/run-$language.sh" >"$log" 2>&1 &
fi
pid=\$!
# Two minutes: an ASan build on a loaded machine starts slowly.
deadline=\$((\$(date +%s) + 120))
while [ \$(date +%s) -lt \$deadline ]; do
  if ! kill -0 \$pid 2>/dev/null; then
    echo "exited" >"$ready"
    exit 1
  fi
  for win in \$(xwininfo -root -children 2>/dev/null | sed -n 's/^ *\(0x[0-9a-f]*\) .*/\1/p'); do
    # GDK's hidden group leader window is titled after the program: only
    # a window on screen counts.
    xwininfo -id "\$win" 2>/dev/null | grep -q 'Map State: IsViewable' || continue
    title=\$(LC_ALL=C.UTF-8 xprop -id "\$win" _NET_WM_NAME 2>/dev/null | sed -n 's/^_NET_WM_NAME(UTF8_STRING) = "\(.*\)"$/\1/p')
    if [ -n "\$title" ]; then
      # A second to draw its first frames: a critical there aborts it.
      sleep 1
      if ! kill -0 \$pid 2>/dev/null; then
        echo "crashed after showing \$title" >"$ready"
        exit 1
      fi
      printf '%s\n' "\$title" >"$ready"
      kill \$pid
      wait \$pid 2>/dev/null
      exit 0
    fi
  done
  sleep 0.2
done
echo "timeout" >"$ready"
kill \$pid
exit 1
EOF
  chmod +x "$tmp/watch-$language.sh"

  # xvfb-run -a takes the first display without a lock file, and another
  # test's X server may take the same one between its look and its start:
  # the app then finds no display. Such a run is tried again.
  for attempt in 1 2 3; do
    rm -f "$ready"
    xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" "$tmp/watch-$language.sh" || true
    grep -q "cannot open display" "$log" 2>/dev/null || break
    echo "# LANGUAGE=$language, attempt $attempt: the X server went away (another took its display)" >&2
  done
  title=$(cat "$ready" 2>/dev/null || echo "nothing")
  if [ "$title" != "$expected" ]; then
    echo "# the app's output:" >&2
    sed 's/^/#   /' "$log" >&2 || true
    fail "LANGUAGE=$language: the installed app's window is titled \"$title\", expected \"$expected\""
  fi
  echo "ok - installed bendi under LANGUAGE=$language opens a window titled \"$title\" ($mode)"
}

run_app en Bendi
run_app zh_CN 本地

echo "PASS"
