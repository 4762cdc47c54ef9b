package main

import (
	"fmt"
	"net/url"

	"github.com/spf13/cobra"

	mclient "github.com/iscdesk/iscdesk/marketplace/client"
)

func (g *globals) newNotificationsCmd() *cobra.Command {
	var (
		unread, follow bool
		since          string
	)
	cmd := &cobra.Command{
		Use:   "notifications [--unread] [--follow [--since ID]]",
		Short: "List your marketplace notifications (orders, licenses, deliveries, quota alerts), or follow them",
		Long: "Without --follow, lists the notifications, newest first. With --follow, prints each new one as\n" +
			"it arrives (--since ID: first those after ID) until interrupted; the stream reconnects by itself\n" +
			"and says so on stderr. With --json each notification is one JSON line.",
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, p := g.marketClient(), g.marketPrinter()
			if !follow {
				if since != "" {
					return errUsage("notifications: --since goes with --follow")
				}
				q := url.Values{}
				if unread {
					q.Set("unread", "true")
				}
				items, err := mclient.Collect(c.Notifications(cmd.Context(), mclient.ListOptions{Filter: q}))
				if err != nil {
					return err
				}
				return p.Notifications(items)
			}
			// The stream goes on after an error it can recover from, and ends after one it cannot
			// (signed out, forbidden): that one is the command's result.
			var last error
			for n, err := range c.NotificationsStream(cmd.Context(), since) {
				if last = err; err != nil {
					if cmd.Context().Err() == nil {
						fmt.Fprintf(g.io.err, "iscdesk: %v\n", err)
					}
					continue
				}
				if err := p.Notification(n); err != nil {
					return err
				}
			}
			if err := cmd.Context().Err(); err != nil {
				return err
			}
			return last
		},
	}
	cmd.Flags().BoolVar(&unread, "unread", false, "only unread notifications")
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "print new notifications as they arrive, until interrupted")
	cmd.Flags().StringVar(&since, "since", "", "with --follow: first print those after this notification id")
	return cmd
}
