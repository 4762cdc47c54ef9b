#!/bin/sh
# Silent install of Demo Solver 2.1.0, run by the ISCDesk agent (see ../README.md).
#
# Overwrite-safe by construction, so the package says on_interrupt: continue. Each file is first
# listed in .installed-files, then written to a fixed temp name beside its target (NAME.part) and
# renamed into place. A run cut off at any point leaves only whole files, stale .part files and a
# list that covers both, so running the install again converges on the same result. VERSION is
# written last: detection sees the install only once it is complete.
set -eu

say() {
	printf 'demo-solver: %s\n' "$*"
	# The agent's job log already has stdout; ISCDESK_LOG is a second copy, so a failure to append is not fatal.
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
'') die "ISCDESK_INSTALL_DIR is not set; set it to the absolute path of the folder to install into" ;;
*) die "ISCDESK_INSTALL_DIR=$dest is not an absolute path; give the full path of the install folder" ;;
esac
payload=${ISCDESK_PACKAGE_DIR:-$(pwd)}/payload
[ -d "$payload" ] || die "payload folder $payload is missing: the package is incomplete; download it again"
record=$dest/.installed-files

case ${ISCDESK_MODE:-install} in
install | overwrite) say "installing Demo Solver 2.1.0 into $dest" ;;
continue)
	if [ -f "$record" ]; then
		say "continuing over an earlier, cut-off install in $dest"
	else
		say "continuing, but $dest holds no earlier install: installing from the start"
	fi
	;;
*) die "ISCDESK_MODE=${ISCDESK_MODE:-} is not an install mode; use install, continue or overwrite" ;;
esac

# note REL: lists REL in .installed-files (if not listed yet) before the file exists, so that an
# uninstall after a cut-off run still finds it.
note() {
	if [ -f "$record" ] && grep -qxF "$1" "$record"; then
		return 0
	fi
	mkdir -p "$dest"
	{
		if [ -f "$record" ]; then cat "$record"; fi
		printf '%s\n' "$1"
	} >"$record.part"
	mv -f "$record.part" "$record"
}

# begin REL: prepares to write $dest/REL.part.
begin() {
	note "$1"
	mkdir -p "$(dirname "$dest/$1")"
}

# commit REL MODE: puts the finished REL.part in place.
commit() {
	chmod "$2" "$dest/$1.part"
	mv -f "$dest/$1.part" "$dest/$1"
}

# copy SRC REL MODE: installs payload/SRC as REL.
copy() {
	[ -f "$payload/$1" ] || die "payload file $payload/$1 is missing: the package is incomplete; download it again"
	begin "$2"
	cp "$payload/$1" "$dest/$2.part"
	commit "$2" "$3"
}

step() {
	say "step $1/6: $2"
}

step 1 "program bin/solver"
copy bin/solver bin/solver 0755
sleep 0.5

step 2 "libraries lib/"
for f in "$payload"/lib/*.awk; do
	copy "lib/${f##*/}" "lib/${f##*/}" 0644
done
sleep 0.5

step 3 "materials table share/materials.csv"
begin share/materials.csv
# Five alloy families, 60 grades each: strength rises with the grade, density and stiffness stay near
# the family's base. Deterministic, so a re-run writes the same table.
awk 'BEGIN {
	split("steel aluminium titanium copper nickel", fam, " ")
	split("7850 2700 4430 8960 8900", rho, " ")
	split("210 70 114 117 200", e, " ")
	split("235 95 275 70 150", fy, " ")
	print "name,density_kg_m3,youngs_modulus_gpa,yield_strength_mpa"
	for (f = 1; f <= 5; f++)
		for (g = 1; g <= 60; g++)
			printf "%s-g%02d,%d,%.1f,%.0f\n", fam[f], g, rho[f] * (1 + (g % 7 - 3) / 300), e[f] * (1 + (g % 5 - 2) / 100), fy[f] * (1 + (g - 1) * 0.025)
}' >"$dest/share/materials.csv.part"
commit share/materials.csv 0644
sleep 0.5

step 4 "configuration etc/solver.conf"
begin etc/solver.conf
cat >"$dest/etc/solver.conf.part" <<CONF
# Demo Solver 2.1.0 configuration, written by its installer.
# A pivot whose magnitude is at most this is taken as zero (the system is singular).
tolerance = 1e-12
materials = $dest/share/materials.csv
CONF
commit etc/solver.conf 0644
sleep 0.5

step 5 "examples share/examples/"
for f in "$payload"/share/examples/*; do
	copy "share/examples/${f##*/}" "share/examples/${f##*/}" 0644
done
sleep 0.5

step 6 "version stamp VERSION"
begin VERSION
printf '%s\n' 2.1.0 >"$dest/VERSION.part"
commit VERSION 0644

say "installed Demo Solver 2.1.0 in $dest ($(wc -l <"$record" | tr -d ' ') files)"
