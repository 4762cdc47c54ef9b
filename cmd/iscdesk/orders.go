package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/iscdesk/iscdesk/installer/atomicfile"
	"github.com/iscdesk/iscdesk/marketplace/api"
	mclient "github.com/iscdesk/iscdesk/marketplace/client"
)

var (
	orderKinds  = []string{api.OrderSoftware, api.OrderLicense, api.OrderImage, api.OrderHardware, api.OrderAPIPackage}
	orderStates = []string{api.StatePendingPayment, api.StatePaid, api.StateDelivering, api.StateDelivered, api.StateCancelled, api.StateRefunding, api.StateRefunded}
)

// orderFilter are the filters of `orders list` and `orders export`.
type orderFilter struct{ kind, state, from, to string }

func (f *orderFilter) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.kind, "kind", "", "only orders of this kind: software, license, image, hardware, api_package")
	cmd.Flags().StringVar(&f.state, "state", "", "only orders in this state: pending_payment, paid, delivering, delivered, cancelled, refunding, refunded")
	cmd.Flags().StringVar(&f.from, "from", "", "only orders created at or after this time (2026-01-01 or RFC 3339)")
	cmd.Flags().StringVar(&f.to, "to", "", "only orders created before this time (2026-02-01 or RFC 3339)")
}

// values checks the filters and gives the query of GET /v1/orders.
func (f *orderFilter) values() (url.Values, error) {
	q := url.Values{}
	if f.kind != "" {
		if err := oneOf("--kind", f.kind, orderKinds...); err != nil {
			return nil, err
		}
		q.Set("kind", f.kind)
	}
	if f.state != "" {
		if err := oneOf("--state", f.state, orderStates...); err != nil {
			return nil, err
		}
		q.Set("state", f.state)
	}
	for _, t := range []struct{ name, v string }{{"from", f.from}, {"to", f.to}} {
		if t.v == "" {
			continue
		}
		at, err := time.Parse(time.RFC3339, t.v)
		if err != nil {
			if at, err = time.ParseInLocation(time.DateOnly, t.v, time.Local); err != nil {
				return nil, errUsage("--%s %q: give a date such as 2026-01-31 or an RFC 3339 time", t.name, t.v)
			}
		}
		q.Set(t.name, at.UTC().Format(time.RFC3339))
	}
	return q, nil
}

func (g *globals) newOrdersCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "orders",
		Short: "List, show and export your organisation's orders",
		Args:  usageArgs(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	var lf orderFilter
	list := &cobra.Command{
		Use:   "list [--kind K] [--state S] [--from T] [--to T]",
		Short: "List the orders, newest first",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			q, err := lf.values()
			if err != nil {
				return err
			}
			items, err := mclient.Collect(g.marketClient().Orders(cmd.Context(), mclient.ListOptions{Filter: q, PageSize: 500}))
			if err != nil {
				return err
			}
			return g.marketPrinter().Orders(items)
		},
	}
	lf.register(list)
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show one order",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := g.marketClient().Order(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return g.marketPrinter().Order(o)
		},
	}
	cmd.AddCommand(list, show, g.newOrdersExportCmd())
	return cmd
}

func (g *globals) newOrdersExportCmd() *cobra.Command {
	var (
		f      orderFilter
		asCSV  bool
		output string
	)
	cmd := &cobra.Command{
		Use:   "export --csv [-o FILE] [--kind K] [--state S] [--from T] [--to T]",
		Short: "Export the orders as CSV, to FILE or to stdout",
		Long: "Writes one CSV row per order (id, kind, state, product, title, amount, currency, created,\n" +
			"updated; amounts in units of the currency, times in RFC 3339 UTC). With -o the file is replaced\n" +
			"whole, and the command prints what it wrote (--json: {\"file\", \"orders\"}).",
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !asCSV {
				return errUsage("orders export: give --csv (the one export format)")
			}
			q, err := f.values()
			if err != nil {
				return err
			}
			items, err := mclient.Collect(g.marketClient().Orders(cmd.Context(), mclient.ListOptions{Filter: q, PageSize: 500}))
			if err != nil {
				return err
			}
			if output == "" {
				return writeOrdersCSV(g.io.out, items)
			}
			if err := atomicfile.Write(output, 0o644, func(w io.Writer) error { return writeOrdersCSV(w, items) }); err != nil {
				return fmt.Errorf("orders export: writing %s: %w", output, err)
			}
			return g.marketPrinter().Exported(exported{File: output, Orders: len(items)})
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&asCSV, "csv", false, "write CSV")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to FILE instead of stdout")
	return cmd
}

// writeOrdersCSV writes a header and one row per order.
func writeOrdersCSV(w io.Writer, items []api.Order) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "kind", "state", "product", "title", "amount", "currency", "created_at", "updated_at"})
	for _, o := range items {
		_ = cw.Write([]string{o.ID, o.Kind, o.State, o.Product, o.Title, centsText(o.AmountCents), o.Currency,
			o.CreatedAt.UTC().Format(time.RFC3339), o.UpdatedAt.UTC().Format(time.RFC3339)})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("writing CSV: %w", err)
	}
	return nil
}

// centsText is "1200.50": no grouping, for spreadsheets.
func centsText(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return sign + strconv.FormatInt(c/100, 10) + fmt.Sprintf(".%02d", c%100)
}
