package manifest

import (
	"fmt"
	"strings"
)

// splitWords splits a command written as one string into an argument vector the way a POSIX shell
// splits words: blanks separate, single and double quotes group, a backslash escapes, and nothing
// is expanded. Template actions such as {{ .InstallDir }} stay whole even when they hold blanks.
//
// windows is set for windows platform keys: there a backslash separates folders, so it is an
// ordinary character, and $ is not special.
func splitWords(s string, windows bool) ([]string, error) {
	var (
		words  []string
		cur    strings.Builder
		inWord bool
	)
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case strings.HasPrefix(s[i:], "{{"):
			n, err := action(s, i)
			if err != nil {
				return nil, err
			}
			cur.WriteString(s[i : i+n])
			i += n
			inWord = true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
			i++
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("the single quote at character %d is not closed; close it or use the list form [program, arg, ...]", i+1)
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 2
			inWord = true
		case c == '"':
			n, err := doubleQuoted(s, i, windows, &cur)
			if err != nil {
				return nil, err
			}
			i += n
			inWord = true
		case c == '\\' && !windows:
			if i+1 == len(s) {
				return nil, fmt.Errorf("the command ends in a backslash; remove it or quote it")
			}
			if s[i+1] != '\n' { // backslash-newline joins lines, as in a shell
				cur.WriteByte(s[i+1])
				inWord = true
			}
			i += 2
		case strings.IndexByte("|&;<>()`", c) >= 0 || (c == '$' && !windows):
			return nil, fmt.Errorf("%q at character %d needs a shell, and commands run without one; quote it, or run a shell yourself: [sh, -c, '...']", c, i+1)
		default:
			cur.WriteByte(c)
			i++
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// action returns the length of the template action that starts at s[i] ("{{").
func action(s string, i int) (int, error) {
	j := strings.Index(s[i+2:], "}}")
	if j < 0 {
		return 0, fmt.Errorf("the {{ at character %d is not closed with }}", i+1)
	}
	return j + 4, nil
}

// doubleQuoted writes the text of the double-quoted string at s[i] to cur and returns how many
// bytes it took, quotes included. As in a shell, a backslash escapes only $ ` " \ and newline.
func doubleQuoted(s string, i int, windows bool, cur *strings.Builder) (int, error) {
	for j := i + 1; j < len(s); {
		c := s[j]
		switch {
		case c == '"':
			return j + 1 - i, nil
		case strings.HasPrefix(s[j:], "{{"):
			n, err := action(s, j)
			if err != nil {
				return 0, err
			}
			cur.WriteString(s[j : j+n])
			j += n
		case c == '\\' && !windows && j+1 < len(s) && strings.IndexByte("$`\"\\\n", s[j+1]) >= 0:
			if s[j+1] != '\n' {
				cur.WriteByte(s[j+1])
			}
			j += 2
		default:
			cur.WriteByte(c)
			j++
		}
	}
	return 0, fmt.Errorf("the double quote at character %d is not closed; close it or use the list form [program, arg, ...]", i+1)
}
