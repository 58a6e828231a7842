#!/usr/bin/env bash
# Installs what the tests need beyond a Rust toolchain and a C compiler: the
# SDL2 development files and pkg-config, for the sdl/ conformance programs and
# examples. Idempotent: when `pkg-config --exists sdl2` already succeeds it
# changes nothing. Uses apt-get, as root, or through sudo when not root.
set -euo pipefail

if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists sdl2; then
    echo "install-deps: SDL2 $(pkg-config --modversion sdl2) and pkg-config already present; nothing to do"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-deps: SDL2 not found and apt-get is not available;" \
        "install the SDL2 development files and pkg-config by hand" >&2
    exit 1
fi

# Commands run as root, with apt-get's questions turned off.
if [ "$(id -u)" -eq 0 ]; then
    as_root=(env DEBIAN_FRONTEND=noninteractive)
    how="as root"
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo env DEBIAN_FRONTEND=noninteractive)
    how="through sudo"
else
    echo "install-deps: SDL2 not found; installing it needs root or sudo" >&2
    exit 1
fi

echo "install-deps: SDL2 not found: installing libsdl2-dev and pkg-config with apt-get, $how"
"${as_root[@]}" apt-get update -q
"${as_root[@]}" apt-get install -y -q --no-install-recommends libsdl2-dev pkg-config

if ! pkg-config --exists sdl2; then
    echo "install-deps: installed, but \`pkg-config --exists sdl2\` still fails" >&2
    exit 1
fi
echo "install-deps: installed SDL2 $(pkg-config --modversion sdl2)"
