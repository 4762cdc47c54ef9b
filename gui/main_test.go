package gui

import (
	"os"
	"testing"

	"github.com/iscdesk/iscdesk/internal/testenv"
)

// TestMain removes the binaries that the tests against the real marketplace and agent build.
func TestMain(m *testing.M) { os.Exit(testenv.RunTests(m)) }
