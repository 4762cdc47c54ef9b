package gui

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

// ordersCSVHeader is the first row of an orders export.
var ordersCSVHeader = []string{"order_id", "created_at", "kind", "state", "product", "title", "amount", "currency", "user_id", "updated_at"}

// WriteOrdersCSV writes orders as CSV (RFC 4180, a header row, times in UTC RFC 3339, amounts
// with two decimals and no grouping) for a spreadsheet or an accounting import.
//
// A text cell that starts with = + - @ (or a tab or carriage return) is prefixed with ' so
// that a spreadsheet shows it rather than runs it as a formula.
func WriteOrdersCSV(w io.Writer, orders []api.Order) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(ordersCSVHeader); err != nil {
		return fmt.Errorf("writing the orders CSV: %w", err)
	}
	for _, o := range orders {
		row := []string{
			safeCell(o.ID), csvTime(o.CreatedAt), safeCell(o.Kind), safeCell(o.State), safeCell(o.Product),
			safeCell(o.Title), csvAmount(o.AmountCents), safeCell(o.Currency), safeCell(o.UserID), csvTime(o.UpdatedAt),
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("writing order %s to the CSV: %w", o.ID, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("writing the orders CSV: %w", err)
	}
	return nil
}

// safeCell defuses a cell that a spreadsheet would take for a formula (CSV injection).
func safeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func csvAmount(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d.%02d", sign, cents/100, cents%100)
}
