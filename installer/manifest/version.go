package manifest

import (
	"regexp"
	"strings"
)

// maxVersionLen keeps versions short enough to show and to compare cheaply.
const maxVersionLen = 64

// versionRE: dotted numbers, then an optional -prerelease of dot-separated [0-9A-Za-z-] parts.
var versionRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)

// ValidVersion reports whether v is a package version: dotted numbers such as 2.1.0 or 2024.2,
// with an optional prerelease suffix such as -rc.1.
func ValidVersion(v string) bool {
	return len(v) <= maxVersionLen && versionRE.MatchString(v)
}

// CompareVersions returns -1, 0 or +1 as a is older than, the same as, or newer than b.
// Numbers compare by value part by part (1.10 > 1.9; 1.0 == 1.0.0), and a release is newer than its
// prereleases (2.0.0 > 2.0.0-rc.2 > 2.0.0-rc.1), as in semantic versioning.
// Strings that are not ValidVersion sort before all valid versions, and among themselves by text,
// so the order stays total.
func CompareVersions(a, b string) int {
	va, vb := ValidVersion(a), ValidVersion(b)
	switch {
	case !va && !vb:
		return strings.Compare(a, b)
	case !va:
		return -1
	case !vb:
		return 1
	}
	relA, preA, _ := strings.Cut(a, "-")
	relB, preB, _ := strings.Cut(b, "-")
	if c := compareParts(strings.Split(relA, "."), strings.Split(relB, "."), true); c != 0 {
		return c
	}
	switch {
	case preA == preB:
		return 0
	case preA == "":
		return 1
	case preB == "":
		return -1
	}
	return compareParts(strings.Split(preA, "."), strings.Split(preB, "."), false)
}

// compareParts compares dot-separated parts. In the release (pad) a missing part counts as 0; in a
// prerelease the shorter list is older. Numeric parts compare by value and before alphanumeric ones.
func compareParts(a, b []string, pad bool) int {
	for i := 0; i < max(len(a), len(b)); i++ {
		if i >= len(a) || i >= len(b) {
			if pad {
				x, y := "0", "0"
				if i < len(a) {
					x = a[i]
				}
				if i < len(b) {
					y = b[i]
				}
				if c := compareNumbers(x, y); c != 0 {
					return c
				}
				continue
			}
			if i >= len(a) {
				return -1
			}
			return 1
		}
		x, y := a[i], b[i]
		nx, ny := isDigits(x), isDigits(y)
		var c int
		switch {
		case nx && ny:
			c = compareNumbers(x, y)
		case nx:
			c = -1
		case ny:
			c = 1
		default:
			c = strings.Compare(x, y)
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// compareNumbers compares decimal digit strings of any length without converting them.
func compareNumbers(x, y string) int {
	x = strings.TrimLeft(x, "0")
	y = strings.TrimLeft(y, "0")
	if len(x) != len(y) {
		if len(x) < len(y) {
			return -1
		}
		return 1
	}
	return strings.Compare(x, y)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
