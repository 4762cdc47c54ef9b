#!/bin/sh
# Silent uninstall of Legacy Plugin, run by the ISCDesk agent (see ../README.md).
#
# Stubborn on purpose: it removes the plugin, then finds the cache held by the host application
# (cache/LOCK) and gives up with exit 1, leaving the cache and VERSION behind. Once the lock is gone
# (the host closed, or someone deleted cache/LOCK), running it again finishes the job.
set -eu

say() {
	printf 'legacy-plugin: %s\n' "$*"
	if [ -n "${ISCDESK_LOG:-}" ]; then
		{ printf '%s legacy-plugin: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >>"$ISCDESK_LOG"; } 2>/dev/null || true
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

say "removing Legacy Plugin from $dest"
rm -f "$dest/plugins/legacy-plugin.so" "$dest/plugins/legacy-plugin.json" "$dest"/plugins/*.part
rmdir "$dest/plugins" 2>/dev/null || true
say "removed the plugin"

if [ -e "$dest/cache/LOCK" ]; then
	die "cannot remove plugin cache $dest/cache: file in use ($(cat "$dest/cache/LOCK" 2>/dev/null || echo 'cache/LOCK')); close the host application or delete $dest/cache/LOCK, then uninstall again"
fi
rm -f "$dest/cache/index.db" "$dest"/cache/*.part "$dest/VERSION" "$dest/VERSION.part"
rmdir "$dest/cache" 2>/dev/null || true

if rmdir "$dest" 2>/dev/null; then
	say "removed $dest"
else
	say "left $dest in place: it still holds files that Legacy Plugin did not install:"
	(cd "$dest" && find . ! -name . | sed 's|^\./|  |')
fi
