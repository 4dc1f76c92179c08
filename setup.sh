#!/usr/bin/env bash
# Set up almostism-dos on a fresh Debian/Ubuntu machine: the system packages it drives (QEMU, DOSBox,
# mtools, dosfstools; Bochs with its BIOS and term display; tmux for the terminal tests) and a virtual environment in .venv with the tool and its test/dev tools.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")"

packages=(python3 python3-venv python3-pip qemu-system-x86 dosbox mtools dosfstools tmux bochs bochsbios vgabios bochs-term)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev]'
echo "setup: ready (.venv/bin/almostism-dos)"
