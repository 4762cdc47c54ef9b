package extract

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The portable sync pass (the one used where syncfs does not exist) runs here too, on a real tree.
func TestSyncFilesAndFolders(t *testing.T) {
	dir := t.TempDir()
	tr, err := newTree(dir)
	require.NoError(t, err)
	defer tr.close()
	m := newMeter(Limits{}, nil)
	for _, name := range []string{"a/b/c.txt", "a/d.txt", "e.txt"} {
		require.NoError(t, tr.prepareFile(name, name))
		require.NoError(t, tr.writeFile(context.Background(), m, name, name, 0o644, strings.NewReader("content of "+name)))
	}
	// e.txt is replaced by a link after it was written: the pass must skip it, not follow it.
	require.NoError(t, tr.symlink("e.txt", "a/d.txt", "e.txt"))

	require.NoError(t, syncFiles(context.Background(), tr, 3))
	require.NoError(t, syncFolders(tr))
	require.NoError(t, syncTree(context.Background(), tr, 2))
	got, err := os.ReadFile(filepath.Join(dir, "e.txt"))
	require.NoError(t, err)
	assert.Equal(t, "content of a/d.txt", string(got))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, syncFiles(ctx, tr, 2), context.Canceled)
}
