#!/bin/sh
# BAD ON PURPOSE: fails when run a second time. rm without -f and rmdir without a check stop the
# script (set -e) once the files are gone. The agent re-runs an uninstall after a crash, and
# engineers click it twice. Fix: rm -f, and exit 0 when nothing is left.
set -eu
log() { echo "bad-uninstall-twice: $*"; [ -z "${ISCDESK_LOG:-}" ] || echo "bad-uninstall-twice: $*" >>"$ISCDESK_LOG"; }
dest=${ISCDESK_INSTALL_DIR:?ISCDESK_INSTALL_DIR is not set}
payload=${ISCDESK_PACKAGE_DIR:-$(pwd)}/payload
log "removing $dest"
rm "$dest/bin/bad-uninstall-twice" "$dest/VERSION"
rmdir "$dest/bin"
