package main

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/marketplace/client/fingerprint"
)

// --fingerprint auto is what the shared package computes, which is what the desktop app binds
// licenses to; a fingerprint given by hand is normalised as the marketplace does.
func TestDeviceFingerprint(t *testing.T) {
	ctx := context.Background()
	here, err := fingerprint.Compute(ctx)
	if errors.Is(err, fingerprint.ErrNoMAC) {
		t.Skip("this machine has no network adapter with a MAC address")
	}
	require.NoError(t, err)
	for _, tc := range []struct {
		flag, want string
		usage      bool
	}{
		{flag: "auto", want: here.String()},
		{flag: "", want: here.String()},
		{flag: "00-1A-2B-3C-4D-5E|WD-123|BRD-9|Intel i7", want: "00:1a:2b:3c:4d:5e|WD-123|BRD-9|Intel i7"},
		{flag: "aa|bb", usage: true},
		{flag: "00:1a:2b:3c:4d:5e|d|b|", usage: true},
	} {
		t.Run(tc.flag, func(t *testing.T) {
			got, err := deviceFingerprint(ctx, tc.flag)
			if tc.usage {
				var usage usageError
				require.ErrorAs(t, err, &usage)
				assert.Contains(t, err.Error(), "give auto, or MAC|disk|board|cpu")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}
