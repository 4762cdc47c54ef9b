#!/bin/sh
# Silent uninstall of __NAME__, run by the ISCDesk agent (made by `iscdesk-pack init`).
#
# Removes exactly what install.sh recorded in .installed-files (and stale .part temp files), then
# the folders that became empty, and the list last. So it is safe to run twice, after a cut-off
# install and after a cut-off uninstall: with no list left there is nothing of ours to remove, and
# it exits 0. Files it did not install (a license the agent placed, the user's own) are left and
# listed. ISCDESK_MODE is uninstall, or overwrite when the agent cleans up before a fresh install.
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
record=$dest/.installed-files

if [ ! -f "$record" ]; then
	log "nothing of __NAME__ to remove in $dest"
	rmdir "$dest" 2>/dev/null || true
	exit 0
fi

log "removing __NAME__ from $dest"
while IFS= read -r rel; do
	# The list is data in a folder we run over as root: act only on plain relative paths.
	case $rel in
	'' | /* | ../* | */../* | *'/..' | ..) continue ;;
	esac
	rm -f "$dest/$rel" "$dest/$rel.part"
done <"$record"
# Every folder above a listed file, deepest first; rmdir leaves those that are not empty.
awk -F/ '{ p = $1; for (i = 2; i < NF; i++) { print p; p = p "/" $i } if (NF > 1) print p }' "$record" |
	sort -u -r | while IFS= read -r dir; do
		rmdir "$dest/$dir" 2>/dev/null || true
	done
rm -f "$record" "$record.part"

if rmdir "$dest" 2>/dev/null; then
	log "removed $dest"
else
	log "left $dest: it holds files that __NAME__ did not install:"
	(cd "$dest" && find . ! -name . | sed 's|^\./|  |')
fi
