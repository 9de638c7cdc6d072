#!/usr/bin/env bash
# System libraries neurosim needs on a fresh Debian/Ubuntu machine:
#  - Mesa EGL/GL, so PyVista/VTK renders off-screen with no display;
#  - a C/C++ compiler, make and the Python headers, for Brian2's compiled targets.
# Installs only what is missing; needs root (or sudo) and apt-get, else it says what to install.
set -euo pipefail
need=()
ldconfig -p 2>/dev/null | grep -q 'libEGL.so.1' || need+=(libegl1)
ls /usr/lib/*/libEGL_mesa.so.0 >/dev/null 2>&1 || need+=(libegl-mesa0)
ls /usr/lib/*/dri/swrast_dri.so /usr/lib/*/dri/*_dri.so >/dev/null 2>&1 || need+=(libgl1-mesa-dri)
ldconfig -p 2>/dev/null | grep -q 'libGL.so.1' || need+=(libgl1)
ldconfig -p 2>/dev/null | grep -q 'libXrender.so.1' || need+=(libxrender1)
command -v g++ >/dev/null || need+=(g++)
command -v make >/dev/null || need+=(make)
if [ ${#need[@]} -eq 0 ]; then
    echo "system-deps: all present"
    exit 0
fi
echo "system-deps: installing ${need[*]}"
SUDO=""
if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null; then SUDO="sudo"; else
        echo "system-deps: not root and no sudo; please install: ${need[*]}" >&2; exit 1; fi
fi
if ! command -v apt-get >/dev/null; then
    echo "system-deps: no apt-get; please install the equivalents of: ${need[*]}" >&2; exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
