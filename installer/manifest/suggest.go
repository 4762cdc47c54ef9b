package manifest

import (
	"fmt"
	"strings"
)

// suggest says what to write instead of got: the nearest of known when it is close (a typo),
// else the whole list.
func suggest(got string, known []string) string {
	best, bestDist := "", -1
	for _, k := range known {
		// A cut-off word ("Instal" for "InstallDir") is as good as a typo.
		if len(got) >= 3 && strings.HasPrefix(strings.ToLower(k), strings.ToLower(got)) {
			return fmt.Sprintf("did you mean %q?", k)
		}
		d := editDistance(strings.ToLower(got), strings.ToLower(k))
		if bestDist < 0 || d < bestDist {
			best, bestDist = k, d
		}
	}
	// A third of the word may be wrong: "on_interupt" → "on_interrupt", "msii" → "msi".
	if bestDist >= 0 && bestDist <= max(1, len(best)/3) {
		return fmt.Sprintf("did you mean %q?", best)
	}
	return "write one of " + quoteList(known)
}

// quoteList renders ["a", "b"] as `"a", "b"`.
func quoteList(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = fmt.Sprintf("%q", w)
	}
	return strings.Join(q, ", ")
}

// editDistance is the optimal-string-alignment distance of a and b, in bytes: insertions, deletions,
// substitutions and swaps of neighbours ("nmae" → "name") each count one. Keys are short, so the
// quadratic cost does not matter; long inputs are cut to keep it so.
func editDistance(a, b string) int {
	const limit = 64
	if len(a) > limit {
		a = a[:limit]
	}
	if len(b) > limit {
		b = b[:limit]
	}
	// d[i][j] is the distance of a[:i] and b[:j].
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
