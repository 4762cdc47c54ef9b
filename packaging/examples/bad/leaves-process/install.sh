#!/bin/sh
# BAD ON PURPOSE: starts a background "license daemon" and exits without waiting for it. The agent
# finds it by the step's token, kills it and fails the step: an installer must wait for every
# process it starts.
set -eu
log() { echo "bad-leaves-process: $*"; [ -z "${ISCDESK_LOG:-}" ] || echo "bad-leaves-process: $*" >>"$ISCDESK_LOG"; }
dest=${ISCDESK_INSTALL_DIR:?ISCDESK_INSTALL_DIR is not set}
payload=${ISCDESK_PACKAGE_DIR:-$(pwd)}/payload
mkdir -p "$dest/bin"
cp "$payload/bin/bad-leaves-process" "$dest/bin/bad-leaves-process.part" && mv -f "$dest/bin/bad-leaves-process.part" "$dest/bin/bad-leaves-process"
printf '1.0.0\n' >"$dest/VERSION.part" && mv -f "$dest/VERSION.part" "$dest/VERSION"
log "installed in $dest"
log "starting the license daemon"
sh -c 'while :; do sleep 1; done' >/dev/null 2>&1 &
