package main

import (
	"github.com/spf13/cobra"
)

func (g *globals) newOrgCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "org",
		Short: "Your organisation on the marketplace: its admins",
		Args:  usageArgs(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	admins := &cobra.Command{
		Use:   "admins",
		Short: "List, add and remove the organisation's admins",
		Long: "The marketplace refuses to remove the creator of the organisation or its last admin, and lets\n" +
			"an admin invited by another remove only itself; its refusal is printed as it gives it (exit 6).",
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List the admins, the creator first",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			items, err := g.marketClient().OrgAdmins(cmd.Context())
			if err != nil {
				return err
			}
			return g.marketPrinter().Admins(items)
		},
	}
	add := &cobra.Command{
		Use:   "add USER",
		Short: "Make a member of the organisation (user id or username) an admin (admins only)",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.marketClient().AddOrgAdmin(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return g.marketPrinter().Admin(a)
		},
	}
	remove := &cobra.Command{
		Use:   "remove USER",
		Short: "Take admin rights from a user (user id or username); they stay a member",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.marketClient().RemoveOrgAdmin(cmd.Context(), args[0]); err != nil {
				return err
			}
			return g.marketPrinter().AdminRemoved(args[0])
		},
	}
	admins.AddCommand(list, add, remove)
	cmd.AddCommand(admins)
	return cmd
}
