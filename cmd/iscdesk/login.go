package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	mclient "github.com/iscdesk/iscdesk/marketplace/client"
	"github.com/iscdesk/iscdesk/marketplace/client/browser"
)

// loginWait is how long `iscdesk login` waits for the browser to come back.
const loginWait = 5 * time.Minute

// marketCommands are the commands that talk to the marketplace.
func (g *globals) marketCommands() []*cobra.Command {
	cmds := []*cobra.Command{
		g.newLoginCmd(),
		g.newLogoutCmd(),
		g.newWhoamiCmd(),
		g.newLicensesCmd(),
		g.newOrdersCmd(),
		g.newDeliveriesCmd(),
		g.newHardwareCmd(),
		g.newAPIPackagesCmd(),
		g.newOrgCmd(),
		g.newNotificationsCmd(),
	}
	for _, c := range cmds {
		g.addMarketFlags(c)
	}
	return cmds
}

func (g *globals) newLoginCmd() *cobra.Command {
	var noBrowser bool
	cmd := &cobra.Command{
		Use:   "login [--market URL] [--no-browser]",
		Short: "Sign in to the marketplace in your browser; the session is kept in the OS keyring",
		Long: "Opens the marketplace's sign-in page in your browser and waits (5 minutes at most) for it to\n" +
			"come back to a port on 127.0.0.1. On a machine without a browser (--no-browser, or no\n" +
			"graphical session) it prints the address to open in a browser on this machine. The session\n" +
			"is kept in the OS keyring (else a 0600 file in your config folder) and renewed as needed;\n" +
			"the marketplace becomes the default of later commands.",
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if g.market.token != "" {
				return errUsage("login: --token (or %s) is set; a token needs no sign-in, and a sign-in does not use it", tokenEnvVar)
			}
			market := g.marketURL()
			c := g.marketClient()
			open := g.env.openBrowser
			switch {
			case noBrowser:
				open = func(string) error { return errors.New("--no-browser") }
			case open == nil:
				open = browser.Open
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), loginWait)
			defer cancel()
			// The address goes to stderr on --json, so that stdout stays one JSON document.
			out := g.io.out
			if g.json {
				out = g.io.err
			}
			sess, err := c.Login(ctx, mclient.LoginOptions{OpenBrowser: open, Out: out})
			if err != nil {
				return err
			}
			if err := g.saveMarketURL(c.BaseURL()); err != nil {
				fmt.Fprintf(g.io.err, "iscdesk: signed in, but %v; pass --market %s to later commands\n", err, c.BaseURL())
			}
			me, err := c.Me(cmd.Context())
			if err != nil {
				return fmt.Errorf("signed in, but reading who you are failed: %w", err)
			}
			exp := sess.Expiry
			return g.marketPrinter().SignedIn(signedIn{Market: market, Me: *me, ExpiresAt: &exp})
		},
	}
	cmd.Flags().BoolVar(&noBrowser, "no-browser", false, "do not open a browser: print the address to open instead")
	return cmd
}

func (g *globals) newLogoutCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "Sign out of the marketplace: revoke the session and delete it from this machine",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if g.market.token != "" {
				return errUsage("logout: --token (or %s) is set; revoke a token on the marketplace instead", tokenEnvVar)
			}
			c := g.marketClient()
			if err := c.Logout(cmd.Context()); err != nil {
				return err
			}
			if err := g.forgetMarketURL(c.BaseURL()); err != nil {
				return err
			}
			return g.marketPrinter().SignedOut(c.BaseURL())
		},
	}
}

func (g *globals) newWhoamiCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "whoami",
		Short: "Show who is signed in to the marketplace, and in which organisation",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c := g.marketClient()
			me, err := c.Me(cmd.Context())
			if err != nil {
				return err
			}
			s := signedIn{Market: c.BaseURL(), Me: *me, ByToken: g.market.token != ""}
			if !s.ByToken {
				if sess, err := c.Session(cmd.Context()); err == nil && !sess.Expiry.IsZero() {
					s.ExpiresAt = &sess.Expiry
				}
			}
			return g.marketPrinter().SignedIn(s)
		},
	}
}
