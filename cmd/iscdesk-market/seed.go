package main

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/iscdesk/iscdesk/marketplace/server"
	"github.com/spf13/cobra"
)

func newSeedCmd(c *common) *cobra.Command {
	var products, orders int
	cmd := &cobra.Command{
		Use:   "seed",
		Short: "Seed the demo data (on a new data folder) and add load-test products and orders",
		Long: "seed creates the data folder with its demo data when new, then adds --products synthetic products\n" +
			"owned by the demo tenant and --orders random orders of it, for the load benchmark.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if products < 0 || orders < 0 {
				return fmt.Errorf("--products and --orders must not be negative")
			}
			logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			db, err := openData(cmd.Context(), c, logger, cmd.OutOrStdout())
			if err != nil {
				return err
			}
			defer db.Close()
			start := time.Now()
			if err := server.SeedLoad(cmd.Context(), db, products, orders, time.Now()); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "added %d products and %d orders in %s\n", products, orders, time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	cmd.Flags().IntVar(&products, "products", 0, "synthetic products to add, each owned by the demo tenant")
	cmd.Flags().IntVar(&orders, "orders", 0, "random orders of the demo tenant to add")
	return cmd
}
