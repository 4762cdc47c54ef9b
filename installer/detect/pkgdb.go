package detect

import "strings"

// ParseDpkgStatus reads the output of `dpkg-query -W -f='${Status}\t${Version}\n' name`: one
// "want flag status<TAB>version" line per matching package (the trailing newline is optional for
// a single package). A package counts as installed when its status is "installed", or configured
// with triggers still pending; "config-files", "half-installed" or "unpacked" do not count.
// Lines that are not status lines (dpkg-query's own messages) are skipped.
func ParseDpkgStatus(out []byte) (installed bool, version string) {
	for line := range strings.Lines(string(out)) {
		status, ver, ok := strings.Cut(strings.TrimRight(line, "\r\n"), "\t")
		if !ok {
			continue
		}
		f := strings.Fields(status)
		if len(f) != 3 || f[1] != "ok" {
			continue
		}
		switch f[2] {
		case "installed", "triggers-pending", "triggers-awaited":
			return true, strings.TrimSpace(ver)
		}
	}
	return false, ""
}

// ParseRpmQuery reads the output of `rpm -q --qf '%{VERSION}-%{RELEASE}\n' name`: one
// version-release line per installed package (the first is taken), or "package name is not
// installed". rpm's own "error:" and "warning:" lines are skipped.
func ParseRpmQuery(out []byte) (installed bool, version string) {
	for line := range strings.Lines(string(out)) {
		line = strings.TrimSpace(line)
		switch {
		case line == "", strings.HasPrefix(line, "error:"), strings.HasPrefix(line, "warning:"):
			continue
		case strings.HasSuffix(line, " is not installed"), strings.ContainsAny(line, " \t"):
			// A version-release never holds spaces; anything else is a message.
			continue
		}
		return true, line
	}
	return false, ""
}
