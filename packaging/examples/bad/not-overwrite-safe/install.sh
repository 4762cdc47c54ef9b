#!/bin/sh
# BAD ON PURPOSE: says on_interrupt: continue, but is not overwrite-safe. mkdir without -p fails
# when a cut-off run already made the folder, so the agent's continue fails. Fix: mkdir -p, or
# declare on_interrupt: overwrite.
set -eu
log() { echo "bad-not-overwrite-safe: $*"; [ -z "${ISCDESK_LOG:-}" ] || echo "bad-not-overwrite-safe: $*" >>"$ISCDESK_LOG"; }
dest=${ISCDESK_INSTALL_DIR:?ISCDESK_INSTALL_DIR is not set}
payload=${ISCDESK_PACKAGE_DIR:-$(pwd)}/payload
mkdir "$dest/data"
for i in 1 2 3 4; do
	log "writing data part $i of 4"
	printf 'part %s\n' "$i" >"$dest/data/part$i"
	sleep 0.3
done
mkdir -p "$dest/bin"
cp "$payload/bin/bad-not-overwrite-safe" "$dest/bin/bad-not-overwrite-safe.part" && mv -f "$dest/bin/bad-not-overwrite-safe.part" "$dest/bin/bad-not-overwrite-safe"
printf '1.0.0\n' >"$dest/VERSION.part" && mv -f "$dest/VERSION.part" "$dest/VERSION"
log "installed in $dest"
