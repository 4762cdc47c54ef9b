package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseFlags(t *testing.T) {
	t.Setenv("ISCDESK_MARKET", "")
	t.Setenv("ISCDESK_TOKEN", "")
	t.Setenv("ISCDESK_SOCKET", "/run/test/agent.sock")
	for _, tc := range []struct {
		name    string
		args    []string
		want    flags
		wantErr string
	}{
		{name: "defaults", want: flags{market: defaultMarket, socket: "/run/test/agent.sock"}},
		{name: "all", args: []string{"--market", "https://m.example", "--socket", "/s", "--token", "tok", "--screenshot", "shots", "--demo-items", "5000"},
			want: flags{market: "https://m.example", socket: "/s", token: "tok", screenshot: "shots", demoItems: 5000}},
		{name: "bench", args: []string{"--bench-first-frame"}, want: flags{market: defaultMarket, socket: "/run/test/agent.sock", benchFirstFrame: true}},
		{name: "stray argument", args: []string{"install"}, wantErr: `unexpected arguments "install"`},
		{name: "bad number", args: []string{"--demo-items", "many"}, wantErr: "invalid value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseFlags(tc.args)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, *got)
		})
	}
}

func TestMarketFromEnvironment(t *testing.T) {
	t.Setenv("ISCDESK_MARKET", "http://10.0.0.5:8780")
	t.Setenv("ISCDESK_TOKEN", "from-env")
	got, err := parseFlags(nil)
	require.NoError(t, err)
	assert.Equal(t, "http://10.0.0.5:8780", got.market)
	assert.Equal(t, "from-env", got.token)
}
