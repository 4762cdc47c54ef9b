package manifest

import (
	"fmt"
	"math/big"
	"regexp"
	"strings"
)

// sizeRE: a decimal number (at most 30 characters, so math/big stays cheap), then an optional unit.
var sizeRE = regexp.MustCompile(`^([0-9]{1,20}(?:\.[0-9]{1,9})?)\s*([A-Za-z]*)$`)

// sizeUnits are the units ParseSize knows, compared without regard to case.
var sizeUnits = []struct {
	name string
	mult int64
}{
	{"", 1}, {"B", 1},
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
}

// ParseSize reads a size in bytes: a plain number (20971520) or a number with a unit, binary
// (KiB, MiB, GiB, TiB) or decimal (KB, MB, GB, TB), such as 20MiB or 1.5 GB. A fraction of a byte
// is dropped.
func ParseSize(s string) (int64, error) {
	m := sizeRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("size %q is not a size; write bytes (20971520) or a number with a unit such as 20MiB (KiB, MiB, GiB, KB, MB, GB)", s)
	}
	for _, u := range sizeUnits {
		if !strings.EqualFold(m[2], u.name) {
			continue
		}
		r, ok := new(big.Rat).SetString(m[1])
		if !ok {
			return 0, fmt.Errorf("size %q: %q is not a number", s, m[1])
		}
		r.Mul(r, new(big.Rat).SetInt64(u.mult))
		n := new(big.Int).Quo(r.Num(), r.Denom())
		if !n.IsInt64() {
			return 0, fmt.Errorf("size %q is too large", s)
		}
		return n.Int64(), nil
	}
	return 0, fmt.Errorf("size %q has an unknown unit %q; use KiB, MiB, GiB, TiB, KB, MB, GB or TB", s, m[2])
}
