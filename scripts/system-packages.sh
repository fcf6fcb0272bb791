#!/usr/bin/env bash
# Install the Debian packages the test suite needs (PostgreSQL, Chromium, Pango), if missing.
set -euo pipefail
packages=(postgresql redis-server chromium chromium-driver libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)
missing=()
# npm installs axe-core for the accessibility checks; machines with Node.js from elsewhere already have it.
command -v npm >/dev/null || packages+=(npm)
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages: ${missing[*]} (run as root, or install them with sudo apt-get install)" >&2
  exit 1
fi
echo "Installing Debian packages: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
