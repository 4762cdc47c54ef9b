#!/bin/sh
# Silent uninstall of CAD Viewer, run by the ISCDesk agent (see ../README.md).
#
# Removes what the installer writes, whether that install finished or was cut off (the agent runs
# this before an overwrite install). Every removal tolerates a missing file, so running it twice,
# or again after it was cut off, succeeds.
set -eu

say() {
	printf 'cad-viewer: %s\n' "$*"
	if [ -n "${ISCDESK_LOG:-}" ]; then
		{ printf '%s cad-viewer: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >>"$ISCDESK_LOG"; } 2>/dev/null || true
	fi
}
die() {
	say "error: $*" >&2
	exit 1
}

dest=${ISCDESK_INSTALL_DIR:-}
case $dest in
/*) ;;
'') die "ISCDESK_INSTALL_DIR is not set; set it to the absolute path of the install folder" ;;
*) die "ISCDESK_INSTALL_DIR=$dest is not an absolute path; give the full path of the install folder" ;;
esac

if [ ! -d "$dest" ]; then
	say "nothing to remove: $dest does not exist"
	exit 0
fi

say "removing CAD Viewer from $dest"
[ ! -e "$dest/.install-in-progress" ] || say "the install there was cut off; removing what it wrote"
rm -f "$dest/bin/cadview" "$dest"/lib/formats/*.fmt "$dest/share/formats.index" "$dest"/share/samples/*.stl
for d in bin lib/formats lib share/samples share; do
	rmdir "$dest/$d" 2>/dev/null || true
done
# The marker and the stamp go last: until then a re-run knows this folder is ours.
rm -f "$dest/VERSION" "$dest/.install-in-progress"

if rmdir "$dest" 2>/dev/null; then
	say "removed $dest"
else
	say "left $dest in place: it still holds files that CAD Viewer did not install:"
	(cd "$dest" && find . ! -name . | sed 's|^\./|  |')
fi
