package manifest

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile("testdata/nsis-multi.yaml")
	require.NoError(b, err)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse("package.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkExpand(b *testing.B) {
	v := Vars{InstallDir: "/opt/app", PackageDir: "/var/pkg", LogFile: "/var/log/1.log", Version: "2.1.0", ID: "app"}
	for b.Loop() {
		if _, err := Expand("{{.InstallDir}}/bin/{{.ID}}-{{.Version}}", v); err != nil {
			b.Fatal(err)
		}
	}
}
