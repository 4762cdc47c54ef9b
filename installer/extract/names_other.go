//go:build !windows

package extract

// platformNameProblem: Unix file systems take any name that cleanName lets through.
func platformNameProblem(string) string { return "" }
