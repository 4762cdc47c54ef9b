package main

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/iscdesk/iscdesk/installer/manifest"
	"github.com/iscdesk/iscdesk/packaging/toolkit/scaffold"
)

type initResult struct {
	Dir   string   `json:"dir"`
	Type  string   `json:"type"`
	Files []string `json:"files"`
}

func newInitCmd(g *globals) *cobra.Command {
	var o scaffold.Options
	var typ string
	cmd := &cobra.Command{
		Use:   "init --type script|msi|nsis|inno|installshield|exe [--id ID] DIR",
		Short: "Start a package: package.yaml with the type's silent and log switches, and for script an overwrite-safe install.sh and uninstall.sh",
		Long: "init writes into a new or empty folder and never overwrites a file. What it writes passes\n" +
			"`iscdesk-pack lint`, and for --type script `iscdesk-pack test`; docs/vendor-guide.md explains it.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Type = manifest.InstallerType(typ)
			files, err := scaffold.Init(args[0], o)
			if err != nil {
				return err
			}
			res := initResult{Dir: args[0], Type: typ, Files: files}
			return printResult(cmd.OutOrStdout(), g.json, res, func(w io.Writer) {
				for _, f := range files {
					fmt.Fprintf(w, "wrote\t%s\n", filepath.Join(args[0], f))
				}
				fmt.Fprintf(w, "next\tput your files in %s, then: iscdesk-pack lint %s && iscdesk-pack test %s\n",
					filepath.Join(args[0], "payload"), args[0], args[0])
			})
		},
	}
	cmd.Flags().StringVar(&typ, "type", "", "installer type: script, msi, nsis, inno, installshield or exe (required)")
	cmd.Flags().StringVar(&o.ID, "id", "", "package id (default: the folder name, in lower case)")
	cmd.Flags().StringVar(&o.Name, "name", "", "name shown to people (default: from the id)")
	cmd.Flags().StringVar(&o.Publisher, "publisher", "", "publisher (default: \"Your Company\")")
	_ = cmd.MarkFlagRequired("type")
	return cmd
}
