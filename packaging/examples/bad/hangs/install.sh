#!/bin/sh
# BAD ON PURPOSE: hangs. It waits for a license server that never answers, past the 2s timeout of
# its package.yaml; the agent kills its whole process tree when the timeout runs out.
set -eu
log() { echo "bad-hangs: $*"; [ -z "${ISCDESK_LOG:-}" ] || echo "bad-hangs: $*" >>"$ISCDESK_LOG"; }
dest=${ISCDESK_INSTALL_DIR:?ISCDESK_INSTALL_DIR is not set}
payload=${ISCDESK_PACKAGE_DIR:-$(pwd)}/payload
log "waiting for the license server at license.example.invalid"
sleep 60
mkdir -p "$dest/bin"
cp "$payload/bin/bad-hangs" "$dest/bin/bad-hangs.part" && mv -f "$dest/bin/bad-hangs.part" "$dest/bin/bad-hangs"
printf '1.0.0\n' >"$dest/VERSION.part" && mv -f "$dest/VERSION.part" "$dest/VERSION"
log "installed in $dest"
