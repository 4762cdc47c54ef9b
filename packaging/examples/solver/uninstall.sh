#!/bin/sh
# Silent uninstall of Demo Solver, run by the ISCDesk agent (see ../README.md).
#
# Removes exactly the files that .installed-files lists (and their stale .part temp files), then the
# folders that became empty. The list goes last, so a run that was cut off can simply be run again;
# with no list left there is nothing of ours to remove, and a second run succeeds doing nothing.
set -eu

say() {
	printf 'demo-solver: %s\n' "$*"
	if [ -n "${ISCDESK_LOG:-}" ]; then
		{ printf '%s demo-solver: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >>"$ISCDESK_LOG"; } 2>/dev/null || true
	fi
}
die() {
	say "error: $*" >&2
	exit 1
}

dest=${ISCDESK_INSTALL_DIR:-}
case $dest in
/*) ;;
'') die "ISCDESK_INSTALL_DIR is not set; set it to the absolute path of the install folder" ;;
*) die "ISCDESK_INSTALL_DIR=$dest is not an absolute path; give the full path of the install folder" ;;
esac
record=$dest/.installed-files

if [ ! -d "$dest" ]; then
	say "nothing to remove: $dest does not exist"
	exit 0
fi

if [ -f "$record" ]; then
	say "removing Demo Solver from $dest"
	n=0
	while IFS= read -r rel; do
		# The list is data in a folder we run as root over: act only on plain relative paths.
		case $rel in
		'' | /* | ../* | */../* | *'/..' | ..) say "skipping unsafe entry '$rel' in $record" ; continue ;;
		esac
		rm -f "$dest/$rel" "$dest/$rel.part"
		n=$((n + 1))
	done <"$record"
	# Every folder above a listed file, deepest first: reverse order puts "share/x" before "share".
	awk -F/ '{ p = $1; for (i = 2; i < NF; i++) { print p; p = p "/" $i } if (NF > 1) print p }' "$record" |
		sort -u -r | while IFS= read -r dir; do
			case $dir in '' | /* | *..*) continue ;; esac
			rmdir "$dest/$dir" 2>/dev/null || true
		done
	rm -f "$record" "$record.part"
	say "removed $n files"
else
	say "no list of installed files in $dest: nothing of Demo Solver to remove"
fi

if rmdir "$dest" 2>/dev/null; then
	say "removed $dest"
else
	# Not ours (a license the agent placed, the user's own files): leave them and say so.
	say "left $dest in place: it still holds files that Demo Solver did not install:"
	(cd "$dest" && find . ! -name . | sed 's|^\./|  |')
fi
