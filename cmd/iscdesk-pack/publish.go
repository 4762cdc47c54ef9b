package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/iscdesk/iscdesk/packaging/toolkit/publish"
)

func newPublishCmd(g *globals) *cobra.Command {
	var (
		o     publish.Options
		creds string
	)
	cmd := &cobra.Command{
		Use:   "publish PKG --market URL (--access-key K --secret S | --credentials vendor.json)",
		Short: "Upload a built package (.iscpkg) to a marketplace's vendor endpoint, signed with your vendor keys",
		Long: "The secret may also come from $ISCDESK_VENDOR_SECRET, to keep it out of the shell history.\n" +
			"The embedded marketplace writes the demo vendor's keys to DATA/vendor.json.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if creds != "" {
				c, err := publish.ReadCredentials(creds)
				if err != nil {
					return err
				}
				o.AccessKey, o.Secret = c.AccessKey, c.Secret
			}
			if o.Secret == "" {
				o.Secret = os.Getenv("ISCDESK_VENDOR_SECRET")
			}
			rel, err := publish.Publish(cmd.Context(), args[0], o)
			if err != nil {
				return err
			}
			return printResult(cmd.OutOrStdout(), g.json, rel, func(w io.Writer) {
				fmt.Fprintf(w, "published\t%s %s (%s)\n", rel.Product, rel.Version, rel.Name)
				for _, r := range rel.Releases {
					fmt.Fprintf(w, "%s\t%s\t%d bytes\tsha256 %s\n", r.Platform, r.URL, r.Size, r.SHA256)
				}
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Market, "market", "", "marketplace URL, e.g. http://127.0.0.1:8780 (required)")
	f.StringVar(&o.AccessKey, "access-key", "", "your vendor access key")
	f.StringVar(&o.Secret, "secret", "", "your vendor secret (or $ISCDESK_VENDOR_SECRET)")
	f.StringVar(&creds, "credentials", "", "a vendor.json with access_key and secret, instead of the two flags")
	_ = cmd.MarkFlagRequired("market")
	return cmd
}
