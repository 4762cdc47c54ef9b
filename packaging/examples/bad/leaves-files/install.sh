#!/bin/sh
# BAD ON PURPOSE: its uninstall (uninstall.sh) forgets share/ and the settings this install writes
# to $HOME.
set -eu
log() { echo "bad-leaves-files: $*"; [ -z "${ISCDESK_LOG:-}" ] || echo "bad-leaves-files: $*" >>"$ISCDESK_LOG"; }
dest=${ISCDESK_INSTALL_DIR:?ISCDESK_INSTALL_DIR is not set}
payload=${ISCDESK_PACKAGE_DIR:-$(pwd)}/payload
mkdir -p "$dest/share" "$HOME/.config/bad-leaves-files"
printf 'samples\n' >"$dest/share/samples.txt"
printf '[ui]\ntheme = dark\n' >"$HOME/.config/bad-leaves-files/settings.ini"
mkdir -p "$dest/bin"
cp "$payload/bin/bad-leaves-files" "$dest/bin/bad-leaves-files.part" && mv -f "$dest/bin/bad-leaves-files.part" "$dest/bin/bad-leaves-files"
printf '1.0.0\n' >"$dest/VERSION.part" && mv -f "$dest/VERSION.part" "$dest/VERSION"
log "installed in $dest"
