#!/usr/bin/env bash
# Set up almostism-dos on a fresh Debian/Ubuntu machine: the system packages it drives (QEMU, DOSBox,
# mtools, dosfstools; Bochs with its BIOS and term display; MAME for the IBM PC and XT; tmux for the terminal tests) and a virtual environment in .venv with the tool and its test/dev tools.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")"

packages=(python3 python3-venv python3-pip qemu-system-x86 dosbox mtools dosfstools tmux bochs bochsbios vgabios bochs-term mame)
browser_packages=(npm chromium seabios)  # web: v86 comes by npm; the browser tests drive Chromium
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
updated=""

missing_of() {  # the packages named that are not installed yet (a command of that name counts: npm from nodejs)
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" && continue
    command -v "$package" >/dev/null 2>&1 && continue
    echo "$package"
  done
}

install() {  # apt-get install, once the package lists are fresh
  [ -n "$updated" ] || { $sudo apt-get update -qq; updated=1; }
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

mapfile -t missing < <(missing_of "${packages[@]}")
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  install "${missing[@]}"
fi
mapfile -t missing < <(missing_of "${browser_packages[@]}")
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  install "${missing[@]}" || echo "setup: could not install ${missing[*]}; 'web' and the browser tests will say so"
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev]'
echo "setup: ready (.venv/bin/almostism-dos)"
