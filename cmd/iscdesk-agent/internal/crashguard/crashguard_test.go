package crashguard

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newGuard(t *testing.T) (*Guard, *clock) {
	c := &clock{t: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
	g := New(filepath.Join(t.TempDir(), FileName))
	g.Now = c.now
	return g, c
}

func TestGuard(t *testing.T) {
	tests := []struct {
		name string
		// gaps between unclean starts before the one that is checked
		gaps    []time.Duration
		refused bool
	}{
		{"first start", nil, false},
		{"four crashes", []time.Duration{0, time.Minute, time.Minute, time.Minute}, false},
		{"five crashes in ten minutes", []time.Duration{0, time.Minute, time.Minute, time.Minute, time.Minute}, true},
		{"five crashes spread out", []time.Duration{0, 3 * time.Minute, 3 * time.Minute, 3 * time.Minute, 3 * time.Minute}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, c := newGuard(t)
			for _, gap := range tt.gaps {
				c.t = c.t.Add(gap)
				_, err := g.Start() // and then it "crashes": no Clear
				require.NoError(t, err)
			}
			c.t = c.t.Add(time.Minute)
			n, err := g.Start()
			if tt.refused {
				require.ErrorIs(t, err, ErrTooManyCrashes)
				assert.ErrorContains(t, err, "5 times in 10 minutes")
				assert.Equal(t, 5, n)
				return
			}
			require.NoError(t, err)
			assert.Less(t, n, 5)
		})
	}
}

func TestClearEndsTheCount(t *testing.T) {
	g, c := newGuard(t)
	for range 4 {
		_, err := g.Start()
		require.NoError(t, err)
	}
	require.NoError(t, g.Clear())
	require.NoError(t, g.Clear(), "clearing twice is fine")
	for range 4 {
		c.t = c.t.Add(time.Second)
		_, err := g.Start()
		require.NoError(t, err)
	}
	_, err := g.Start()
	require.NoError(t, err, "four after the clear, one more is the fifth recorded: still allowed")
	_, err = g.Start()
	require.ErrorIs(t, err, ErrTooManyCrashes)
}

func TestRefusalDoesNotCount(t *testing.T) {
	g, c := newGuard(t)
	for range 5 {
		_, err := g.Start()
		require.NoError(t, err)
	}
	for range 3 {
		_, err := g.Start()
		require.ErrorIs(t, err, ErrTooManyCrashes)
	}
	// Ten minutes after the first crashes, the agent may try again.
	c.t = c.t.Add(DefaultWindow)
	n, err := g.Start()
	require.NoError(t, err)
	assert.Zero(t, n)
}

func TestBadFile(t *testing.T) {
	g, _ := newGuard(t)
	require.NoError(t, os.WriteFile(g.Path, []byte(`{"starts": [`), 0o600))
	n, err := g.Start()
	require.NoError(t, err, "a cut-off file starts the count afresh")
	assert.Zero(t, n)

	dir := t.TempDir()
	g.Path = filepath.Join(dir, "missing", FileName)
	_, err = g.Start()
	require.ErrorContains(t, err, g.Path)
}

func TestCancelForgetsOnlyThisStart(t *testing.T) {
	g, c := newGuard(t)
	for range 4 {
		c.t = c.t.Add(time.Second)
		_, err := g.Start()
		require.NoError(t, err)
	}
	// The fifth start fails before the agent runs, again and again: not counted.
	for range 3 {
		c.t = c.t.Add(time.Second)
		n, err := g.Start()
		require.NoError(t, err)
		assert.Equal(t, 4, n)
		require.NoError(t, g.Cancel())
	}
	require.NoError(t, g.Cancel(), "cancelling twice is fine")
	_, err := g.Start()
	require.NoError(t, err)
	_, err = g.Start()
	require.ErrorIs(t, err, ErrTooManyCrashes, "the four crashes before are still counted")
}
