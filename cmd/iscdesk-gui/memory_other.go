//go:build !linux

package main

// memory is measured on linux only, where the benchmark runs (under Xvfb).
func memory() (rss, peak int64) { return 0, 0 }
