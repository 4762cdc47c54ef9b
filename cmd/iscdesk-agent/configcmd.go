package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"
)

func newConfigCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Work with the agent's config file",
	}
	var f configFlags
	var asJSON bool
	check := &cobra.Command{
		Use:   "check",
		Short: "Check the config and print the effective values (defaults, file, environment and flags)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.load()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(c)
			}
			if c.Path != "" {
				fmt.Fprintf(out, "# read from %s\n", c.Path)
			} else {
				fmt.Fprintln(out, "# no config file: defaults and environment")
			}
			if len(c.TrustedKeys) == 0 {
				fmt.Fprintln(out, "# warning: no trusted_keys: the agent will refuse every install")
			}
			enc := yaml.NewEncoder(out)
			enc.SetIndent(2)
			if err := enc.Encode(c); err != nil {
				return err
			}
			return enc.Close()
		},
	}
	f.addSelect(check)
	f.addOverrides(check)
	check.Flags().BoolVar(&asJSON, "json", false, "print the effective config as JSON")
	cmd.AddCommand(check, newConfigWriteCmd())
	return cmd
}
