// Command brokenagent plays a new agent release that fails its health check, for the self-update
// tests: as `run` it never serves. By default it exits 1 at once; built with -X main.mode=hang it
// waits until it is killed.
package main

import (
	"fmt"
	"os"
	"os/signal"
)

var mode = "exit"

func main() {
	fmt.Fprintln(os.Stderr, "brokenagent: failing at start, mode", mode)
	if mode == "hang" {
		c := make(chan os.Signal, 1)
		signal.Notify(c) // ignore SIGTERM and the like: only a kill ends it
		for range c {
		}
	}
	os.Exit(1)
}
