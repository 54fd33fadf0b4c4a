#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check-manifest.py MANIFEST.json: checks the Flatpak manifest without the
GNOME runtime, which CI cannot download: valid JSON, the keys flatpak-builder
needs, exactly the sandbox permissions the app was reviewed for (each with
its reason), and every downloaded source pinned (sha256 or git commit)."""

import json
import re
import sys

APP_ID = "io.github.bendi.Bendi"

# Each permission is a decision: adding one means adding it here and saying
# why in the manifest's "x-finish-args-why".
EXPECTED_FINISH_ARGS = {
    "--share=network",
    "--share=ipc",
    "--socket=wayland",
    "--socket=fallback-x11",
    "--device=dri",
    "--talk-name=org.freedesktop.secrets",
    "--filesystem=~/.lmstudio/models:ro",
    "--filesystem=~/.cache/lm-studio/models:ro",
    "--filesystem=~/.ollama/models:ro",
}

# Broad grants the file chooser portal makes unnecessary.
FORBIDDEN = re.compile(r"^--filesystem=(home|host|host-os|host-etc|~/?)(:.*)?$|^--device=all$|"
                       r"^--socket=(x11|session-bus|system-bus)$|^--talk-name=org\.freedesktop\.Flatpak$")


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def check_sources(module, path):
    for source in module.get("sources", []):
        if isinstance(source, str):
            fail(f"{path}: source {source!r} is a file reference; keep the manifest in one file")
        kind = source.get("type")
        if kind in ("archive", "file") and "url" in source:
            if not re.fullmatch(r"[0-9a-f]{64}", source.get("sha256", "")):
                fail(f"{path}: {source['url']} has no sha256 of 64 hex digits")
            if not source["url"].startswith("https://"):
                fail(f"{path}: {source['url']} is not https")
        elif kind == "git" and "url" in source:
            if not re.fullmatch(r"[0-9a-f]{40}", source.get("commit", "")):
                fail(f"{path}: {source['url']} is not pinned to a commit")
        elif kind in ("dir", "git") and "path" in source:
            pass
        elif kind not in ("shell", "patch", "file"):
            fail(f"{path}: a {kind!r} source, which this check does not know")
    for child in module.get("modules", []):
        check_module(child, path)


def check_module(module, parent):
    if not isinstance(module, dict) or "name" not in module:
        fail(f"{parent}: a module without a name")
    path = f"{parent}/{module['name']}"
    if "buildsystem" not in module:
        fail(f"{path}: no buildsystem")
    if not module.get("sources"):
        fail(f"{path}: no sources")
    check_sources(module, path)
    print(f"ok - module {path} is pinned")


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    with open(sys.argv[1], encoding="utf-8") as f:
        try:
            manifest = json.load(f)
        except json.JSONDecodeError as e:
            fail(f"not valid JSON: {e}")
    print("ok - valid JSON")

    if manifest.get("id", manifest.get("app-id")) != APP_ID:
        fail(f"the id is not {APP_ID}")
    if manifest.get("command") != "bendi":
        fail("the command is not bendi")
    if manifest.get("runtime") != "org.gnome.Platform" or manifest.get("sdk") != "org.gnome.Sdk":
        fail("the runtime and SDK are not GNOME's")
    version = str(manifest.get("runtime-version", ""))
    if not re.fullmatch(r"4[7-9]|[5-9][0-9]", version):
        fail(f"runtime-version {version!r}: GNOME 47 or later is needed")
    print(f"ok - {APP_ID}, command bendi, org.gnome.Platform {version}")

    finish_args = manifest.get("finish-args", [])
    if len(set(finish_args)) != len(finish_args):
        fail("finish-args lists a permission twice")
    for arg in finish_args:
        if FORBIDDEN.match(arg):
            fail(f"finish-args grants {arg}, which the file chooser portal makes unnecessary")
    if set(finish_args) != EXPECTED_FINISH_ARGS:
        extra = sorted(set(finish_args) - EXPECTED_FINISH_ARGS)
        missing = sorted(EXPECTED_FINISH_ARGS - set(finish_args))
        fail(f"finish-args differ from the reviewed set: extra {extra}, missing {missing}")
    why = manifest.get("x-finish-args-why", {})
    unexplained = [arg for arg in finish_args if not why.get(arg)]
    if unexplained:
        fail(f"x-finish-args-why does not explain {unexplained}")
    print(f"ok - {len(finish_args)} finish-args, the reviewed set, each explained")

    modules = manifest.get("modules", [])
    if not modules:
        fail("no modules")
    for module in modules:
        check_module(module, "")
    last = modules[-1]
    if last.get("name") != "bendi" or last.get("buildsystem") != "meson":
        fail("the last module is not bendi, built with meson")
    print("PASS")


if __name__ == "__main__":
    main()
