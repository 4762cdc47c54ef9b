#!/usr/bin/env bash
# Installs what building and testing ISCDesk needs, and nothing twice: Debian packages that are
# missing (as root, or through sudo), then the Go modules. Safe to run on every `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."

# Packages the build, the tests and the demo use. Keep this list in step with README.md.
apt_pkgs=(ca-certificates git make gcc pkg-config curl unzip zip zstd wixl msitools lintian rpm minisign
  libgl1-mesa-dev xorg-dev xvfb xauth x11-apps imagemagick)

missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null; then
    echo "deps.sh: missing ${missing[*]} and no apt-get here; install them by hand" >&2
    exit 1
  fi
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "deps.sh: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v go >/dev/null || { echo "deps.sh: Go is not on PATH (want go1.26); see README.md" >&2; exit 1; }
go mod download
