package ticket

import (
	"math/big"
	"strings"
)

// compareVersions orders "dotted numbers with an optional -suffix": numbers compare as numbers
// (missing parts count as 0), and a version with a suffix comes before the same version without
// one (2.1.0-rc1 < 2.1.0), as in package.yaml.
// TODO: use manifest.CompareVersions once installer/manifest exports it, so both agree.
func compareVersions(a, b string) int {
	an, as, _ := strings.Cut(a, "-")
	bn, bs, _ := strings.Cut(b, "-")
	ap, bp := strings.Split(an, "."), strings.Split(bn, ".")
	for i := 0; i < max(len(ap), len(bp)); i++ {
		if c := compareNumber(part(ap, i), part(bp, i)); c != 0 {
			return c
		}
	}
	switch {
	case as == bs:
		return 0
	case as == "":
		return 1
	case bs == "":
		return -1
	default:
		return strings.Compare(as, bs)
	}
}

func part(p []string, i int) string {
	if i < len(p) {
		return p[i]
	}
	return "0"
}

// compareNumber compares decimal strings of any length; a part that is not a number sorts first.
func compareNumber(a, b string) int {
	x, okA := new(big.Int).SetString(a, 10)
	y, okB := new(big.Int).SetString(b, 10)
	switch {
	case okA && okB:
		return x.Cmp(y)
	case okA:
		return 1
	case okB:
		return -1
	default:
		return strings.Compare(a, b)
	}
}
