package gui

import (
	"bytes"
	"encoding/csv"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

func TestWriteOrdersCSV(t *testing.T) {
	created := time.Date(2026, 3, 1, 9, 30, 0, 0, time.FixedZone("CET", 3600))
	orders := []api.Order{
		{ID: "ord_1", Kind: api.OrderSoftware, State: api.StatePaid, Product: "cadpro", Title: "CAD Pro, 5 seats",
			AmountCents: 129900, Currency: "EUR", UserID: "usr_1", CreatedAt: created, UpdatedAt: created.Add(time.Hour)},
		{ID: "ord_2", Kind: api.OrderHardware, State: api.StateRefunding, Title: `=HYPERLINK("http://x")`,
			AmountCents: 5, Currency: "USD", UserID: "usr_2", CreatedAt: created},
		{ID: "ord_3", Kind: api.OrderLicense, State: api.StateDelivered, Title: "Line one\nline \"two\"", AmountCents: 0, Currency: "EUR"},
	}
	var buf bytes.Buffer
	require.NoError(t, WriteOrdersCSV(&buf, orders))

	rows, err := csv.NewReader(&buf).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 4)
	assert.Equal(t, ordersCSVHeader, rows[0])
	assert.Equal(t, []string{"ord_1", "2026-03-01T08:30:00Z", "software", "paid", "cadpro", "CAD Pro, 5 seats", "1299.00", "EUR", "usr_1", "2026-03-01T09:30:00Z"}, rows[1])
	assert.Equal(t, `'=HYPERLINK("http://x")`, rows[2][5], "a formula is shown, not run")
	assert.Equal(t, "0.05", rows[2][6])
	assert.Equal(t, "", rows[2][9], "no time, no cell")
	assert.Equal(t, "Line one\nline \"two\"", rows[3][5], "quotes and newlines survive")
	assert.Equal(t, "0.00", rows[3][6])
}

func TestWriteOrdersCSVEmpty(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteOrdersCSV(&buf, nil))
	rows, err := csv.NewReader(&buf).ReadAll()
	require.NoError(t, err)
	assert.Equal(t, [][]string{ordersCSVHeader}, rows)
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteOrdersCSVReportsWriteErrors(t *testing.T) {
	err := WriteOrdersCSV(failingWriter{}, []api.Order{{ID: "ord_1"}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "disk full")
}

func TestFilterOrders(t *testing.T) {
	orders := []api.Order{
		{ID: "ord_a", Kind: api.OrderSoftware, State: api.StatePaid, Title: "CAD Pro", Product: "cadpro"},
		{ID: "ord_b", Kind: api.OrderHardware, State: api.StateDelivered, Title: "Edge Gateway EG-200"},
		{ID: "ord_c", Kind: api.OrderSoftware, State: api.StateDelivered, Title: "PLC Studio", Product: "plcstudio"},
	}
	ids := func(os []api.Order) []string {
		out := []string{}
		for _, o := range os {
			out = append(out, o.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name, kind, state, query string
		want                     []string
	}{
		{"everything", "", "", "", []string{"ord_a", "ord_b", "ord_c"}},
		{"by kind", api.OrderSoftware, "", "", []string{"ord_a", "ord_c"}},
		{"by state", "", api.StateDelivered, "", []string{"ord_b", "ord_c"}},
		{"kind and state", api.OrderSoftware, api.StateDelivered, "", []string{"ord_c"}},
		{"search ignores case", "", "", "gateway", []string{"ord_b"}},
		{"search by product and id", "", "", "PLCSTUDIO ord_c", []string{"ord_c"}},
		{"every word must match", "", "", "cad studio", []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, ids(filterOrders(orders, tc.kind, tc.state, tc.query)))
		})
	}
}
