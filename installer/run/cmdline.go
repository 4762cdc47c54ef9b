package run

import "strings"

// commandLine joins argv into a Windows command line, quoting only the elements that need it, as
// CommandLineToArgvW and the MSVC runtime parse it. Two installer conventions are kept:
//   - an element that starts with "/D=" is passed as it is: NSIS reads its install folder raw from
//     there to the end of the line, so quotes would end up in the path;
//   - in KEY=VALUE elements only the value is quoted (INSTALLDIR="C:\Program Files\X"), the form
//     msiexec and Inno Setup (/LOG="…") expect; standard parsers read it as the same argument.
//
// It has no build tag so that its rules are tested on every OS.
func commandLine(args []string) string {
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		if strings.HasPrefix(a, "/D=") {
			b.WriteString(a)
			continue
		}
		if k, v, ok := strings.Cut(a, "="); ok && k != "" && !strings.ContainsAny(k, specials) && needsQuotes(v) {
			b.WriteString(k + "=")
			a = v
		}
		appendArg(&b, a)
	}
	return b.String()
}

// appendArg writes one argument: verbatim when it has no blank or quote, else in quotes, where
// backslashes are doubled only in front of a quote or of the closing quote.
func appendArg(b *strings.Builder, a string) {
	if !needsQuotes(a) {
		b.WriteString(a)
		return
	}
	b.WriteByte('"')
	slashes := 0
	for i := 0; i < len(a); i++ {
		c := a[i]
		switch c {
		case '\\':
			slashes++
		case '"':
			b.WriteString(strings.Repeat(`\`, slashes+1))
			slashes = 0
		default:
			slashes = 0
		}
		b.WriteByte(c)
	}
	b.WriteString(strings.Repeat(`\`, slashes))
	b.WriteByte('"')
}

// specials are the characters that make an argument need quotes.
const specials = " \t\n\v\""

func needsQuotes(a string) bool { return a == "" || strings.ContainsAny(a, specials) }
