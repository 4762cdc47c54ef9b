#!/bin/sh
# Silent install of bad-uninstall-twice (this part is fine; the fault is in uninstall.sh).
set -eu
log() { echo "bad-uninstall-twice: $*"; [ -z "${ISCDESK_LOG:-}" ] || echo "bad-uninstall-twice: $*" >>"$ISCDESK_LOG"; }
dest=${ISCDESK_INSTALL_DIR:?ISCDESK_INSTALL_DIR is not set}
payload=${ISCDESK_PACKAGE_DIR:-$(pwd)}/payload
mkdir -p "$dest/bin"
cp "$payload/bin/bad-uninstall-twice" "$dest/bin/bad-uninstall-twice.part" && mv -f "$dest/bin/bad-uninstall-twice.part" "$dest/bin/bad-uninstall-twice"
printf '1.0.0\n' >"$dest/VERSION.part" && mv -f "$dest/VERSION.part" "$dest/VERSION"
log "installed in $dest"
