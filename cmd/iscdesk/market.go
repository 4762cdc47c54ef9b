package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/iscdesk/iscdesk/installer/atomicfile"
	mclient "github.com/iscdesk/iscdesk/marketplace/client"
	"github.com/iscdesk/iscdesk/marketplace/client/secretstore"
)

// Environment variables of the marketplace commands.
const (
	marketEnvVar = "ISCDESK_MARKET"
	tokenEnvVar  = "ISCDESK_TOKEN"
)

// defaultMarket is the embedded marketplace's address (`iscdesk-market serve`).
const defaultMarket = "http://127.0.0.1:8780"

// marketEnv is what the marketplace commands take from the machine; tests give their own.
type marketEnv struct {
	getenv func(string) string
	// store keeps the session; nil is the OS keyring, else a 0600 file in the user config folder.
	store secretstore.Store
	// configDir holds the CLI's settings (the last marketplace signed in to); "" is
	// os.UserConfigDir()/iscdesk.
	configDir string
	// openBrowser shows the sign-in page; nil is the user's browser.
	openBrowser func(url string) error
}

func osMarketEnv() marketEnv { return marketEnv{getenv: os.Getenv} }

// marketFlags are --market and --token, shared by every marketplace command.
type marketFlags struct {
	url   string
	token string
}

// addMarketFlags registers --market and --token on cmd and its sub-commands.
func (g *globals) addMarketFlags(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&g.market.url, "market", g.env.getenv(marketEnvVar),
		"the marketplace's address (env "+marketEnvVar+"; default: the one you signed in to last, else "+defaultMarket+")")
	cmd.PersistentFlags().StringVar(&g.market.token, "token", g.env.getenv(tokenEnvVar),
		"a marketplace access token to use instead of the signed-in session, for scripts (env "+tokenEnvVar+")")
}

// settingsDir is the folder of the CLI's own settings.
func (g *globals) settingsDir() (string, error) {
	if g.env.configDir != "" {
		return g.env.configDir, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("finding the user config folder: %w; set HOME (or XDG_CONFIG_HOME), or pass --market", err)
	}
	return filepath.Join(dir, "iscdesk"), nil
}

// savedMarketFile remembers the marketplace last signed in to.
const savedMarketFile = "market"

// marketURL is --market, else the marketplace signed in to last, else the embedded default.
func (g *globals) marketURL() string {
	if u := strings.TrimSpace(g.market.url); u != "" {
		return strings.TrimRight(u, "/")
	}
	if dir, err := g.settingsDir(); err == nil {
		if data, err := os.ReadFile(filepath.Join(dir, savedMarketFile)); err == nil {
			if u := strings.TrimSpace(string(data)); u != "" {
				return u
			}
		}
	}
	return defaultMarket
}

// saveMarketURL makes u the default of later commands.
func (g *globals) saveMarketURL(u string) error {
	dir, err := g.settingsDir()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("saving the marketplace address: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, savedMarketFile), []byte(u+"\n"), 0o600); err != nil {
		return fmt.Errorf("saving the marketplace address: %w", err)
	}
	return nil
}

// forgetMarketURL drops the saved address when it is u.
func (g *globals) forgetMarketURL(u string) error {
	dir, err := g.settingsDir()
	if err != nil {
		return err
	}
	p := filepath.Join(dir, savedMarketFile)
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && strings.TrimSpace(string(data)) != u) {
		return nil
	}
	if err == nil {
		err = os.Remove(p)
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("forgetting the marketplace address in %s: %w", p, err)
	}
	return nil
}

// marketClient is a client of the marketplace: with --token when given, else the stored session.
func (g *globals) marketClient() *mclient.Client {
	c := mclient.New(g.marketURL(), mclient.Options{Store: g.env.store})
	if g.market.token != "" {
		return c.WithToken(g.market.token)
	}
	return c
}
