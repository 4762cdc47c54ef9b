#!/bin/sh
# Silent install of Legacy Plugin 3.2.0, run by the ISCDesk agent (see ../README.md).
#
# The install itself is plain and overwrite-safe (each file goes to NAME.part, then is renamed into
# place): on_interrupt: continue. What this example shows is its uninstall (uninstall.sh). The
# install leaves cache/LOCK behind, standing for the host application that holds the cache open.
set -eu

say() {
	printf 'legacy-plugin: %s\n' "$*"
	# The agent's job log already has stdout; ISCDESK_LOG is a second copy, so a failure to append is not fatal.
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
'') die "ISCDESK_INSTALL_DIR is not set; set it to the absolute path of the folder to install into" ;;
*) die "ISCDESK_INSTALL_DIR=$dest is not an absolute path; give the full path of the install folder" ;;
esac
payload=${ISCDESK_PACKAGE_DIR:-$(pwd)}/payload
[ -d "$payload" ] || die "payload folder $payload is missing: the package is incomplete; download it again"
case ${ISCDESK_MODE:-install} in
install | continue | overwrite) ;;
*) die "ISCDESK_MODE=${ISCDESK_MODE:-} is not an install mode; use install, continue or overwrite" ;;
esac

# put REL MODE: moves the finished $dest/REL.part into place.
put() {
	chmod "$2" "$dest/$1.part"
	mv -f "$dest/$1.part" "$dest/$1"
}

say "installing Legacy Plugin 3.2.0 into $dest"
mkdir -p "$dest/plugins" "$dest/cache"

say "step 1/3: plugin plugins/"
cp "$payload/plugins/legacy-plugin.so" "$dest/plugins/legacy-plugin.so.part"
put plugins/legacy-plugin.so 0644
cat >"$dest/plugins/legacy-plugin.json.part" <<JSON
{"id": "legacy-plugin", "version": "3.2.0", "library": "legacy-plugin.so", "cache": "$dest/cache"}
JSON
put plugins/legacy-plugin.json 0644

say "step 2/3: plugin cache cache/"
# A small index the host fills in at run time; the installer seeds it with one entry a sample part.
awk 'BEGIN { for (i = 1; i <= 32; i++) printf "part-%03d\t%04x\n", i, (i * 7919) % 65536 }' >"$dest/cache/index.db.part"
put cache/index.db 0644
printf 'held by legacy-plugin-host (started by the install of Legacy Plugin 3.2.0)\n' >"$dest/cache/LOCK.part"
put cache/LOCK 0644

say "step 3/3: version stamp VERSION"
printf '%s\n' 3.2.0 >"$dest/VERSION.part"
put VERSION 0644
say "installed Legacy Plugin 3.2.0 in $dest"
