// Command iscdesk-gui is the ISCDesk desktop app. It builds the Fyne app and the clients of the
// local agent and of the marketplace, and hands them to gui.New; the screens live in gui/.
//
//	iscdesk-gui [--market URL] [--socket PATH] [--token TOKEN]
//	iscdesk-gui --screenshot DIR        # write a PNG of every screen and exit (make screenshots)
//	iscdesk-gui --bench-first-frame     # print the time to the first frame and the memory, and exit
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	aclient "github.com/iscdesk/iscdesk/agent/client"
	"github.com/iscdesk/iscdesk/gui"
	mclient "github.com/iscdesk/iscdesk/marketplace/client"
)

// started is when the process started, near enough, for --bench-first-frame.
var started = time.Now()

// defaultMarket is the embedded marketplace's address (`iscdesk-market serve`).
const defaultMarket = "http://127.0.0.1:8780"

type flags struct {
	market, socket, token, screenshot string
	demoItems                         int
	benchFirstFrame                   bool
}

func parseFlags(args []string) (*flags, error) {
	f := &flags{}
	fs := flag.NewFlagSet("iscdesk-gui", flag.ContinueOnError)
	fs.StringVar(&f.market, "market", envOr("ISCDESK_MARKET", defaultMarket), "the marketplace's address (env ISCDESK_MARKET)")
	fs.StringVar(&f.socket, "socket", aclient.DefaultSocket(), "the agent's socket or named pipe (env "+aclient.EnvSocket+")")
	fs.StringVar(&f.token, "token", os.Getenv("ISCDESK_TOKEN"), "a marketplace access token instead of signing in, for demos and scripts (env ISCDESK_TOKEN)")
	fs.StringVar(&f.screenshot, "screenshot", "", "write a PNG of every screen into this folder and exit")
	fs.IntVar(&f.demoItems, "demo-items", 0, "pad the software list with this many made-up products (benchmarks)")
	fs.BoolVar(&f.benchFirstFrame, "bench-first-frame", false, "print the time to the first drawn frame and the memory as JSON, and exit")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q; see iscdesk-gui -h", strings.Join(fs.Args(), " "))
	}
	return f, nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func main() {
	f, err := parseFlags(os.Args[1:])
	if err != nil {
		if err == flag.ErrHelp {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "iscdesk-gui:", err)
		os.Exit(2)
	}
	os.Exit(run(f))
}

func run(f *flags) int {
	a := app.NewWithID("dev.iscdesk.desktop")
	market := mclient.New(f.market, mclient.Options{UserAgent: "iscdesk-gui"})
	if f.token != "" {
		market = market.WithToken(f.token)
	}
	headless := f.screenshot != "" || f.benchFirstFrame
	ui := gui.New(a, aclient.New(f.socket), market, gui.Options{DemoItems: f.demoItems, NoTray: headless || !trayAvailable()})

	var code atomic.Int32
	switch {
	case f.screenshot != "":
		a.Lifecycle().SetOnStarted(func() {
			go func() { // owned by main: it quits the app when done
				files, err := ui.Screenshots(context.Background(), f.screenshot)
				if err != nil {
					fmt.Fprintln(os.Stderr, "iscdesk-gui: screenshots:", err)
					code.Store(1)
				}
				for _, name := range files {
					fmt.Println(name)
				}
				fyne.Do(a.Quit)
			}()
		})
	case f.benchFirstFrame:
		a.Lifecycle().SetOnStarted(func() {
			go func() { // owned by main: it quits the app when done
				// Capture runs on the draw thread after the window's first paint.
				fyne.DoAndWait(func() { ui.Window().Canvas().Capture() })
				elapsed := time.Since(started)
				rss, peak := memory()
				_ = json.NewEncoder(os.Stdout).Encode(map[string]any{
					"first_frame_ms": elapsed.Milliseconds(), "rss_mb": rss / (1 << 20), "peak_rss_mb": peak / (1 << 20),
					"demo_items": f.demoItems,
				})
				fyne.Do(a.Quit)
			}()
		})
	}
	ui.ShowAndRun()
	return int(code.Load())
}
