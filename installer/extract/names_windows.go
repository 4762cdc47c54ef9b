package extract

import "strings"

// platformNameProblem refuses names that Windows would read as something else: alternate data
// streams ("a:b") and names it silently trims ("a." and "a ").
func platformNameProblem(part string) string {
	switch {
	case strings.IndexByte(part, ':') >= 0:
		return `":" in a name (an NTFS alternate data stream on Windows)`
	case strings.HasSuffix(part, ".") || strings.HasSuffix(part, " "):
		return "name ends in a dot or a space, which Windows drops"
	}
	return ""
}
