#!/bin/sh
# BAD ON PURPOSE: hides its failure. The copy below fails (bin/ was never made) and, without set -e,
# the script goes on and exits 0. The agent learns of it only because detection finds nothing. Fix:
# set -e and mkdir -p.
set -u # no -e: the bug
log() { echo "bad-exit-0: $*"; [ -z "${ISCDESK_LOG:-}" ] || echo "bad-exit-0: $*" >>"$ISCDESK_LOG"; }
dest=${ISCDESK_INSTALL_DIR:?ISCDESK_INSTALL_DIR is not set}
payload=${ISCDESK_PACKAGE_DIR:-$(pwd)}/payload
log "copying the program"
cp "$payload/bin/bad-exit-0" "$dest/bin/bad-exit-0"
printf '1.0.0\n' >"$dest/VERSION"
log "installed in $dest"
exit 0
