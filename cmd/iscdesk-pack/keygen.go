package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/iscdesk/iscdesk/installer/ticket"
)

type keygenResult struct {
	KeyID      string `json:"key_id"`
	PrivateKey string `json:"private_key_file"`
	PublicKey  string `json:"public_key_file"`
	PublicLine string `json:"public_key"` // the line agents add to their trusted keys
}

func newKeygenCmd(g *globals) *cobra.Command {
	var out, comment string
	cmd := &cobra.Command{
		Use:   "keygen --out NAME",
		Short: "Make a signing key: NAME.key (private, mode 0600) and NAME.pub (give it to the agents that trust you)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return errors.New("keygen: --out NAME is required (NAME.key and NAME.pub are written)")
			}
			k, err := ticket.GenerateKey(comment)
			if err != nil {
				return fmt.Errorf("keygen: %w", err)
			}
			keyPath, pubPath, err := ticket.WriteKeyFiles(out, k)
			if err != nil {
				return fmt.Errorf("keygen: %w", err)
			}
			line, err := k.Public().MarshalText()
			if err != nil {
				return fmt.Errorf("keygen: %w", err)
			}
			res := keygenResult{KeyID: k.ID(), PrivateKey: keyPath, PublicKey: pubPath, PublicLine: string(line)}
			return printResult(cmd.OutOrStdout(), g.json, res, func(w io.Writer) {
				fmt.Fprintf(w, "key id\t%s\n", res.KeyID)
				fmt.Fprintf(w, "private key\t%s\t(keep it secret; it is not written again)\n", res.PrivateKey)
				fmt.Fprintf(w, "public key\t%s\t(add its line to the trusted keys of the agents)\n", res.PublicKey)
			})
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "write NAME.key and NAME.pub (never overwritten)")
	cmd.Flags().StringVar(&comment, "comment", "", "a note kept with the key, e.g. \"acme sandbox 2026\"")
	return cmd
}
