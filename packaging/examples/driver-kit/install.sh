#!/bin/sh
# Silent install of Driver Kit 1.4.0, run by the ISCDesk agent (see ../README.md).
#
# Stages a (fake) kernel module, its udev rule and its modules-load entry, then exits with the
# "success, reboot required" code: the module is loaded at the next boot. Everything stays inside
# the install folder, so demos and tests never touch the machine's /etc or /lib/modules.
# Overwrite-safe (each file goes to NAME.part, then is renamed into place): on_interrupt: continue.
set -eu

# Windows' ERROR_SUCCESS_REBOOT_REQUIRED is 3010; a Unix exit status keeps its low 8 bits, so
# `exit 3010` arrives as 194. The manifest maps 194 to "reboot" in exit_codes.
REBOOT_REQUIRED=194

say() {
	printf 'driver-kit: %s\n' "$*"
	# The agent's job log already has stdout; ISCDESK_LOG is a second copy, so a failure to append is not fatal.
	if [ -n "${ISCDESK_LOG:-}" ]; then
		{ printf '%s driver-kit: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >>"$ISCDESK_LOG"; } 2>/dev/null || true
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

# put REL MODE: moves the finished $dest/REL.part into place.
put() {
	chmod "$2" "$dest/$1.part"
	mv -f "$dest/$1.part" "$dest/$1"
}

say "installing Driver Kit 1.4.0 into $dest"
mkdir -p "$dest/bin" "$dest/lib/modules" "$dest/etc/udev/rules.d" "$dest/etc/modules-load.d"

say "step 1/4: kernel module lib/modules/iscdemo.ko"
cp "$payload/lib/modules/iscdemo.ko" "$dest/lib/modules/iscdemo.ko.part"
put lib/modules/iscdemo.ko 0644
cp "$payload/bin/iscdemo-status" "$dest/bin/iscdemo-status.part"
put bin/iscdemo-status 0755

say "step 2/4: udev rule etc/udev/rules.d/99-iscdemo.rules"
cat >"$dest/etc/udev/rules.d/99-iscdemo.rules.part" <<RULES
# Driver Kit 1.4.0: give the demo measuring device (USB ffff:0d01) to the plugdev group and
# report it to the kit's status tool.
ACTION=="add", SUBSYSTEM=="usb", ATTR{idVendor}=="ffff", ATTR{idProduct}=="0d01", MODE="0660", GROUP="plugdev", RUN+="$dest/bin/iscdemo-status --event %k"
RULES
put etc/udev/rules.d/99-iscdemo.rules 0644

say "step 3/4: load at boot etc/modules-load.d/iscdemo.conf"
printf '# Driver Kit 1.4.0\niscdemo\n' >"$dest/etc/modules-load.d/iscdemo.conf.part"
put etc/modules-load.d/iscdemo.conf 0644

say "step 4/4: version stamp VERSION"
printf '%s\n' 1.4.0 >"$dest/VERSION.part"
put VERSION 0644

say "installed Driver Kit 1.4.0 in $dest; restart the computer to load the iscdemo module"
exit "$REBOOT_REQUIRED"
