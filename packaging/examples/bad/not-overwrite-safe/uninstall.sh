#!/bin/sh
# Silent uninstall of bad-not-overwrite-safe: removes what the install wrote, and succeeds when run
# twice.
set -eu
log() { echo "bad-not-overwrite-safe: $*"; [ -z "${ISCDESK_LOG:-}" ] || echo "bad-not-overwrite-safe: $*" >>"$ISCDESK_LOG"; }
dest=${ISCDESK_INSTALL_DIR:?ISCDESK_INSTALL_DIR is not set}
payload=${ISCDESK_PACKAGE_DIR:-$(pwd)}/payload
log "removing $dest"
rm -f "$dest/bin/bad-not-overwrite-safe" "$dest/bin/bad-not-overwrite-safe.part" "$dest/VERSION" "$dest/VERSION.part" "$dest"/data/part*
rmdir "$dest/data" 2>/dev/null || true
rmdir "$dest/bin" 2>/dev/null || true
rmdir "$dest" 2>/dev/null || true
