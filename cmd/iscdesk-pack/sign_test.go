package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/installer/manifest"
)

func TestTicketPlatform(t *testing.T) {
	withPlatforms := func(keys ...string) *manifest.Manifest {
		m := &manifest.Manifest{Platforms: map[string]*manifest.Platform{}}
		for _, k := range keys {
			m.Platforms[k] = &manifest.Platform{Key: k}
		}
		return m
	}
	cases := []struct {
		name     string
		m        *manifest.Manifest
		flag     string
		want     string
		errorMsg string
	}{
		{"only platform is the default", withPlatforms("linux"), "", "linux", ""},
		{"several need the flag", withPlatforms("linux", "darwin"), "", "", "the platforms darwin, linux; choose"},
		{"exact os", withPlatforms("linux", "darwin"), "darwin", "darwin", ""},
		{"arch under an os entry", withPlatforms("linux"), "linux/arm64", "linux/arm64", ""},
		{"exact os/arch", withPlatforms("windows/amd64"), "windows/amd64", "windows/amd64", ""},
		{"os where only one arch is packaged", withPlatforms("windows/amd64"), "windows", "", "no entry for it (it has windows/amd64)"},
		{"other os", withPlatforms("linux"), "windows", "", "no entry"},
		{"other arch", withPlatforms("linux/amd64"), "linux/arm64", "", "no entry"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ticketPlatform(c.m, c.flag)
			if c.errorMsg != "" {
				require.ErrorContains(t, err, c.errorMsg)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
		})
	}
}
