#!/bin/sh
# Silent uninstall of Broken Installer, run by the ISCDesk agent (see ../README.md).
# The install rolls itself back, so there is rarely anything here; removals tolerate missing files.
set -eu

say() {
	printf 'broken-installer: %s\n' "$*"
	if [ -n "${ISCDESK_LOG:-}" ]; then
		{ printf '%s broken-installer: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >>"$ISCDESK_LOG"; } 2>/dev/null || true
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
say "removing Broken Installer from $dest"
rm -f "$dest/bin/broken-app" "$dest"/lib/broken-app/*.so "$dest/VERSION"
for d in bin lib/broken-app lib; do
	rmdir "$dest/$d" 2>/dev/null || true
done
if rmdir "$dest" 2>/dev/null; then
	say "removed $dest"
else
	say "left $dest in place: it still holds files that Broken Installer did not install:"
	(cd "$dest" && find . ! -name . | sed 's|^\./|  |')
fi
