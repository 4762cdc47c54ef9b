package fetch

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	getter "github.com/hashicorp/go-getter/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeGetter serves fixed bytes for fake:// URLs through go-getter, as an s3 or smb getter would.
type fakeGetter struct {
	data  []byte
	calls int
}

func (g *fakeGetter) Get(context.Context, *getter.Request) error {
	return errors.New("fake getter: folders are not supported")
}

func (g *fakeGetter) GetFile(_ context.Context, req *getter.Request) error {
	g.calls++
	return os.WriteFile(req.Dst, g.data, 0o600)
}

func (g *fakeGetter) Mode(context.Context, *url.URL) (getter.Mode, error) {
	return getter.ModeFile, nil
}

func (g *fakeGetter) Detect(req *getter.Request) (bool, error) {
	return strings.HasPrefix(req.Src, "fake://"), nil
}

func TestGoGetterSource(t *testing.T) {
	const size = 1<<20 + 7
	_, c := testFile(21, size)
	good := make([]byte, size)
	_, err := c.ReadAt(good, 0)
	require.NoError(t, err)
	bad := append([]byte(nil), good...)
	bad[size/2] ^= 1

	tests := []struct {
		name    string
		url     string
		data    []byte
		wantErr error
	}{
		{"right bytes", "fake://bucket/p.pkg", good, nil},
		// go-getter would unpack a .tar.gz; the package must be kept as it was signed.
		{"archive names are not unpacked", "fake://bucket/p.tar.gz", good, nil},
		{"wrong bytes", "fake://bucket/p.pkg", bad, ErrHashMismatch},
		{"too many bytes", "fake://bucket/p.pkg", append(good, 0), ErrHashMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := &fakeGetter{data: tc.data}
			f := newFetcher(t)
			f.Getters = []getter.Getter{g}
			r := Request{URLs: []string{tc.url}, Size: size, SHA256: c.sha256()}
			path, err := f.Fetch(t.Context(), r)
			assert.Equal(t, 1, g.calls)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				assert.Contains(t, err.Error(), tc.url)
				requireNoPartial(t, f, r.SHA256)
				return
			}
			require.NoError(t, err)
			requireVerified(t, path, c)
		})
	}
}

func TestDefaultGettersLeaveHTTPAndFileToUs(t *testing.T) {
	gs := (&Fetcher{}).getters()
	require.NotEmpty(t, gs)
	for _, g := range gs {
		switch g.(type) {
		case *getter.HttpGetter, *getter.FileGetter:
			t.Errorf("default getters include %T, which this package handles itself", g)
		}
	}
}

func TestFetchFailsOnABadCacheDir(t *testing.T) {
	blocker := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(blocker, nil, 0o600))
	f := &Fetcher{CacheDir: filepath.Join(blocker, "cache")}
	_, err := f.Fetch(t.Context(), Request{URLs: []string{"http://127.0.0.1:1/"}, Size: 1, SHA256: content{size: 1}.sha256()})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "creating the download cache")
}
