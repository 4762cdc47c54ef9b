package extract

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCleanName(t *testing.T) {
	tests := []struct {
		in, want string
		kind     error // nil: accepted
	}{
		{in: "a/b/c.txt", want: "a/b/c.txt"},
		{in: "./a//b/./c/", want: "a/b/c"},
		{in: "./", want: ""},
		{in: "dir/", want: "dir"},
		{in: "a..b/..c", want: "a..b/..c"},
		{in: "", kind: ErrUnsafe},
		{in: "a\x00b", kind: ErrUnsafe},
		{in: `a\b`, kind: ErrUnsafe},
		{in: "/etc/passwd", kind: ErrUnsafe},
		{in: "c:x", kind: ErrUnsafe},
		{in: "..", kind: ErrUnsafe},
		{in: "a/../b", kind: ErrUnsafe},
		{in: "a/..", kind: ErrUnsafe},
		{in: "\xff\xfe", kind: ErrUnsafe},
		{in: "0123456789abcdefg", kind: ErrLimit},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := cleanName(tt.in, 16)
			if tt.kind != nil {
				require.ErrorIs(t, err, tt.kind)
				var ee *EntryError
				require.ErrorAs(t, err, &ee)
				assert.Equal(t, tt.in, ee.Name)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestResolve(t *testing.T) {
	tr := &tree{nodes: map[string]node{
		"a":         {kind: kindDir},
		"a/b":       {kind: kindDir},
		"a/up":      {kind: kindSymlink, target: ".."},
		"a/b/top":   {kind: kindSymlink, target: "../.."},
		"loop1":     {kind: kindSymlink, target: "loop2"},
		"loop2":     {kind: kindSymlink, target: "loop1"},
		"a/b/sib":   {kind: kindSymlink, target: "../up"},
		"plainfile": {kind: kindFile},
	}}
	tests := []struct {
		dir, target string
		ok          bool
	}{
		{"", "a/b", true},
		{"a/b", "../../plainfile", true},
		{"a/b", "../../..", false},
		{"a", "up/a", true},
		{"a", "up/..", false}, // up is the root, its parent is outside
		{"a/b", "top/a/b/top/..", false},
		{"a/b", "sib/a/b", true},   // sib -> ../up -> the root
		{"a/b", "sib/../a", false}, // so sib/.. is above the root
		{"", "loop1", false},
		{"", "missing/../..", false},
	}
	for _, tt := range tests {
		t.Run(tt.dir+"|"+tt.target, func(t *testing.T) {
			err := tr.resolve(tt.dir, tt.target, "entry")
			if tt.ok {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, ErrUnsafe)
			}
		})
	}
}

func TestDetect(t *testing.T) {
	tarHead := make([]byte, 512)
	copy(tarHead[257:], "ustar\x0000")
	tests := []struct {
		name string
		head []byte
		want Format
	}{
		{"zip", []byte("PK\x03\x04rest"), FormatZip},
		{"empty zip", []byte("PK\x05\x06rest"), FormatZip},
		{"gzip", []byte{0x1f, 0x8b, 8, 0}, FormatTarGz},
		{"zstd", []byte{0x28, 0xb5, 0x2f, 0xfd, 0}, FormatTarZst},
		{"tar", tarHead, FormatTar},
		{"text", []byte("hello, world"), FormatAuto},
		{"nothing", nil, FormatAuto},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Detect(tt.head)
			if tt.want == FormatAuto {
				require.ErrorIs(t, err, ErrFormat)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
