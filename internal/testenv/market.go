package testenv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// marketReady bounds the start of iscdesk-market: seeding builds the example packages.
const marketReady = 2 * time.Minute

// Market is a running iscdesk-market.
type Market struct {
	*Process
	URL  string // where it serves: http://127.0.0.1:PORT
	Data string // its data folder (vendor.json, the SQLite file)
}

// LaunchMarket builds iscdesk-market and starts it on a free loopback port, with its data in data
// and the packages of examples (empty: the module's packaging/examples), and waits until it says
// where it serves. The caller stops it with Stop.
func LaunchMarket(ctx context.Context, data, examples string) (*Market, error) {
	bin, err := Build(ctx, "./cmd/iscdesk-market", "")
	if err != nil {
		return nil, err
	}
	if examples == "" {
		root, err := ModuleRoot()
		if err != nil {
			return nil, err
		}
		examples = filepath.Join(root, "packaging", "examples")
	}
	p, err := StartProcess(nil, bin, "serve", "--addr", "127.0.0.1:0", "--data", data, "--examples", examples)
	if err != nil {
		return nil, err
	}
	line, err := p.WaitLine(marketReady, func(l string) bool { return strings.HasPrefix(l, "marketplace on ") })
	if err != nil {
		p.Stop(os.Interrupt)
		return nil, fmt.Errorf("iscdesk-market did not start serving: %w", err)
	}
	return &Market{Process: p, URL: strings.TrimPrefix(line, "marketplace on "), Data: data}, nil
}

// StartMarket is LaunchMarket for a test, with its data in a temporary folder: it fails the test
// when the marketplace does not start, and stops it when the test ends.
func StartMarket(t testing.TB, examples string) *Market {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout+marketReady)
	defer cancel()
	m, err := LaunchMarket(ctx, filepath.Join(t.TempDir(), "market"), examples)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		m.Stop(os.Interrupt)
		if t.Failed() {
			t.Logf("iscdesk-market stderr:\n%s", m.Stderr())
		}
	})
	return m
}
