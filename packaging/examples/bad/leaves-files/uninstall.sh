#!/bin/sh
# BAD ON PURPOSE: removes the program and VERSION only; share/ and ~/.config/bad-leaves-files stay
# behind.
set -eu
log() { echo "bad-leaves-files: $*"; [ -z "${ISCDESK_LOG:-}" ] || echo "bad-leaves-files: $*" >>"$ISCDESK_LOG"; }
dest=${ISCDESK_INSTALL_DIR:?ISCDESK_INSTALL_DIR is not set}
payload=${ISCDESK_PACKAGE_DIR:-$(pwd)}/payload
log "removing $dest"
rm -f "$dest/bin/bad-leaves-files" "$dest/bin/bad-leaves-files.part" "$dest/VERSION" "$dest/VERSION.part"
rmdir "$dest/bin" 2>/dev/null || true
rmdir "$dest" 2>/dev/null || true
