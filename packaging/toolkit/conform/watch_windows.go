package conform

import "os"

// systemWatch are the machine's folders where installers commonly write outside their own.
func systemWatch() []WatchDir {
	var out []WatchDir
	for _, env := range []string{"ProgramData", "ProgramFiles", "ProgramFiles(x86)", "PUBLIC"} {
		if p := os.Getenv(env); p != "" {
			out = append(out, WatchDir{p, 2})
		}
	}
	return out
}
