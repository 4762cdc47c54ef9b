package run

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCommandLine(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"plain", []string{"setup.exe", "/S"}, `setup.exe /S`},
		{"NSIS folder stays raw", []string{"setup.exe", "/S", `/D=C:\Program Files\Cad Pro`}, `setup.exe /S /D=C:\Program Files\Cad Pro`},
		{"program with spaces", []string{`C:\Program Files\x\setup.exe`, "/quiet"}, `"C:\Program Files\x\setup.exe" /quiet`},
		{"backslashes without quotes are literal", []string{`C:\dir\`, `\\server\share`}, `C:\dir\ \\server\share`},
		{"trailing backslash doubled inside quotes", []string{`C:\my dir\`}, `"C:\my dir\\"`},
		{"empty argument", []string{"a", "", "b"}, `a "" b`},
		{"quote", []string{`say "hi"`}, `"say \"hi\""`},
		{"backslashes before a quote", []string{`a\\"b`}, `"a\\\\\"b"`},
		{"MSI property quotes only the value", []string{"msiexec", "/i", `C:\pkg\cad pro.msi`, "/qn", `INSTALLDIR=C:\Program Files\Cad`},
			`msiexec /i "C:\pkg\cad pro.msi" /qn INSTALLDIR="C:\Program Files\Cad"`},
		{"Inno log switch", []string{"setup.exe", "/VERYSILENT", `/LOG=C:\a b\log.txt`}, `setup.exe /VERYSILENT /LOG="C:\a b\log.txt"`},
		{"property without spaces untouched", []string{"REBOOT=ReallySuppress"}, `REBOOT=ReallySuppress`},
		{"empty property value", []string{"TARGETDIR="}, `TARGETDIR=""`},
		{"key with a space is one quoted argument", []string{"a b=c"}, `"a b=c"`},
		{"tab and newline", []string{"a\tb", "c\nd"}, "\"a\tb\" \"c\nd\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, commandLine(tt.args))
		})
	}
}
