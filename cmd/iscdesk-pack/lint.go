package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/iscdesk/iscdesk/packaging/toolkit/lint"
)

func newLintCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "lint DIR",
		Short: "Check a package folder: package.yaml, and scripts that prompt, reboot, write outside the install folder or lack silent switches",
		Long: "Each finding names file:line, its severity, why it matters and how to fix it.\n" +
			"The exit code is 1 when there is an error; warnings alone exit 0.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := lint.Dir(args[0])
			if err != nil {
				return err
			}
			if g.json {
				err = printResult(cmd.OutOrStdout(), true, r, nil)
			} else {
				err = lint.WriteText(cmd.OutOrStdout(), r)
			}
			if err != nil {
				return err
			}
			if n := r.Errors(); n > 0 {
				return fmt.Errorf("lint %s: %d errors; fix them before you test or publish the package", args[0], n)
			}
			return nil
		},
	}
}
