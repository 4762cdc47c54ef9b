#!/bin/sh
# Silent install of CAD Viewer 5.0.0, run by the ISCDesk agent (see ../README.md).
#
# NOT overwrite-safe, like many vendors' installers: files are written in place, so a run that is
# cut off can leave a truncated file that looks installed. The installer therefore marks its run
# with .install-in-progress and refuses to build on a marked folder; the package says
# on_interrupt: overwrite, and the agent uninstalls, removes the folder and installs afresh.
set -eu

say() {
	printf 'cad-viewer: %s\n' "$*"
	# The agent's job log already has stdout; ISCDESK_LOG is a second copy, so a failure to append is not fatal.
	if [ -n "${ISCDESK_LOG:-}" ]; then
		{ printf '%s cad-viewer: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >>"$ISCDESK_LOG"; } 2>/dev/null || true
	fi
}
die() {
	say "error: $*" >&2
	exit 1
}

dest=${ISCDESK_INSTALL_DIR:-}
case $dest in
/*) ;;
'') die "ISCDESK_INSTALL_DIR is not set; set it to the absolute path of the folder to install into" ;;
*) die "ISCDESK_INSTALL_DIR=$dest is not an absolute path; give the full path of the install folder" ;;
esac
payload=${ISCDESK_PACKAGE_DIR:-$(pwd)}/payload
[ -d "$payload" ] || die "payload folder $payload is missing: the package is incomplete; download it again"
marker=$dest/.install-in-progress
mode=${ISCDESK_MODE:-install}

case $mode in
install | continue)
	if [ -e "$marker" ]; then
		die "$dest holds a half-done install of CAD Viewer ($(cat "$marker" 2>/dev/null || echo 'no details')); this installer cannot resume it: an overwrite install is needed (uninstall, remove $dest, then install with ISCDESK_MODE=overwrite)"
	fi
	;;
overwrite)
	# The agent removed the folder before this run; a marker here means it could not, so start over ourselves.
	if [ -e "$marker" ]; then
		say "warning: $dest still holds a half-done install; overwriting it"
	fi
	;;
*) die "ISCDESK_MODE=$mode is not an install mode; use install, continue or overwrite" ;;
esac

say "installing CAD Viewer 5.0.0 into $dest"
mkdir -p "$dest"
printf 'started %s by pid %s in mode %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$$" "$mode" >"$marker"

say "step 1/4: program bin/cadview"
mkdir -p "$dest/bin"
cp "$payload/bin/cadview" "$dest/bin/cadview"
chmod 0755 "$dest/bin/cadview"
sleep 0.5

say "step 2/4: format readers lib/formats/"
mkdir -p "$dest/lib/formats"
for f in "$payload"/lib/formats/*.fmt; do
	cp "$f" "$dest/lib/formats/${f##*/}"
done
sleep 0.5

say "step 3/4: format index share/formats.index and samples"
mkdir -p "$dest/share/samples"
# One line a reader: extension, then its description (the reader's first line).
for f in "$dest"/lib/formats/*.fmt; do
	name=${f##*/}
	printf '%s\t%s\n' "${name%.fmt}" "$(head -n 1 "$f")"
done >"$dest/share/formats.index"
cp "$payload"/share/samples/* "$dest/share/samples/"
sleep 0.5

say "step 4/4: version stamp VERSION"
printf '%s\n' 5.0.0 >"$dest/VERSION"
rm -f "$marker"
say "installed CAD Viewer 5.0.0 in $dest"
