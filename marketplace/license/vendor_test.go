package license

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const vendorSecret = "vendor-secret"

// vendorServer is a vendor's license endpoint: it checks every request's authToken, answers the
// first failFirst calls with 503, then with answer.
func vendorServer(t *testing.T, failFirst int32, status int, answer any) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if err := VerifyAuthToken(r.PostForm, vendorSecret, time.Now(), time.Minute); err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			_ = json.NewEncoder(w).Encode(VendorResponse{Status: "rejected", Reason: err.Error()})
			return
		}
		if r.PostForm.Get(ParamRequestID) != "key-1" || r.PostForm.Get(ParamFingerprint) != validRequest().Fingerprint.String() {
			http.Error(w, "unexpected parameters", http.StatusBadRequest)
			return
		}
		if n <= failFirst {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(answer)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func newTestVendor(t *testing.T, url, secret string, attempts int) *Vendor {
	t.Helper()
	v, err := NewVendor(VendorOptions{URL: url, Secret: secret, Attempts: attempts, Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond})
	require.NoError(t, err)
	return v
}

func TestVendorIssue(t *testing.T) {
	file := []byte("LICENSE\x00binary")
	tests := []struct {
		name         string
		failFirst    int32
		attempts     int
		secret       string
		status       int
		answer       any
		want         Result
		wantRejected bool
		wantErr      string
		wantCalls    int32
		wantFailures int64
	}{
		{
			name: "text at once", attempts: 3, secret: vendorSecret, status: 200,
			answer:    VendorResponse{Status: "issued", Kind: KindText, Content: "ACT-1234"},
			want:      NewResult(KindText, []byte("ACT-1234"), ""),
			wantCalls: 1,
		},
		{
			name: "file after two failures", failFirst: 2, attempts: 3, secret: vendorSecret, status: 200,
			answer:    VendorResponse{Status: "issued", Kind: KindFile, ContentBase64: base64.StdEncoding.EncodeToString(file), FileName: "cad.lic", SHA256: NewResult(KindFile, file, "").SHA256},
			want:      NewResult(KindFile, file, "cad.lic"),
			wantCalls: 3, wantFailures: 2,
		},
		{
			name: "vendor rejects", attempts: 3, secret: vendorSecret, status: 200,
			answer:       VendorResponse{Status: "rejected", Reason: "device quota used up"},
			wantRejected: true, wantErr: "device quota used up", wantCalls: 1,
		},
		{
			name: "wrong secret is a 401 refusal", attempts: 3, secret: "wrong", status: 200,
			answer:       VendorResponse{Status: "issued", Kind: KindText, Content: "x"},
			wantRejected: true, wantErr: "authToken does not match", wantCalls: 1,
		},
		{
			name: "gives up after the attempts", failFirst: 10, attempts: 3, secret: vendorSecret, status: 200,
			answer:  VendorResponse{Status: "issued", Kind: KindText, Content: "x"},
			wantErr: "failed 3 times", wantCalls: 3, wantFailures: 3,
		},
		{
			name: "damaged content is retried", attempts: 2, secret: vendorSecret, status: 200,
			answer:  VendorResponse{Status: "issued", Kind: KindText, Content: "x", SHA256: "00"},
			wantErr: "damaged", wantCalls: 2, wantFailures: 2,
		},
		{
			name: "path in file name", attempts: 1, secret: vendorSecret, status: 200,
			answer:  VendorResponse{Status: "issued", Kind: KindFile, ContentBase64: "eA==", FileName: "../x.lic"},
			wantErr: "not a plain file name", wantCalls: 1, wantFailures: 1,
		},
		{
			name: "unknown status", attempts: 1, secret: vendorSecret, status: 200,
			answer:  map[string]string{"status": "maybe"},
			wantErr: `status "maybe"`, wantCalls: 1, wantFailures: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, calls := vendorServer(t, tt.failFirst, tt.status, tt.answer)
			v := newTestVendor(t, srv.URL, tt.secret, tt.attempts)
			req := validRequest()
			req.IdempotencyKey = "key-1"
			res, err := v.Issue(context.Background(), req)
			assert.Equal(t, tt.wantCalls, calls.Load())
			assert.Equal(t, tt.wantFailures, v.Failures().Count("cadpro"))
			if tt.wantErr == "" {
				require.NoError(t, err)
				assert.Equal(t, tt.want, res)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Equal(t, tt.wantRejected, errors.Is(err, ErrRejected))
		})
	}
}

func TestVendorStopsWithContext(t *testing.T) {
	srv, _ := vendorServer(t, 1000, 200, nil)
	v, err := NewVendor(VendorOptions{URL: srv.URL, Secret: vendorSecret, Attempts: 100, Backoff: time.Hour})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		req := validRequest()
		req.IdempotencyKey = "key-1"
		_, err := v.Issue(ctx, req)
		done <- err
	}()
	// Cancel once the first failure was counted, i.e. while Issue waits out its hour of backoff.
	require.Eventually(t, func() bool { return v.Failures().Count("cadpro") == 1 }, 10*time.Second, 5*time.Millisecond)
	cancel()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.Canceled)
		assert.NotErrorIs(t, err, ErrRejected)
	case <-time.After(10 * time.Second):
		t.Fatal("Issue did not return after its context was cancelled")
	}
}

func TestNewVendorChecksOptions(t *testing.T) {
	tests := []struct {
		name    string
		opts    VendorOptions
		wantErr string
	}{
		{"no url", VendorOptions{Secret: "s"}, "http:// or https://"},
		{"ftp url", VendorOptions{URL: "ftp://x/y", Secret: "s"}, "http:// or https://"},
		{"no secret", VendorOptions{URL: "https://vendor.example/lic"}, "secret is empty"},
		{"negative attempts", VendorOptions{URL: "https://vendor.example/lic", Secret: "s", Attempts: -1}, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewVendor(tt.opts)
			assert.ErrorContains(t, err, tt.wantErr)
		})
	}
}

type fixedIssuer string

func (f fixedIssuer) Issue(context.Context, Request) (Result, error) {
	return NewResult(KindText, []byte(f), ""), nil
}

func TestByProduct(t *testing.T) {
	b := ByProduct{Default: fixedIssuer("default"), Products: map[string]Issuer{"cadpro": fixedIssuer("vendor")}}
	tests := []struct{ product, want string }{{"cadpro", "vendor"}, {"solver", "default"}}
	for _, tt := range tests {
		req := validRequest()
		req.Product = tt.product
		res, err := b.Issue(context.Background(), req)
		require.NoError(t, err)
		assert.Equal(t, tt.want, string(res.Content))
	}
	_, err := ByProduct{}.Issue(context.Background(), validRequest())
	require.ErrorIs(t, err, ErrRejected)
}

func TestFailureCounterSnapshot(t *testing.T) {
	c := NewFailureCounter()
	c.Add("a")
	c.Add("a")
	c.Add("b")
	snap := c.Snapshot()
	assert.Equal(t, map[string]int64{"a": 2, "b": 1}, snap)
	snap["a"] = 100
	assert.Equal(t, int64(2), c.Count("a"), "the snapshot is a copy")
}
