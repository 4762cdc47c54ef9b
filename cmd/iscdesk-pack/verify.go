package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/iscdesk/iscdesk/installer/ticket"
)

type verifyResult struct {
	Ticket *ticket.Ticket `json:"ticket"`
	// PackageMatches is true when --package was given and its size and digests match the ticket.
	PackageMatches bool `json:"package_matches"`
}

func newVerifyCmd(g *globals) *cobra.Command {
	var pubs []string
	var pkg string
	cmd := &cobra.Command{
		Use:   "verify TICKET --pub NAME.pub [--pub OTHER.pub] [--package PKG]",
		Short: "Check a ticket's signature and validity (and that a package matches it) as the agent would, and print it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(pubs) == 0 {
				return errors.New("verify: --pub NAME.pub is required: the public key(s) the ticket must be signed with")
			}
			ring := ticket.NewKeyring()
			for _, p := range pubs {
				k, err := ticket.ReadPublicKeyFile(p)
				if err != nil {
					return fmt.Errorf("verify: %w", err)
				}
				ring.Add(k)
			}
			data, err := ticket.ReadFile(args[0])
			if err != nil {
				return fmt.Errorf("verify: %w", err)
			}
			t, err := ring.Verify(data, time.Now())
			if err != nil {
				return fmt.Errorf("verify %s: %w", args[0], err)
			}
			res := verifyResult{Ticket: t}
			if pkg != "" {
				d, _, err := inspectPackage(cmd.Context(), pkg)
				if err != nil {
					return fmt.Errorf("verify: %w", err)
				}
				if err := t.MatchPackage(d.Size, d.SHA256, d.ManifestSHA256); err != nil {
					return fmt.Errorf("verify %s against %s: %w", args[0], pkg, err)
				}
				res.PackageMatches = true
			}
			return printResult(cmd.OutOrStdout(), g.json, res, func(w io.Writer) {
				fmt.Fprintf(w, "ticket OK\t%s (%s)\n", t, t.Name)
				printTicket(w, t)
				if res.PackageMatches {
					fmt.Fprintf(w, "package\t%s matches the ticket\n", pkg)
				}
			})
		},
	}
	cmd.Flags().StringArrayVar(&pubs, "pub", nil, "a trusted public key file (repeat for several, as during a key rotation)")
	cmd.Flags().StringVar(&pkg, "package", "", "also check that this .iscpkg is the one the ticket names")
	return cmd
}

// printTicket prints a ticket's fields for people, one per line.
func printTicket(w io.Writer, t *ticket.Ticket) {
	fmt.Fprintf(w, "platform\t%s\n", t.Platform)
	fmt.Fprintf(w, "size\t%d bytes\n", t.Size)
	fmt.Fprintf(w, "sha256\t%s\n", t.SHA256)
	fmt.Fprintf(w, "package.yaml sha256\t%s\n", t.ManifestSHA256)
	fmt.Fprintf(w, "urls\t%s\n", strings.Join(t.URLs, "\n\t"))
	if t.Tenant != "" || t.Order != "" {
		fmt.Fprintf(w, "tenant / order\t%s / %s\n", t.Tenant, t.Order)
	}
	fmt.Fprintf(w, "issued\t%s\n", t.IssuedAt.UTC().Format(time.RFC3339))
	fmt.Fprintf(w, "expires\t%s\n", t.ExpiresAt.UTC().Format(time.RFC3339))
	fmt.Fprintf(w, "key id\t%s\n", t.KeyID)
}
