package server

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

var (
	benchProducts = flag.Int("market.products", 10_000, "products entitled to the tenant in BenchmarkMarketLoad")
	benchOrders   = flag.Int("market.orders", 100_000, "orders of the tenant in BenchmarkMarketLoad")
	benchRate     = flag.Int("market.rate", 200, "requests per second, open loop, per endpoint in BenchmarkMarketLoad")
	benchDuration = flag.Duration("market.duration", 10*time.Second, "how long each endpoint is loaded in BenchmarkMarketLoad")
)

// BenchmarkMarketLoad seeds a marketplace with -market.products products and -market.orders
// orders, then sends GET requests at a fixed rate (open loop: each request starts at its
// scheduled time whether or not earlier ones finished, and its latency counts from that time)
// and reports the latency percentiles per endpoint. scripts/bench/market.sh runs it.
func BenchmarkMarketLoad(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	db, err := Open(ctx, filepath.Join(dir, "market.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := Seed(ctx, db, SeedOptions{DataDir: dir, PasswordIterations: 1000, Logger: logger}); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if err := SeedLoad(ctx, db, *benchProducts, *benchOrders, time.Now()); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d products and %d orders in %s", *benchProducts, *benchOrders, time.Since(start).Round(time.Millisecond))
	srv, err := New(db, Options{DataDir: dir, Logger: logger})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	ts := httptest.NewServer(srv)
	defer ts.Close()
	token := benchToken(b, srv)

	// A cursor deep into the orders, so that late pages are measured too.
	deep := ts.URL + "/v1/orders?limit=50"
	var page api.Page[api.Order]
	for range 100 {
		if err := getJSON(ts.Client(), deep, token, &page); err != nil {
			b.Fatal(err)
		}
		deep = ts.URL + "/v1/orders?limit=50&cursor=" + page.NextCursor
	}
	endpoints := []struct{ name, url string }{
		{"entitlements", ts.URL + "/v1/entitlements?limit=50"},
		{"orders", ts.URL + "/v1/orders?limit=50"},
		{"orders_filtered", ts.URL + "/v1/orders?limit=50&kind=hardware&state=delivered"},
		{"orders_page_100", deep},
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}, Timeout: 30 * time.Second}
	b.ResetTimer()
	for _, ep := range endpoints {
		lat, failed := openLoop(client, ep.url, token, *benchRate, *benchDuration)
		slices.Sort(lat)
		p := func(q float64) float64 {
			if len(lat) == 0 {
				return 0
			}
			return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))].Microseconds()) / 1000
		}
		b.ReportMetric(p(0.50), ep.name+"-p50-ms")
		b.ReportMetric(p(0.99), ep.name+"-p99-ms")
		b.ReportMetric(p(1), ep.name+"-max-ms")
		b.Logf("%-16s %d req at %d/s: p50 %.2f ms, p99 %.2f ms, max %.2f ms, %d failed",
			ep.name, len(lat)+failed, *benchRate, p(0.5), p(0.99), p(1), failed)
		if failed > 0 {
			b.Errorf("%s: %d requests failed", ep.name, failed)
		}
	}
}

// openLoop sends GET url at rate per second for d and returns the latencies of the successes.
func openLoop(client *http.Client, url, token string, rate int, d time.Duration) ([]time.Duration, int) {
	n := int(d.Seconds() * float64(rate))
	interval := time.Second / time.Duration(rate)
	lat := make([]time.Duration, n)
	ok := make([]bool, n)
	var wg sync.WaitGroup
	begin := time.Now()
	for i := range n {
		due := begin.Add(time.Duration(i) * interval)
		time.Sleep(time.Until(due))
		wg.Add(1)
		go func() {
			defer wg.Done()
			var page api.Page[map[string]any]
			if getJSON(client, url, token, &page) == nil {
				lat[i], ok[i] = time.Since(due), true
			}
		}()
	}
	wg.Wait()
	var out []time.Duration
	for i := range n {
		if ok[i] {
			out = append(out, lat[i])
		}
	}
	return out, n - len(out)
}

func getJSON(client *http.Client, url, token string, v any) error {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// benchToken issues an access token for the demo engineer without the browser flow.
func benchToken(b *testing.B, s *Server) string {
	var tok api.Token
	err := s.db.Tx(context.Background(), func(tx *sql.Tx) error {
		var userID, tenantID string
		if err := tx.QueryRow(`SELECT id, tenant_id FROM users WHERE username = ?`, DemoEngineer).Scan(&userID, &tenantID); err != nil {
			return err
		}
		var err error
		tok, err = s.issueTokens(context.Background(), tx, userID, tenantID, api.ClientID, newID("fam"))
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return tok.AccessToken
}
