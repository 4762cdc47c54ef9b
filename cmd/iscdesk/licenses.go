package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/iscdesk/iscdesk/marketplace/api"
	mclient "github.com/iscdesk/iscdesk/marketplace/client"
	"github.com/iscdesk/iscdesk/marketplace/client/fingerprint"
	"github.com/iscdesk/iscdesk/marketplace/license"
)

// licensePoll is how often `licenses apply --wait` asks whether the license was issued.
var licensePoll = time.Second

func (g *globals) newLicensesCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "licenses",
		Short: "List, apply for, show and install the licenses of your organisation's software",
		Args:  usageArgs(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(g.newLicensesListCmd(), g.newLicensesApplyCmd(), g.newLicensesShowCmd(), g.newLicensesInstallCmd())
	return cmd
}

func (g *globals) newLicensesListCmd() *cobra.Command {
	var state, product string
	cmd := &cobra.Command{
		Use:   "list [--state pending|issued|rejected] [--product P]",
		Short: "List your organisation's licenses, newest first",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			filter := url.Values{}
			if state != "" {
				if err := oneOf("licenses list: --state", state, api.LicensePending, api.LicenseIssued, api.LicenseRejected); err != nil {
					return err
				}
				filter.Set("state", state)
			}
			if product != "" {
				filter.Set("product", product)
			}
			items, err := mclient.Collect(g.marketClient().Licenses(cmd.Context(), mclient.ListOptions{Filter: filter}))
			if err != nil {
				return err
			}
			return g.marketPrinter().Licenses(items)
		},
	}
	cmd.Flags().StringVar(&state, "state", "", "only licenses in this state")
	cmd.Flags().StringVar(&product, "product", "", "only licenses of this product")
	return cmd
}

// oneOf is a usage error unless v is one of allowed.
func oneOf(what, v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return errUsage("%s %q: give one of %s", what, v, strings.Join(allowed, ", "))
}

// parseExpiry reads --expires: a duration from effective ("365d", "12h", "90d12h") or a date
// ("2027-06-30") or time (RFC 3339).
func parseExpiry(s string, effective time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, time.Local); err == nil {
		return t, nil
	}
	days := time.Duration(0)
	rest := s
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil {
			return time.Time{}, errUsage("--expires %q: give a duration such as 365d or 12h, or a date such as 2027-06-30", s)
		}
		days, rest = time.Duration(n)*24*time.Hour, s[i+1:]
	}
	d := time.Duration(0)
	if rest != "" {
		var err error
		if d, err = time.ParseDuration(rest); err != nil {
			return time.Time{}, errUsage("--expires %q: give a duration such as 365d or 12h, or a date such as 2027-06-30", s)
		}
	}
	if days+d <= 0 {
		return time.Time{}, errUsage("--expires %q: the license must last some time; give a duration such as 365d", s)
	}
	return effective.Add(days + d), nil
}

// deviceFingerprint is --fingerprint: "auto" computes this machine's, the same as the desktop
// app does, anything else is taken as "MAC|disk|board|cpu" and checked as the marketplace would.
func deviceFingerprint(ctx context.Context, flag string) (string, error) {
	if flag == "" || flag == "auto" {
		f, err := fingerprint.Compute(ctx)
		if err != nil {
			return "", fmt.Errorf("%w; or give the fingerprint with --fingerprint MAC|disk|board|cpu", err)
		}
		return f.String(), nil
	}
	fp, err := license.ParseFingerprint(flag)
	if err != nil {
		return "", errUsage("--fingerprint: %v; give auto, or MAC|disk|board|cpu", err)
	}
	return fp.String(), nil
}

func (g *globals) newLicensesApplyCmd() *cobra.Command {
	var (
		fp, expires, effective string
		wait                   bool
	)
	cmd := &cobra.Command{
		Use:   "apply PRODUCT [--fingerprint auto|MAC|disk|board|cpu] [--expires 365d] [--effective TIME] [--wait]",
		Short: "Apply for a license of a product, bound to this device (or the one given)",
		Long: "Applies for a license bound to a device fingerprint, MAC|disk|board|cpu. With --fingerprint auto\n" +
			"(the default) it is this machine's, as the desktop app computes it: the MAC address of its\n" +
			"network adapter, the system disk's serial, the board's maker and model and the CPU's model (see\n" +
			"docs/cli.md). The marketplace issues or rejects the license later; --wait waits for that and exits 6\n" +
			"when it is rejected. The same application (same product, device and times) made twice gives\n" +
			"the same license: pass --effective and a date for --expires to make a retried script idempotent.",
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			eff := time.Now()
			if effective != "" {
				t, err := time.Parse(time.RFC3339, effective)
				if err != nil {
					return errUsage("--effective %q: give a time such as 2026-12-01T00:00:00Z", effective)
				}
				eff = t
			}
			exp, err := parseExpiry(expires, eff)
			if err != nil {
				return err
			}
			device, err := deviceFingerprint(cmd.Context(), fp)
			if err != nil {
				return err
			}
			app := api.LicenseApplication{Product: args[0], Fingerprint: device, ExpiresAt: exp.UTC().Format(time.RFC3339)}
			if effective != "" {
				app.EffectiveAt = eff.UTC().Format(time.RFC3339)
			}
			c := g.marketClient()
			lic, err := c.ApplyLicense(cmd.Context(), app, "")
			if err != nil {
				return fmt.Errorf("applying for a license of %s: %w", args[0], err)
			}
			if wait && lic.State == api.LicensePending {
				if lic, err = c.WaitLicense(cmd.Context(), lic.ID, licensePoll); err != nil {
					return err
				}
			}
			if err := g.marketPrinter().License(lic); err != nil {
				return err
			}
			return licenseResult(lic)
		},
	}
	cmd.Flags().StringVar(&fp, "fingerprint", "auto", "the device: auto (this machine), or MAC|disk|board|cpu")
	cmd.Flags().StringVar(&expires, "expires", "365d", "how long the license lasts (365d, 12h) or until when (2027-06-30, RFC 3339)")
	cmd.Flags().StringVar(&effective, "effective", "", "when the license takes effect (RFC 3339; default now)")
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until the license is issued or rejected")
	return cmd
}

// licenseResult is the error a rejected license ends the command with (exit 6).
func licenseResult(l *api.License) error {
	if l.State != api.LicenseRejected {
		return nil
	}
	reason := l.Reason
	if reason == "" {
		reason = "no reason given"
	}
	return refusedError{fmt.Errorf("license %s of %s was rejected: %s", l.ID, l.Product, reason)}
}

func (g *globals) newLicensesShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show a license: its state, device, validity and content's SHA-256",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			lic, err := g.marketClient().License(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return g.marketPrinter().License(lic)
		},
	}
}

func (g *globals) newLicensesInstallCmd() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "install ID [-o FILE]",
		Short: "Download an issued license, check its SHA-256 and put it where the installed software reads it",
		Long: "Downloads the license, checks its SHA-256, and hands it to the agent, which writes it where the\n" +
			"installed package says: its license path inside the install folder, or a file whose path it sets\n" +
			"machine-wide in the environment variable the package names. This needs install rights (root, an\n" +
			"administrator or the install group), like installing software. With -o it writes FILE instead, as\n" +
			"the user who runs it, and the agent is not asked.",
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := g.installLicense(cmd.Context(), args[0], output)
			if err != nil {
				return err
			}
			return g.marketPrinter().LicensePlaced(*r)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "write the license to FILE rather than to the installed software's license path")
	return cmd
}

// errNotIssued is a license that cannot be installed yet.
var errNotIssued = errors.New("the license is not issued yet")
