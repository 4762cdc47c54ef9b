#!/bin/sh
# BAD ON PURPOSE: asks for input. The agent runs installs with no keyboard and stdin closed, so the
# read below gets end-of-file and the install fails (or, in a loop, hangs until its timeout). Lint
# reports the read; the harness reports the failed install as a prompt.
set -eu
log() { echo "bad-prompt: $*"; [ -z "${ISCDESK_LOG:-}" ] || echo "bad-prompt: $*" >>"$ISCDESK_LOG"; }
dest=${ISCDESK_INSTALL_DIR:?ISCDESK_INSTALL_DIR is not set}
payload=${ISCDESK_PACKAGE_DIR:-$(pwd)}/payload
printf 'Do you accept the license agreement? [y/N] '
read answer
case $answer in
y | Y | yes) ;;
*) log "license not accepted; nothing installed" >&2; exit 1 ;;
esac
mkdir -p "$dest/bin"
cp "$payload/bin/bad-prompt" "$dest/bin/bad-prompt.part" && mv -f "$dest/bin/bad-prompt.part" "$dest/bin/bad-prompt"
printf '1.0.0\n' >"$dest/VERSION.part" && mv -f "$dest/VERSION.part" "$dest/VERSION"
log "installed in $dest"
