//go:build !windows

package conform

// systemWatch are the machine's folders where installers commonly write outside their own.
func systemWatch() []WatchDir {
	return []WatchDir{{"/tmp", 1}, {"/opt", 2}, {"/usr/local", 3}, {"/etc", 2}}
}
