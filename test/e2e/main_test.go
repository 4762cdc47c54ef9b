// Package e2e runs the marketplace flow end to end with the real binaries: iscdesk-market on a
// temporary data folder, iscdesk-agent in user mode trusting the marketplace's ticket key, and the
// iscdesk CLI signed in through the marketplace's real login form (the test plays the browser).
//
// The tests are skipped with -short, and on other systems than Linux.
package e2e

import (
	"os"
	"runtime"
	"testing"

	"github.com/iscdesk/iscdesk/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.RunTests(m)) }

// bins are the built commands of the flow; the marketplace is built by testenv.StartMarket.
type bins struct{ cli, agent string }

// buildBinaries builds the commands of the flow.
func buildBinaries(t *testing.T) bins {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: builds and runs the real binaries; skipped with -short")
	}
	if runtime.GOOS != "linux" {
		t.Skip("end-to-end test: runs the agent's example packages, which are shell scripts for Linux")
	}
	return bins{
		cli:   testenv.MustBuild(t, "./cmd/iscdesk", ""),
		agent: testenv.MustBuild(t, "./cmd/iscdesk-agent", ""),
	}
}
