// Command fetchbench is the helper of scripts/bench/fetch.sh: it serves a folder over loopback HTTP
// and fetches a file through installer/fetch, so that the script can time it against curl.
//
//	fetchbench serve -dir DIR          prints the base URL, serves until SIGINT/SIGTERM
//	fetchbench fetch -url U -size N -sha HEX -cache DIR
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/iscdesk/iscdesk/installer/fetch"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: fetchbench serve -dir DIR | fetchbench fetch -url U -size N -sha HEX -cache DIR")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(ctx, os.Args[2:])
	case "fetch":
		err = get(ctx, os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q: use serve or fetch", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fetchbench:", err)
		os.Exit(1)
	}
}

func serve(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	dir := fs.String("dir", "", "folder to serve")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("serve: -dir is required")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("serve: listening on loopback: %w", err)
	}
	srv := &http.Server{Handler: http.FileServer(http.Dir(*dir)), ReadHeaderTimeout: 10 * time.Second}
	fmt.Printf("http://%s/\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(shutdown)
	}
}

func get(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("fetch", flag.ContinueOnError)
	url := fs.String("url", "", "URL of the file")
	size := fs.Int64("size", 0, "expected size in bytes")
	sha := fs.String("sha", "", "expected SHA-256, hex")
	cache := fs.String("cache", "", "cache folder")
	if err := fs.Parse(args); err != nil {
		return err
	}
	f := &fetch.Fetcher{CacheDir: *cache, CacheCap: 1 << 40}
	path, err := f.Fetch(ctx, fetch.Request{URLs: []string{*url}, Size: *size, SHA256: *sha})
	if err != nil {
		return err
	}
	fmt.Println(path)
	return nil
}
