package run

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEnviron(t *testing.T) {
	agent := map[string]string{
		"PATH": "/usr/bin", "HOME": "/root", "LANG": "C.UTF-8", "AWS_SECRET_ACCESS_KEY": "s3cr3t",
		"SystemRoot": `C:\Windows`, "USERPROFILE": `C:\Users\svc`, "TEMP": `C:\Temp`,
	}
	lookup := func(k string) (string, bool) { v, ok := agent[k]; return v, ok }
	empty := func(string) (string, bool) { return "", false }
	ours := []string{"ISCDESK_MODE=install", "ISCDESK_STEP=tok"}

	tests := []struct {
		name   string
		goos   string
		lookup func(string) (string, bool)
		extra  []string
		want   []string
	}{
		{"linux base", "linux", lookup, nil,
			[]string{"PATH=/usr/bin", "HOME=/root", "LANG=C.UTF-8", "ISCDESK_MODE=install", "ISCDESK_STEP=tok"}},
		{"linux package overrides base, not ours", "linux", lookup, []string{"HOME=/tmp/h", "ISCDESK_STEP=forged", "X=1"},
			[]string{"PATH=/usr/bin", "HOME=/tmp/h", "LANG=C.UTF-8", "ISCDESK_STEP=tok", "X=1", "ISCDESK_MODE=install"}},
		{"agent without PATH", "linux", empty, nil,
			[]string{"PATH=" + defaultUnixPath, "ISCDESK_MODE=install", "ISCDESK_STEP=tok"}},
		{"windows base", "windows", lookup, nil,
			[]string{"PATH=/usr/bin", `SystemRoot=C:\Windows`, `USERPROFILE=C:\Users\svc`, `TEMP=C:\Temp`, "LANG=C.UTF-8",
				"ISCDESK_MODE=install", "ISCDESK_STEP=tok"}},
		{"windows keys are case-insensitive", "windows", lookup, []string{`Path=C:\tools`, "iscdesk_step=forged"},
			[]string{`Path=C:\tools`, `SystemRoot=C:\Windows`, `USERPROFILE=C:\Users\svc`, `TEMP=C:\Temp`, "LANG=C.UTF-8",
				"ISCDESK_STEP=tok", "ISCDESK_MODE=install"}},
		{"value with equals signs", "linux", empty, []string{"OPTS=a=b=c"},
			[]string{"PATH=" + defaultUnixPath, "OPTS=a=b=c", "ISCDESK_MODE=install", "ISCDESK_STEP=tok"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := environ(tt.goos, tt.lookup, tt.extra, ours)
			require.NoError(t, err)
			assert.ElementsMatch(t, tt.want, env)
			assert.NotContains(t, env, "AWS_SECRET_ACCESS_KEY=s3cr3t")
		})
	}
}

func TestEnvironRejectsBadEntries(t *testing.T) {
	for _, bad := range []string{"NOEQUALS", "=value", "A=b\x00c"} {
		_, err := environ("linux", func(string) (string, bool) { return "", false }, []string{bad}, nil)
		assert.ErrorContains(t, err, "is not KEY=VALUE", "entry %q", bad)
	}
}
