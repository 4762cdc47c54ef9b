# materials.awk: prints one material of the comma-separated materials table (Demo Solver 2.1.0).
# Run with -F, -v name=NAME over share/materials.csv; exits 1 when there is no such material.
FNR == 1 { next }
$1 == name {
	printf "%s: density %s kg/m3, Young's modulus %s GPa, yield strength %s MPa\n", $1, $2, $3, $4
	found = 1
	exit 0
}
END {
	if (!found) {
		printf "solver: no material named \"%s\" in %s; names look like steel-g01 or titanium-g42\n", name, FILENAME > "/dev/stderr"
		exit 1
	}
}
