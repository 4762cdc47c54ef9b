#!/bin/sh
# Silent uninstall of bad-leaves-process: removes what the install wrote, and succeeds when run
# twice.
set -eu
log() { echo "bad-leaves-process: $*"; [ -z "${ISCDESK_LOG:-}" ] || echo "bad-leaves-process: $*" >>"$ISCDESK_LOG"; }
dest=${ISCDESK_INSTALL_DIR:?ISCDESK_INSTALL_DIR is not set}
payload=${ISCDESK_PACKAGE_DIR:-$(pwd)}/payload
log "removing $dest"
rm -f "$dest/bin/bad-leaves-process" "$dest/bin/bad-leaves-process.part" "$dest/VERSION" "$dest/VERSION.part"
rmdir "$dest/bin" 2>/dev/null || true
rmdir "$dest" 2>/dev/null || true
