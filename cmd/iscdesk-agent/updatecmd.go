package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/agent/client"
)

// newUpdateCmd is `iscdesk-agent update`: ask the running agent to update itself now. The switch
// itself happens in the service (run); this command only asks and prints the answer.
func newUpdateCmd() *cobra.Command {
	var f configFlags
	var checkOnly, show, asJSON bool
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Ask the running agent to look for a newer version of itself now and switch to it",
		Long: `Asks the running agent (POST /v1/agent/update) to check the marketplace now. It verifies the
binary's SHA-256 and minisign signature against update.keys, refuses downgrades and versions that
failed before, and switches once no job runs. --status shows the state without asking the
marketplace. Follow the switch with: iscdesk agent update --wait 5m. See docs/self-update.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.load()
			if err != nil {
				return err
			}
			c := client.New(cfg.Socket)
			var st *apitype.UpdateStatus
			if show {
				st, err = c.AgentUpdateStatus(cmd.Context())
			} else {
				st, err = c.AgentUpdate(cmd.Context(), apitype.UpdateRequest{CheckOnly: checkOnly})
			}
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			fmt.Fprintf(out, "version: %s\nupdate: %s\n", st.Current, st.State)
			if st.Available != "" {
				fmt.Fprintln(out, "available:", st.Available)
			}
			if st.Error != "" {
				fmt.Fprintln(out, "note:", st.Error)
			}
			if st.Last != "" {
				fmt.Fprintln(out, "last switch:", st.Last)
			}
			return nil
		},
	}
	f.addSelect(cmd)
	f.addSocket(cmd)
	cmd.Flags().BoolVar(&checkOnly, "check", false, "only look and verify; do not switch")
	cmd.Flags().BoolVar(&show, "status", false, "show the state of self-update; ask nothing of the marketplace")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the answer as JSON")
	return cmd
}
