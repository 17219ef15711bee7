#!/usr/bin/env bash
# Installs the Debian packages named as arguments with apt-get (through sudo
# when not root), updating the package lists first only when they do not know
# one of them (as on a fresh machine). The test scripts that need system
# packages call it when they find one missing.
#
#   bash .ci/install-debian-packages.sh haproxy pg-auto-failover-cli
set -euo pipefail

packages=("$@")
echo "== installing ${packages[*]}"
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-debian-packages.sh: need root (or sudo) to install ${packages[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
for package in "${packages[@]}"; do
  candidate="$(apt-cache policy "$package" 2>/dev/null | sed -n 's/^ *Candidate: //p')"
  if [ -z "$candidate" ] || [ "$candidate" = "(none)" ]; then
    "${sudo[@]}" apt-get update -q
    break
  fi
done
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${packages[@]}"
