package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/iscdesk/iscdesk/marketplace/server"
	"github.com/spf13/cobra"
)

func newServeCmd(c *common) *cobra.Command {
	var addr, baseURL string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the marketplace, creating and seeding its data folder on first start",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("listening on %s: %w; choose another --addr", addr, err)
			}
			return serve(cmd.Context(), c, ln, baseURL, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8780", "address to listen on")
	cmd.Flags().StringVar(&baseURL, "base-url", "", "URL by which clients and agents reach this server (default http://ADDR)")
	return cmd
}

// openData opens (creating) the data folder and its database, seeding the demo data on first start.
func openData(ctx context.Context, c *common, logger *slog.Logger, stdout io.Writer) (*server.DB, error) {
	if err := os.MkdirAll(c.data, 0o755); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	db, err := server.Open(ctx, filepath.Join(c.data, "market.db"))
	if err != nil {
		return nil, err
	}
	seeded, err := server.Seed(ctx, db, server.SeedOptions{DataDir: c.data, Examples: c.examples, Logger: logger})
	if err != nil {
		db.Close()
		return nil, err
	}
	if seeded {
		fmt.Fprintf(stdout, "seeded %s: tenant %q, users %s/%s and %s/%s, vendor credentials in %s\n", c.data,
			server.DemoTenant, server.DemoEngineer, server.DemoPassword, server.DemoAdmin, server.DemoPassword,
			filepath.Join(c.data, "vendor.json"))
	}
	return db, nil
}

// serve runs the marketplace on ln until ctx ends, then shuts down gracefully.
func serve(ctx context.Context, c *common, ln net.Listener, baseURL string, stdout, stderr io.Writer) error {
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	if baseURL == "" {
		baseURL = "http://" + ln.Addr().String()
	}
	db, err := openData(ctx, c, logger, stdout)
	if err != nil {
		ln.Close()
		return err
	}
	defer db.Close()
	srv, err := server.New(db, server.Options{DataDir: c.data, BaseURL: baseURL, Logger: logger})
	if err != nil {
		ln.Close()
		return err
	}
	line, _ := srv.PublicKey().MarshalText()
	fmt.Fprintf(stdout, "marketplace on %s\nticket key (trust it in the agent config): %s\n", baseURL, line)

	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		srv.Close()
		return fmt.Errorf("serving on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	// Close ends the SSE streams first; Shutdown would otherwise wait for them until its deadline.
	srv.Close()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	fmt.Fprintln(stdout, "marketplace stopped")
	return nil
}
