#!/bin/sh
# Silent uninstall of Driver Kit, run by the ISCDesk agent (see ../README.md).
# Every removal tolerates a missing file, so running it twice, or again after it was cut off, succeeds.
set -eu

say() {
	printf 'driver-kit: %s\n' "$*"
	if [ -n "${ISCDESK_LOG:-}" ]; then
		{ printf '%s driver-kit: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >>"$ISCDESK_LOG"; } 2>/dev/null || true
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

say "removing Driver Kit from $dest"
for f in lib/modules/iscdemo.ko bin/iscdemo-status etc/udev/rules.d/99-iscdemo.rules etc/modules-load.d/iscdemo.conf VERSION; do
	rm -f "$dest/$f" "$dest/$f.part"
done
for d in lib/modules lib bin etc/udev/rules.d etc/udev etc/modules-load.d etc; do
	rmdir "$dest/$d" 2>/dev/null || true
done

if rmdir "$dest" 2>/dev/null; then
	say "removed $dest; a loaded iscdemo module stays loaded until the next restart"
else
	say "left $dest in place: it still holds files that Driver Kit did not install:"
	(cd "$dest" && find . ! -name . | sed 's|^\./|  |')
fi
