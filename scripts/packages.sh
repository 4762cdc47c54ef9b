#!/usr/bin/env bash
# Builds the agent's deb, rpm and msi into dist/ (or $DIST), with SHA256SUMS and minisign
# signatures: `make packages`. The binaries are cross-built here; packaging/agent/cmd/mkpkg packs
# them. Needs the Debian packages wixl and msitools (scripts/deps.sh installs them).
#
#   VERSION   MAJOR.MINOR.PATCH[-PRERELEASE]; default: the last v* tag, else 0.0.0-dev
#   DIST      output folder; default dist
#   SIGN_KEY  minisign secret key (password in ISCDESK_SIGN_PASSWORD); default: a development key
#             made once under .state/packages/ and reused
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

version=${VERSION:-$(git describe --tags --match 'v[0-9]*' --abbrev=0 2>/dev/null | sed 's/^v//' || true)}
version=${version:-0.0.0-dev}
dist=${DIST:-dist}
key=${SIGN_KEY:-}
gen=()
if [ -z "$key" ]; then
  key=.state/packages/dev-release.key
  gen=(--gen-key)
fi

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
ldflags="-s -w -X main.version=$version"
for os in linux windows; do
  echo "packages.sh: building the $os/amd64 binaries ($version)"
  CGO_ENABLED=0 GOOS=$os GOARCH=amd64 go build -trimpath -ldflags "$ldflags" -o "$bin/$os/" ./cmd/iscdesk-agent ./cmd/iscdesk
done

go run ./packaging/agent/cmd/mkpkg --version "$version" --arch amd64 \
  --linux-bin "$bin/linux" --windows-bin "$bin/windows" --out "$dist" --key "$key" "${gen[@]}"
