package localapi

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/agent/apitype"
)

// BenchmarkSoftware1000 measures GET /v1/software with 1,000 installed items over the unix
// socket, with p50 and p99 latency per request.
func BenchmarkSoftware1000(b *testing.B) {
	ts := startServer(b, Policy{})
	sw := make([]apitype.Software, 1000)
	for i := range sw {
		sw[i] = apitype.Software{
			ID: fmt.Sprintf("product-%04d", i), Name: fmt.Sprintf("Product %d", i), Publisher: "ACME Industrial",
			Version: "2024.2.1", Detected: true, DetectedVersion: "2024.2.1", InstallDir: fmt.Sprintf("/opt/iscdesk/product-%04d", i),
			InstalledAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		}
	}
	ts.b.SetSoftware(sw)
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		resp, err := ts.hc.Get("http://local/v1/software")
		require.NoError(b, err)
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		require.NoError(b, err)
		lat = append(lat, time.Since(start))
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("GET /v1/software: %s", resp.Status)
		}
		b.SetBytes(n)
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) }
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
}
