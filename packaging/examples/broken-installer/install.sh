#!/bin/sh
# Silent install of Broken Installer 0.9.0, run by the ISCDesk agent (see ../README.md).
#
# Fails on purpose, the way a good installer fails: it copies part of its files, finds that a
# runtime library it needs is missing, writes what it needed, what it did and how to fix it to
# stderr and to $ISCDESK_LOG, removes what it wrote, and exits with a failure code.
set -eu

# Windows' ERROR_INSTALL_FAILURE is 1603; a Unix exit status keeps its low 8 bits, so
# `exit 1603` arrives as 67. Any code the manifest does not map counts as a failure.
INSTALL_FAILURE=67

# The runtime this build was linked against. No distribution ships it, so the install always fails.
RUNTIME=libfluxsolve.so.4
RUNTIME_DEB=libfluxsolve4

say() {
	printf 'broken-installer: %s\n' "$*"
	# The agent's job log already has stdout; ISCDESK_LOG is a second copy, so a failure to append is not fatal.
	if [ -n "${ISCDESK_LOG:-}" ]; then
		{ printf '%s broken-installer: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >>"$ISCDESK_LOG"; } 2>/dev/null || true
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
case ${ISCDESK_MODE:-install} in
install | continue | overwrite) ;;
*) die "ISCDESK_MODE=${ISCDESK_MODE:-} is not an install mode; use install, continue or overwrite" ;;
esac

# written lists, one a line, what this run created (files and folders), for the rollback.
written=
created_dest=no

# rollback removes what this run wrote, newest first, and the install folder if this run made it.
rollback() {
	printf '%s' "$written" | sed '1!G;h;$!d' | while IFS= read -r p; do
		if [ -d "$p" ]; then rmdir "$p" 2>/dev/null || true; else rm -f "$p"; fi
	done
	if [ "$created_dest" = yes ]; then
		rmdir "$dest" 2>/dev/null || true
	fi
}
trap 'say "interrupted: rolling back"; rollback; exit 130' HUP INT TERM

# track PATH: remembers that this run created PATH.
track() {
	written="$written$1
"
}

# mkdirs REL: creates $dest/REL and the folders above it, remembering each one it made.
mkdirs() {
	p=$dest
	for part in $(printf '%s' "$1" | tr '/' ' '); do
		p=$p/$part
		if [ ! -d "$p" ]; then
			mkdir "$p"
			track "$p"
		fi
	done
}

say "installing Broken Installer 0.9.0 into $dest"
if [ ! -d "$dest" ]; then
	mkdir -p "$dest"
	created_dest=yes
fi

say "step 1/3: program bin/broken-app"
mkdirs bin
track "$dest/bin/broken-app"
cp "$payload/bin/broken-app" "$dest/bin/broken-app"
chmod 0755 "$dest/bin/broken-app"

say "step 2/3: plugins lib/broken-app/"
mkdirs lib/broken-app
for f in "$payload"/lib/*.so; do
	track "$dest/lib/broken-app/${f##*/}"
	cp "$f" "$dest/lib/broken-app/${f##*/}"
done

say "step 3/3: checking the runtime library $RUNTIME"
found=
if command -v ldconfig >/dev/null 2>&1 &&
	ldconfig -p 2>/dev/null | awk -v lib="$RUNTIME" '$1 == lib { hit = 1 } END { exit !hit }'; then
	found=ldconfig
fi
for d in /lib /usr/lib /usr/local/lib /lib64 /usr/lib64 /usr/lib/*-linux-gnu /opt/homebrew/lib; do
	[ -z "$found" ] || break
	[ ! -e "$d/$RUNTIME" ] || found=$d/$RUNTIME
done

if [ -z "$found" ]; then
	done_so_far=$(printf '%s' "$written" | while IFS= read -r p; do
		[ ! -f "$p" ] || printf '%s ' "${p#"$dest"/}"
	done)
	rollback
	trap - HUP INT TERM
	say "error: required library $RUNTIME not found (searched the ldconfig cache, /lib, /usr/lib, /usr/local/lib, /lib64, /usr/lib64, /usr/lib/*-linux-gnu and /opt/homebrew/lib)" >&2
	say "error: install it with: apt-get install $RUNTIME_DEB (Debian, Ubuntu) or dnf install fluxsolve-libs (Fedora, RHEL), then install Broken Installer again" >&2
	say "error: done before the check: copied ${done_so_far% }" >&2
	say "error: rolled back: removed those files$([ "$created_dest" = yes ] && echo " and $dest"); nothing of Broken Installer 0.9.0 is left" >&2
	exit "$INSTALL_FAILURE"
fi

# Not reached on any machine we know of: the runtime never exists.
printf '%s\n' 0.9.0 >"$dest/VERSION"
say "installed Broken Installer 0.9.0 in $dest (runtime: $found)"
