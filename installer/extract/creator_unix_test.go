//go:build unix

package extract

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Folders beyond the descriptor budget still work, through os.Root, and files land in the right place.
func TestFDCreatorBeyondBudget(t *testing.T) {
	dir := t.TempDir()
	root, err := os.OpenRoot(dir)
	require.NoError(t, err)
	defer root.Close()
	c, err := newCreator(dir, root)
	require.NoError(t, err)
	fc := c.(*fdCreator)
	fc.maxDirs = 2 // the staging folder and one more
	for _, d := range []string{"a", "a/b", "a/b/c", "z"} {
		require.NoError(t, c.mkdir(d), d)
	}
	assert.Len(t, fc.dirs, 2)
	for _, f := range []string{"a/1", "a/b/2", "a/b/c/3", "z/4"} {
		w, err := c.create(f, 0o644)
		require.NoError(t, err, f)
		_, err = io.WriteString(w, f)
		require.NoError(t, err)
		require.NoError(t, w.Close())
		got, err := os.ReadFile(filepath.Join(dir, f))
		require.NoError(t, err)
		assert.Equal(t, f, string(got))
	}
	require.NoError(t, c.close())
	assert.Empty(t, fc.dirs)
}
