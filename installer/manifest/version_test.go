package manifest

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestValidVersion(t *testing.T) {
	good := []string{"1", "2.1.0", "2024.2", "1.2.3.4", "2.0.0-rc.1", "2.0.0-beta-2", "01.2"}
	bad := []string{"", "v1.0", "2.x", "1..2", "1.", ".1", "1.0-", "1.0-rc..1", "1.0+build", "1.0 ", "latest", strings.Repeat("1.", 40) + "1"}
	for _, v := range good {
		assert.True(t, ValidVersion(v), v)
	}
	for _, v := range bad {
		assert.False(t, ValidVersion(v), v)
	}
}

func TestCompareVersions(t *testing.T) {
	// Each pair is a < b.
	less := [][2]string{
		{"1.9", "1.10"},
		{"1.2", "1.2.1"},
		{"2.0.0-rc.1", "2.0.0"},
		{"2.0.0-rc.1", "2.0.0-rc.2"},
		{"2.0.0-rc.2", "2.0.0-rc.10"},
		{"2.0.0-alpha", "2.0.0-alpha.1"},
		{"2.0.0-1", "2.0.0-alpha"},
		{"2.0.0-alpha", "2.0.0-beta"},
		{"1.99999999999999999999999", "1.100000000000000000000000"},
		{"2023.12", "2024.1"},
		{"latest", "0.1"}, // invalid sorts first
		{"abc", "abd"},
	}
	for _, p := range less {
		assert.Equal(t, -1, CompareVersions(p[0], p[1]), "%s < %s", p[0], p[1])
		assert.Equal(t, 1, CompareVersions(p[1], p[0]), "%s > %s", p[1], p[0])
	}
	same := [][2]string{{"1.0", "1.0.0"}, {"1.02", "1.2"}, {"2.0-rc.1", "2.0.0-rc.1"}, {"x", "x"}}
	for _, p := range same {
		assert.Equal(t, 0, CompareVersions(p[0], p[1]), "%s == %s", p[0], p[1])
		assert.Equal(t, 0, CompareVersions(p[1], p[0]), "%s == %s", p[1], p[0])
	}
}
