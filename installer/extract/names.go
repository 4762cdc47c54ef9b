package extract

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// cleanName checks an entry name from an archive and returns it relative and slash-separated,
// without "./" segments or a trailing slash. It returns "" for the archive's root ("./").
func cleanName(name string, maxLen int) (string, error) {
	switch {
	case name == "":
		return "", unsafeEntry(name, "empty name")
	case strings.IndexByte(name, 0) >= 0:
		return "", unsafeEntry(name, "NUL byte in the name")
	case strings.IndexByte(name, '\\') >= 0:
		// On Windows a backslash separates folders, so "..\\x" would climb out there.
		return "", unsafeEntry(name, `backslash in the name (archives must use "/")`)
	case strings.HasPrefix(name, "/"):
		return "", unsafeEntry(name, "absolute path (archives must hold relative paths)")
	case hasVolume(name):
		return "", unsafeEntry(name, "drive or volume prefix (archives must hold relative paths)")
	case maxLen > 0 && len(name) > maxLen:
		return "", &EntryError{Name: name, Problem: "name longer than " + strconv.Itoa(maxLen) + " bytes", Kind: ErrLimit}
	case !utf8.ValidString(name):
		return "", unsafeEntry(name, "name is not valid UTF-8")
	}
	parts := strings.Split(name, "/")
	out := parts[:0]
	for _, p := range parts {
		switch p {
		case "", ".":
			continue
		case "..":
			return "", unsafeEntry(name, `".." in the path would leave the destination`)
		}
		if problem := platformNameProblem(p); problem != "" {
			return "", unsafeEntry(name, "%s", problem)
		}
		out = append(out, p)
	}
	return strings.Join(out, "/"), nil
}

// hasVolume reports a Windows drive ("C:") prefix, which filepath.Join would honour on Windows.
func hasVolume(name string) bool {
	return len(name) >= 2 && name[1] == ':' && ('a' <= name[0]|0x20 && name[0]|0x20 <= 'z')
}

// parentOf returns the folder of a cleaned name, "" for the destination itself.
func parentOf(name string) string {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		return name[:i]
	}
	return ""
}
