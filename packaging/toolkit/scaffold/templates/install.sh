#!/bin/sh
# Silent install of __NAME__ 1.0.0, run by the ISCDesk agent (made by `iscdesk-pack init`).
#
# The agent runs this as root, with no keyboard (stdin closed), in a clean environment:
#   ISCDESK_MODE         install | continue (a cut-off install run again) | overwrite (after clean-up)
#   ISCDESK_INSTALL_DIR  the folder to install into (absolute): write nothing outside it
#   ISCDESK_PACKAGE_DIR  this package's folder, also the working directory
#   ISCDESK_LOG          a file to append your log to: support reads it when an install fails
# Exit 0 when the software is installed, non-zero when not. Never prompt, never reboot: if a
# reboot is needed, exit with a code that package.yaml maps to reboot under exit_codes.
#
# Overwrite-safe, which is why package.yaml says on_interrupt: continue. Each file is first
# recorded in .installed-files, then written to NAME.part and renamed into place, so a run cut off
# anywhere leaves whole files and a list that covers them; running the install again ends exactly
# like an uninterrupted run. VERSION is written last: detection sees the install only when it is
# complete. Keep these rules when you change this script; `iscdesk-pack test` checks them.
set -eu

log() {
	printf '%s\n' "$*"
	if [ -n "${ISCDESK_LOG:-}" ]; then
		printf '%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >>"$ISCDESK_LOG" 2>/dev/null || true
	fi
}
die() {
	log "error: $*" >&2
	exit 1
}

dest=${ISCDESK_INSTALL_DIR:-}
case $dest in
/*) ;;
*) die "ISCDESK_INSTALL_DIR must be the absolute path of the install folder, not '$dest'" ;;
esac
pkg=${ISCDESK_PACKAGE_DIR:-$(pwd)}
[ -d "$pkg/payload" ] || die "$pkg/payload is missing: the package is incomplete; download it again"
record=$dest/.installed-files

case ${ISCDESK_MODE:-install} in
install | overwrite) log "installing __NAME__ 1.0.0 into $dest" ;;
continue) log "continuing a cut-off install of __NAME__ in $dest" ;;
*) die "ISCDESK_MODE=${ISCDESK_MODE:-} is not an install mode; use install, continue or overwrite" ;;
esac
mkdir -p "$dest"

# note REL: records REL in .installed-files before the file exists, so that an uninstall after a
# cut-off run still finds it. The list itself is replaced by a rename, never edited in place.
note() {
	if [ -f "$record" ] && grep -qxF "$1" "$record"; then
		return 0
	fi
	{
		if [ -f "$record" ]; then cat "$record"; fi
		printf '%s\n' "$1"
	} >"$record.part"
	mv -f "$record.part" "$record"
}

# put SRC REL: installs the file SRC as $dest/REL through a temp file and a rename.
put() {
	note "$2"
	mkdir -p "$(dirname "$dest/$2")"
	cp "$1" "$dest/$2.part"
	mv -f "$dest/$2.part" "$dest/$2"
}

# Every file of payload/, in a fixed order; cp keeps the executable bit.
(cd "$pkg/payload" && find . -type f | sed 's|^\./||' | sort) | while IFS= read -r rel; do
	put "$pkg/payload/$rel" "$rel"
done

# The version stamp goes last: package.yaml detects the install by it.
note VERSION
printf '%s\n' 1.0.0 >"$dest/VERSION.part"
mv -f "$dest/VERSION.part" "$dest/VERSION"
log "installed __NAME__ 1.0.0 in $dest"
