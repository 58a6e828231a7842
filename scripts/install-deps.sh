#!/usr/bin/env bash
# Installs what the tests and benchmarks need beyond a Rust toolchain and a C
# compiler:
#   - the SDL2 development files and pkg-config, for the sdl/ conformance
#     programs and examples;
#   - SDL2_ttf (libsdl2-ttf-dev) and the DejaVu fonts (fonts-dejavu-core), for
#     the score text of examples/sdl_snake.pole-ir;
#   - Xvfb (xvfb) and ImageMagick's `import` (imagemagick), for the test that
#     runs the snake game on a virtual screen and checks a screenshot;
#   - ocaml-nox (ocamlopt), valgrind and GNU time (/usr/bin/time), for the
#     runtime benchmarks in bench/runtime/ and the valgrind test;
#   - gdb, for the debug-information test (addr2line, nm and readelf come
#     with binutils, beside the C compiler), and lldb, for its formatters'
#     test there (Debian 12's lldb 14 looks for its Python module in a
#     directory that does not exist; the test finds the real one);
#   - neovim, for the headless editor test (tests/neovim.rs drives its
#     built-in LSP client against `pole lsp`);
#   - the tree-sitter CLI, for the grammar test (tests/tree_sitter.rs), built
#     from crates.io with cargo into ~/.cache/pole/tree-sitter-cli (the npm
#     package downloads its binary from elsewhere than the npm registry at
#     install time, which fails where only the registries are reachable);
#   - tcc, for the `pole run` latency benchmark (bench/run.sh: `tcc -run`).
# Idempotent: each package is installed only when what it provides is missing
# (`pkg-config --exists sdl2`, `pkg-config --exists SDL2_ttf`, the font file,
# `Xvfb`, `import`, `ocamlopt`, `valgrind`, `gdb`, `lldb`, `nvim`, `/usr/bin/time`,
# `tcc`, the tree-sitter CLI of the version below); when
# everything is present it changes nothing. Uses apt-get, as root, or through
# sudo when not root.
set -euo pipefail

missing=()   # apt packages to install
what=()      # what they are for, for the messages
if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists sdl2; then
    echo "install-deps: SDL2 $(pkg-config --modversion sdl2) and pkg-config already present"
else
    missing+=(libsdl2-dev pkg-config)
    what+=(SDL2)
fi
if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists SDL2_ttf; then
    echo "install-deps: SDL2_ttf $(pkg-config --modversion SDL2_ttf) already present"
else
    missing+=(libsdl2-ttf-dev)
    what+=(SDL2_ttf)
fi
font=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
if [ -f "$font" ]; then
    echo "install-deps: font $font already present"
else
    missing+=(fonts-dejavu-core)
    what+=("the DejaVu fonts")
fi
if command -v Xvfb >/dev/null 2>&1; then
    echo "install-deps: Xvfb already present"
else
    missing+=(xvfb)
    what+=(Xvfb)
fi
if command -v import >/dev/null 2>&1; then
    echo "install-deps: ImageMagick's import already present"
else
    missing+=(imagemagick)
    what+=("ImageMagick's import")
fi
if command -v ocamlopt >/dev/null 2>&1; then
    echo "install-deps: ocamlopt $(ocamlopt -version) already present"
else
    missing+=(ocaml-nox)
    what+=(ocamlopt)
fi
if command -v valgrind >/dev/null 2>&1; then
    echo "install-deps: $(valgrind --version) already present"
else
    missing+=(valgrind)
    what+=(valgrind)
fi
if command -v gdb >/dev/null 2>&1; then
    echo "install-deps: $(gdb --version | head -n 1) already present"
else
    missing+=(gdb)
    what+=(gdb)
fi
if command -v lldb >/dev/null 2>&1; then
    echo "install-deps: $(lldb --version 2>/dev/null | head -n 1) already present"
else
    missing+=(lldb)
    what+=(lldb)
fi
if command -v nvim >/dev/null 2>&1; then
    echo "install-deps: $(nvim --version | head -n 1) already present"
else
    missing+=(neovim)
    what+=(Neovim)
fi
if command -v tcc >/dev/null 2>&1; then
    echo "install-deps: tcc $(tcc -v 2>&1 | head -n 1 | awk '{print $3}') already present"
else
    missing+=(tcc)
    what+=(tcc)
