//go:build !windows

package conform

// systemWatch are the machine's folders where installers commonly write outside their own. /tmp
// is left out: other programs write there all the time, which would blame the package for their
// files. Steps get TMPDIR in the sandbox (watched), and lint reports scripts that write to /tmp.
func systemWatch() []WatchDir {
	return []WatchDir{{"/opt", 2}, {"/usr/local", 3}, {"/etc", 2}}
}
