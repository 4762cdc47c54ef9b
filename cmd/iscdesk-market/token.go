package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/iscdesk/iscdesk/marketplace/server"
)

// newTokenCmd signs a user in from the command line, for the demo and for scripts that drive the
// sandbox marketplace without a browser.
func newTokenCmd(c *common) *cobra.Command {
	var user, password string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Sign a user in without a browser and print an access token (demo and sandbox)",
		Long: "token signs --user in with --password, as the desktop login would, and prints the access token\n" +
			"(or, with --json, the access and refresh tokens). Pass it to iscdesk --token or iscdesk-gui --token.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := openData(cmd.Context(), c, slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil)), io.Discard)
			if err != nil {
				return err
			}
			defer db.Close()
			tok, err := server.SignInLocal(cmd.Context(), db, user, password)
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(tok)
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), tok.AccessToken)
			return err
		},
	}
	cmd.Flags().StringVar(&user, "user", server.DemoEngineer, "user name")
	cmd.Flags().StringVar(&password, "password", server.DemoPassword, "the user's password")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the access and refresh tokens as JSON")
	return cmd
}
