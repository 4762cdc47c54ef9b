package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/iscdesk/iscdesk/installer/atomicfile"
	"github.com/iscdesk/iscdesk/installer/manifest"
	"github.com/iscdesk/iscdesk/installer/pkgfile"
	"github.com/iscdesk/iscdesk/installer/ticket"
)

type signResult struct {
	File   string         `json:"file"`
	Ticket *ticket.Ticket `json:"ticket"`
}

func newSignCmd(g *globals) *cobra.Command {
	var (
		keyFile, platform, tenant, order, out string
		urls                                  []string
		expires                               time.Duration
	)
	cmd := &cobra.Command{
		Use:   "sign PKG --key NAME.key --url URL [--url URL2] [--platform linux/amd64] [--tenant T --order O] [--expires 168h] [-o PKG.ticket]",
		Short: "Write a signed release ticket for a built .iscpkg",
		Long: "Reads the package's package.yaml for its id, name and version, computes its size and digests\n" +
			"and writes a ticket signed with --key. Without -o the ticket goes beside PKG, with .iscpkg\n" +
			"replaced by .ticket. --platform may be left out when the package has a single platform.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pkg := args[0]
			if keyFile == "" || len(urls) == 0 {
				return errors.New("sign: --key NAME.key and at least one --url (where agents download the package) are required")
			}
			if expires <= 0 || expires > ticket.MaxLifetime {
				return fmt.Errorf("sign: --expires %s: want a duration above 0 and at most %s", expires, ticket.MaxLifetime)
			}
			k, err := ticket.ReadPrivateKeyFile(keyFile)
			if err != nil {
				return fmt.Errorf("sign: %w", err)
			}
			d, m, err := inspectPackage(cmd.Context(), pkg)
			if err != nil {
				return fmt.Errorf("sign: %w", err)
			}
			plat, err := ticketPlatform(m, platform)
			if err != nil {
				return fmt.Errorf("sign %s: %w", pkg, err)
			}
			now := time.Now().UTC().Truncate(time.Second)
			t := ticket.Ticket{
				Product: m.ID, Name: m.Name, Version: m.Version, Platform: plat,
				URLs: urls, Size: d.Size, SHA256: d.SHA256, ManifestSHA256: d.ManifestSHA256,
				Tenant: tenant, Order: order,
				IssuedAt: now, ExpiresAt: now.Add(expires),
			}
			data, err := ticket.Sign(t, k)
			if err != nil {
				return fmt.Errorf("sign %s: %w", pkg, err)
			}
			if out == "" {
				out = strings.TrimSuffix(pkg, pkgfile.Ext) + ticket.Ext
			}
			if err := atomicfile.WriteFile(out, data, 0o644); err != nil {
				return fmt.Errorf("sign: writing the ticket: %w", err)
			}
			t.KeyID = k.ID()
			res := signResult{File: out, Ticket: &t}
			return printResult(cmd.OutOrStdout(), g.json, res, func(w io.Writer) {
				fmt.Fprintf(w, "ticket\t%s\n", out)
				fmt.Fprintf(w, "for\t%s (%s)\n", &t, t.Name)
				printTicket(w, &t)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&keyFile, "key", "", "the private key file (NAME.key from keygen)")
	f.StringArrayVar(&urls, "url", nil, "a URL agents download the package from (https, http, file or s3; repeat for mirrors)")
	f.StringVar(&platform, "platform", "", `the platform the ticket is for: "os" or "os/arch", one the package supports`)
	f.StringVar(&tenant, "tenant", "", "the tenant the ticket is issued to (optional)")
	f.StringVar(&order, "order", "", "the order the ticket belongs to (optional)")
	f.DurationVar(&expires, "expires", 168*time.Hour, "how long the ticket stays valid (at most 720h)")
	f.StringVarP(&out, "output", "o", "", "where to write the ticket (default: PKG with .ticket for .iscpkg)")
	return cmd
}

// ticketPlatform picks the ticket's platform: the flag when the package supports it, else the
// package's only platform.
func ticketPlatform(m *manifest.Manifest, flag string) (string, error) {
	keys := make([]string, 0, len(m.Platforms))
	for k := range m.Platforms {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if flag == "" {
		if len(keys) == 1 {
			return keys[0], nil
		}
		return "", fmt.Errorf("the package has the platforms %s; choose the ticket's with --platform", strings.Join(keys, ", "))
	}
	goos, _, hasArch := strings.Cut(flag, "/")
	// "linux/amd64" is covered by a "linux" entry; "linux" (any arch) only by a "linux" entry.
	if m.Platforms[flag] != nil || (hasArch && m.Platforms[goos] != nil) {
		return flag, nil
	}
	return "", fmt.Errorf("--platform %s: the package has no entry for it (it has %s)", flag, strings.Join(keys, ", "))
}
