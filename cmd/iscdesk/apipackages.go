package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/iscdesk/iscdesk/marketplace/api"
	mclient "github.com/iscdesk/iscdesk/marketplace/client"
)

func (g *globals) newAPIPackagesCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "api-packages",
		Short: "List the bought API call packages and set their remaining-quota alerts",
		Args:  usageArgs(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List the API packages with their remaining calls and alerts",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			items, err := mclient.Collect(g.marketClient().APIPackages(cmd.Context(), mclient.ListOptions{}))
			if err != nil {
				return err
			}
			return g.marketPrinter().APIPackages(items)
		},
	}
	alert := &cobra.Command{
		Use:   "alert",
		Short: "Set or clear the remaining-quota alert of an API package",
		Args:  usageArgs(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	var (
		percent, absolute int64
		channels          string
	)
	set := &cobra.Command{
		Use:   "set ID --percent P | --absolute N --channels sms,email,in_site",
		Short: "Alert once when the remaining calls fall to P percent of the total, or to N calls",
		Long: "Replaces the package's alert. In-site alerts also arrive on the notification stream\n" +
			"(`iscdesk notifications --follow`).",
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			a := api.QuotaAlert{}
			pSet, aSet := cmd.Flags().Changed("percent"), cmd.Flags().Changed("absolute")
			switch {
			case pSet == aSet:
				return errUsage("api-packages alert set: give one of --percent P or --absolute N")
			case pSet:
				if percent < 1 || percent > 99 {
					return errUsage("api-packages alert set: --percent %d: give 1 to 99", percent)
				}
				a.Mode, a.Threshold = api.AlertPercent, percent
			default:
				if absolute < 1 {
					return errUsage("api-packages alert set: --absolute %d: give a number of calls, 1 or more", absolute)
				}
				a.Mode, a.Threshold = api.AlertAbsolute, absolute
			}
			for _, c := range strings.Split(channels, ",") {
				c = strings.ReplaceAll(strings.TrimSpace(c), "-", "_")
				if c == "" {
					continue
				}
				if err := oneOf("api-packages alert set: --channels", c, api.ChannelSMS, api.ChannelEmail, api.ChannelInSite); err != nil {
					return err
				}
				a.Channels = append(a.Channels, c)
			}
			if len(a.Channels) == 0 {
				return errUsage("api-packages alert set: give --channels, some of sms, email, in_site")
			}
			p, err := g.marketClient().SetAlert(cmd.Context(), args[0], a)
			if err != nil {
				return err
			}
			return g.marketPrinter().APIPackage(p)
		},
	}
	set.Flags().Int64Var(&percent, "percent", 0, "alert at this percentage of the total calls left (1-99)")
	set.Flags().Int64Var(&absolute, "absolute", 0, "alert at this number of calls left")
	set.Flags().StringVar(&channels, "channels", "", "where the alert goes: sms, email, in_site (comma-separated)")
	clear := &cobra.Command{
		Use:   "clear ID",
		Short: "Remove the alert of an API package",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c := g.marketClient()
			if err := c.ClearAlert(cmd.Context(), args[0]); err != nil {
				return err
			}
			p, err := c.APIPackage(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return g.marketPrinter().APIPackage(p)
		},
	}
	alert.AddCommand(set, clear)
	cmd.AddCommand(list, alert)
	return cmd
}
