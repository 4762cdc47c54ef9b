#!/usr/bin/env bash
# Writes a PNG of every screen of iscdesk-gui into docs/screenshots/ (make screenshots).
#
# It starts the embedded marketplace on its demo data and an agent in --user mode in a temporary
# folder, signs the demo engineer in with a token, installs demo-solver so that the Software
# screen shows an installed product, and runs the app under Xvfb with --screenshot.
#
#   scripts/screenshots.sh [OUT_DIR]
#
# Needs: go, a C compiler and the GL/X11 headers (the GUI uses cgo), xvfb-run; optional:
# ImageMagick's mogrify to shrink the PNGs.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "${1:-$root/docs/screenshots}")
work=$(mktemp -d "${TMPDIR:-/tmp}/iscdesk-shots.XXXXXX")
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

for tool in go xvfb-run; do
	command -v "$tool" >/dev/null || { echo "screenshots: $tool is missing (apt-get install xvfb for xvfb-run)" >&2; exit 1; }
done

echo "screenshots: building" >&2
cd "$root"
CGO_ENABLED=0 go build -o "$work/bin/" ./cmd/iscdesk-market ./cmd/iscdesk-agent ./cmd/iscdesk
go build -o "$work/bin/" ./cmd/iscdesk-gui

# wait_for FILE PATTERN: waits up to 60 s until a line of FILE matches PATTERN, and prints it.
wait_for() {
	for _ in $(seq 600); do
		if line=$(grep -m1 -E "$2" "$1" 2>/dev/null); then
			printf '%s\n' "$line"
			return 0
		fi
		sleep 0.1
	done
	echo "screenshots: gave up waiting for '$2' in $1:" >&2
	cat "$1" >&2
	return 1
}

echo "screenshots: starting the marketplace and the agent" >&2
"$work/bin/iscdesk-market" serve --data "$work/market" --examples "$root/packaging/examples" --addr 127.0.0.1:0 \
	>"$work/market.log" 2>&1 &
pids+=($!)
market=$(wait_for "$work/market.log" '^marketplace on ' | awk '{print $3}')
key=$(wait_for "$work/market.log" '^ticket key' | sed 's/^ticket key[^:]*: //')

mkdir -p "$work/home"
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config"
sock="$work/agent.sock"
"$work/bin/iscdesk-agent" run --user --socket "$sock" --state-dir "$work/state" --install-root "$work/opt" \
	--trusted-key "$key" >"$work/agent.log" 2>&1 &
pids+=($!)
for _ in $(seq 300); do
	"$work/bin/iscdesk" status --socket "$sock" >/dev/null 2>&1 && break
	sleep 0.1
done

token=$("$work/bin/iscdesk-market" token --data "$work/market" --examples "$root/packaging/examples")
if ! "$work/bin/iscdesk" install demo-solver --market "$market" --token "$token" --socket "$sock" >"$work/install.log" 2>&1; then
	echo "screenshots: installing demo-solver failed; the Software screen will show nothing installed:" >&2
	cat "$work/install.log" >&2
fi

echo "screenshots: rendering into $out" >&2
mkdir -p "$out"
rm -f "$out"/*.png
LANG=C.UTF-8 xvfb-run -a -s "-screen 0 1280x860x24" \
	"$work/bin/iscdesk-gui" --market "$market" --socket "$sock" --token "$token" --screenshot "$out"

if command -v mogrify >/dev/null; then
	# A 256-colour palette keeps the text sharp and the files small enough to commit.
	mogrify -strip -dither None -colors 256 "$out"/*.png
fi
ls -l "$out"