fi
if [ -x /usr/bin/time ] && /usr/bin/time -f '%M' true >/dev/null 2>&1; then
    echo "install-deps: GNU time (/usr/bin/time) already present"
else
    missing+=(time)
    what+=("GNU time")
fi

# The tree-sitter CLI: not an apt package; cargo builds it once (minutes).
tree_sitter_version=0.27.1
tree_sitter_root="${XDG_CACHE_HOME:-$HOME/.cache}/pole/tree-sitter-cli"
tree_sitter="$tree_sitter_root/bin/tree-sitter"
if [ -x "$tree_sitter" ] && "$tree_sitter" --version | grep -qF "$tree_sitter_version"; then
    echo "install-deps: $("$tree_sitter" --version) already present in $tree_sitter_root"
elif ! command -v cargo >/dev/null 2>&1; then
    echo "install-deps: cargo is not on PATH: cannot build the tree-sitter CLI" >&2
    exit 1
else
    echo "install-deps: building tree-sitter-cli $tree_sitter_version with cargo into $tree_sitter_root"
    cargo install --quiet --locked --root "$tree_sitter_root" \
        "tree-sitter-cli@$tree_sitter_version"
    echo "install-deps: installed $("$tree_sitter" --version)"
fi

if [ "${#missing[@]}" -eq 0 ]; then
    echo "install-deps: nothing to do"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-deps: missing ${what[*]} and apt-get is not available;" \
        "install these Debian packages (or their equivalents) by hand: ${missing[*]}" >&2
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
    echo "install-deps: missing ${what[*]}; installing ${missing[*]} needs root or sudo" >&2
    exit 1
fi

echo "install-deps: installing ${missing[*]} with apt-get, $how"
"${as_root[@]}" apt-get update -q
"${as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"

status=0
if [[ " ${missing[*]} " == *" libsdl2-dev "* ]]; then
    if pkg-config --exists sdl2; then
        echo "install-deps: installed SDL2 $(pkg-config --modversion sdl2)"
    else
        echo "install-deps: installed, but \`pkg-config --exists sdl2\` still fails" >&2
        status=1
    fi
fi
if [[ " ${missing[*]} " == *" libsdl2-ttf-dev "* ]]; then
    if pkg-config --exists SDL2_ttf; then
        echo "install-deps: installed SDL2_ttf $(pkg-config --modversion SDL2_ttf)"
    else
        echo "install-deps: installed, but \`pkg-config --exists SDL2_ttf\` still fails" >&2
        status=1
    fi
fi
if [[ " ${missing[*]} " == *" fonts-dejavu-core "* ]] && ! [ -f "$font" ]; then
    echo "install-deps: installed fonts-dejavu-core, but $font is still missing" >&2
    status=1
fi
if [[ " ${missing[*]} " == *" xvfb "* ]] && ! command -v Xvfb >/dev/null 2>&1; then
    echo "install-deps: installed xvfb, but Xvfb is still not on PATH" >&2
    status=1
fi
if [[ " ${missing[*]} " == *" imagemagick "* ]] && ! command -v import >/dev/null 2>&1; then
    echo "install-deps: installed imagemagick, but import is still not on PATH" >&2
    status=1
fi
if [[ " ${missing[*]} " == *" ocaml-nox "* ]]; then
    if command -v ocamlopt >/dev/null 2>&1; then
        echo "install-deps: installed ocamlopt $(ocamlopt -version)"
    else
        echo "install-deps: installed ocaml-nox, but ocamlopt is still not on PATH" >&2
        status=1
    fi
fi
if [[ " ${missing[*]} " == *" valgrind "* ]] && ! command -v valgrind >/dev/null 2>&1; then
    echo "install-deps: installed valgrind, but it is still not on PATH" >&2
    status=1
fi
if [[ " ${missing[*]} " == *" neovim "* ]] && ! command -v nvim >/dev/null 2>&1; then
    echo "install-deps: installed neovim, but nvim is still not on PATH" >&2
    status=1
fi
if [[ " ${missing[*]} " == *" tcc "* ]] && ! command -v tcc >/dev/null 2>&1; then
    echo "install-deps: installed tcc, but it is still not on PATH" >&2
    status=1
fi
if [[ " ${missing[*]} " == *" time "* ]] && ! [ -x /usr/bin/time ]; then
    echo "install-deps: installed time, but /usr/bin/time is still missing" >&2
    status=1
fi
exit "$status"
