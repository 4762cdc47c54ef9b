package main

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/iscdesk/iscdesk/marketplace/api"
	mclient "github.com/iscdesk/iscdesk/marketplace/client"
)

func (g *globals) newDeliveriesCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "deliveries",
		Short: "List your organisation's cloud image and hardware deliveries",
		Args:  usageArgs(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	var billing, imageState, hwState string
	images := &cobra.Command{
		Use:   "images [--billing pay_per_use|monthly|yearly] [--state S]",
		Short: "List the cloud images: billing (pay per use, bound to a server; monthly; yearly), state, paid period",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			if billing != "" {
				if err := oneOf("--billing", billing, api.BillingPayPerUse, api.BillingMonthly, api.BillingYearly); err != nil {
					return err
				}
				q.Set("billing_mode", billing)
			}
			if imageState != "" {
				q.Set("state", imageState)
			}
			items, err := mclient.Collect(g.marketClient().ImageDeliveries(cmd.Context(), mclient.ListOptions{Filter: q}))
			if err != nil {
				return err
			}
			return g.marketPrinter().Images(items)
		},
	}
	images.Flags().StringVar(&billing, "billing", "", "only images billed this way")
	images.Flags().StringVar(&imageState, "state", "", "only images in this state: provisioning, active, expired, released")
	hardware := &cobra.Command{
		Use:   "hardware [--state S]",
		Short: "List the hardware: shipping state, tracking, and any refund or return request",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			if hwState != "" {
				q.Set("state", hwState)
			}
			items, err := mclient.Collect(g.marketClient().HardwareDeliveries(cmd.Context(), mclient.ListOptions{Filter: q}))
			if err != nil {
				return err
			}
			return g.marketPrinter().HardwareList(items)
		},
	}
	hardware.Flags().StringVar(&hwState, "state", "", "only hardware in this state: pending, shipped, in_transit, delivered, returned, refunded")
	cmd.AddCommand(images, hardware)
	return cmd
}

func (g *globals) newHardwareCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "hardware",
		Short: "Show a hardware delivery, or ask to unsubscribe it (refund or return)",
		Args:  usageArgs(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show one hardware delivery with its latest unsubscribe request",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			h, err := g.marketClient().HardwareDelivery(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return g.marketPrinter().Hardware(h)
		},
	}
	var typ, amount, reason, tracking string
	unsub := &cobra.Command{
		Use:   "unsubscribe ID --type not-received|received --amount A --reason R [--return-tracking T]",
		Short: "Ask for a refund (not received) or a return (received, with its tracking number); the merchant reviews it",
		Long: "not-received asks for a refund of goods that never arrived; received returns them and needs\n" +
			"--return-tracking. The amount is in units of the order's currency (120 or 120.50), more than 0\n" +
			"and at most what was paid. The marketplace's refusal, if any, is printed as it gives it.",
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := api.UnsubscribeRequest{Reason: strings.TrimSpace(reason), ReturnTracking: tracking}
			switch typ {
			case "not-received", api.UnsubscribeNotReceived:
				req.Type = api.UnsubscribeNotReceived
			case api.UnsubscribeReceived:
				req.Type = api.UnsubscribeReceived
				if tracking == "" {
					return errUsage("hardware unsubscribe: --type received returns the goods; give --return-tracking")
				}
			default:
				return errUsage("hardware unsubscribe: --type %q: give not-received (a refund) or received (a return)", typ)
			}
			if req.Reason == "" {
				return errUsage("hardware unsubscribe: give --reason; the merchant reads it")
			}
			cents, err := parseAmount(amount)
			if err != nil {
				return err
			}
			req.AmountCents = cents
			h, err := g.marketClient().Unsubscribe(cmd.Context(), args[0], req)
			if err != nil {
				return err
			}
			return g.marketPrinter().Hardware(h)
		},
	}
	unsub.Flags().StringVar(&typ, "type", "", "not-received (refund) or received (return)")
	unsub.Flags().StringVar(&amount, "amount", "", "the amount to refund, in units of the currency (120.50)")
	unsub.Flags().StringVar(&reason, "reason", "", "why, for the merchant")
	unsub.Flags().StringVar(&tracking, "return-tracking", "", "the tracking number of the return (with --type received)")
	cmd.AddCommand(show, unsub)
	return cmd
}

// parseAmount reads "120", "120.5" or "120.50" as cents; it must be more than 0.
func parseAmount(s string) (int64, error) {
	bad := errUsage("--amount %q: give an amount such as 120 or 120.50, more than 0", s)
	whole, frac, hasFrac := strings.Cut(strings.TrimSpace(s), ".")
	if whole == "" || (hasFrac && (frac == "" || len(frac) > 2)) {
		return 0, bad
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w < 0 || w > 1<<40 {
		return 0, bad
	}
	cents := w * 100
	if hasFrac {
		if len(frac) == 1 {
			frac += "0"
		}
		f, err := strconv.ParseInt(frac, 10, 64)
		if err != nil || f < 0 {
			return 0, bad
		}
		cents += f
	}
	if cents <= 0 {
		return 0, bad
	}
	return cents, nil
}
