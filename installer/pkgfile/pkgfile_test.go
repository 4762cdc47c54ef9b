package pkgfile

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iscdesk/iscdesk/installer/extract"
	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const validManifest = `format: 1
id: demo-solver
name: Demo Solver
version: 2.1.0
publisher: ISCDesk Examples
platforms:
  linux:
    installer:
      type: script
      install: [sh, install.sh]
      uninstall: [sh, uninstall.sh]
    on_interrupt: continue
    detect:
      - file: "{{.InstallDir}}/bin/solver"
`

// writeTree creates files (name -> content; a trailing "/" makes a folder, "->target" a symlink,
// a leading "#!" an executable) under a fresh folder.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		switch {
		case strings.HasSuffix(name, "/"):
			require.NoError(t, os.MkdirAll(p, 0o700))
			continue
		case strings.HasPrefix(content, "->"):
			require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
			require.NoError(t, os.Symlink(strings.TrimPrefix(content, "->"), p))
			continue
		}
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		mode := os.FileMode(0o600)
		if strings.HasPrefix(content, "#!") {
			mode = 0o750
		}
		require.NoError(t, os.WriteFile(p, []byte(content), mode))
		require.NoError(t, os.Chmod(p, mode))
	}
	return dir
}

func goodTree() map[string]string {
	return map[string]string{
		"package.yaml":             validManifest,
		"install.sh":               "#!/bin/sh\ncp -r payload \"$1\"\n",
		"uninstall.sh":             "#!/bin/sh\nrm -rf \"$1\"\n",
		"payload/bin/solver":       "#!/bin/sh\necho solver 2.1.0\n",
		"payload/share/doc/README": strings.Repeat("read me\n", 500),
		"payload/share/empty/":     "",
		"payload/current":          "->share/doc",
		"payload/a-b":              "sorted before payload/a/",
		"payload/a/x":              "x",
	}
}

type tarEntry struct {
	Name     string
	Type     byte
	Mode     int64
	Size     int64
	Linkname string
	ModTime  time.Time
	Uid, Gid int
	Uname    string
	Gname    string
	Format   tar.Format
}

func listArchive(t *testing.T, data []byte) []tarEntry {
	t.Helper()
	zd, err := zstd.NewReader(bytes.NewReader(data))
	require.NoError(t, err)
	defer zd.Close()
	tr := tar.NewReader(zd)
	var out []tarEntry
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		require.NoError(t, err)
		out = append(out, tarEntry{h.Name, h.Typeflag, h.Mode, h.Size, h.Linkname, h.ModTime.UTC(), h.Uid, h.Gid, h.Uname, h.Gname, h.Format})
	}
}

func TestBuildIsReproducible(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "")
	src := writeTree(t, goodTree())
	var a, b bytes.Buffer
	infoA, err := Build(context.Background(), src, &a, BuildOptions{})
	require.NoError(t, err)

	// The same content, written in another order, with other times and owners' umask, builds the same bytes.
	src2 := writeTree(t, goodTree())
	require.NoError(t, os.Chtimes(filepath.Join(src2, "install.sh"), time.Now(), time.Now().Add(-time.Hour)))
	infoB, err := Build(context.Background(), src2, &b, BuildOptions{})
	require.NoError(t, err)

	assert.Equal(t, a.Bytes(), b.Bytes())
	assert.Equal(t, infoA, infoB)
	sum := sha256.Sum256(a.Bytes())
	assert.Equal(t, hex.EncodeToString(sum[:]), infoA.SHA256)
	assert.Equal(t, int64(a.Len()), infoA.Size)
	msum := sha256.Sum256([]byte(validManifest))
	assert.Equal(t, hex.EncodeToString(msum[:]), infoA.ManifestSHA256)
	assert.Equal(t, 7, infoA.Files)

	var payload int64
	for name, c := range goodTree() {
		if !strings.HasSuffix(name, "/") && !strings.HasPrefix(c, "->") {
			payload += int64(len(c))
		}
	}
	assert.Equal(t, payload, infoA.PayloadBytes)
}

func TestBuildLayout(t *testing.T) {
	src := writeTree(t, goodTree())
	var buf bytes.Buffer
	epoch := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	_, err := Build(context.Background(), src, &buf, BuildOptions{Epoch: epoch.Add(400 * time.Millisecond), Level: 19})
	require.NoError(t, err)

	entries := listArchive(t, buf.Bytes())
	var names []string
	for _, e := range entries {
		names = append(names, e.Name)
		assert.Equal(t, epoch, e.ModTime, e.Name)
		assert.Zero(t, e.Uid+e.Gid, e.Name)
		assert.Empty(t, e.Uname+e.Gname, e.Name)
		assert.Equal(t, tar.FormatUSTAR, e.Format, "no PAX records where USTAR will do: %s", e.Name)
	}
	assert.Equal(t, []string{
		"package.yaml",
		"install.sh",
		"payload/",
		"payload/a/", // paths sort without the folder's slash, so a folder comes right before its contents
		"payload/a-b",
		"payload/a/x",
		"payload/bin/",
		"payload/bin/solver",
		"payload/current",
		"payload/share/",
		"payload/share/doc/",
		"payload/share/doc/README",
		"payload/share/empty/",
		"uninstall.sh",
	}, names)

	modes := map[string]int64{}
	for _, e := range entries {
		modes[e.Name] = e.Mode
	}
	assert.Equal(t, int64(0o755), modes["install.sh"], "exec bit kept, normalised")
	assert.Equal(t, int64(0o644), modes["payload/a/x"])
	assert.Equal(t, int64(0o755), modes["payload/share/empty/"])
	assert.Equal(t, "share/doc", entries[8].Linkname)
}

func TestSourceDateEpoch(t *testing.T) {
	src := writeTree(t, goodTree())
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	var buf bytes.Buffer
	_, err := Build(context.Background(), src, &buf, BuildOptions{})
	require.NoError(t, err)
	assert.Equal(t, time.Unix(1700000000, 0).UTC(), listArchive(t, buf.Bytes())[0].ModTime)

	t.Setenv("SOURCE_DATE_EPOCH", "yesterday")
	_, err = Build(context.Background(), src, io.Discard, BuildOptions{})
	require.ErrorContains(t, err, "SOURCE_DATE_EPOCH")
}

func TestBuildRefusals(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(files map[string]string)
		setup func(t *testing.T, dir string)
		opts  BuildOptions
		want  string // the error must contain it; it names the path
	}{
		{name: "no manifest", edit: func(f map[string]string) { delete(f, "package.yaml") }, want: "has no package.yaml"},
		{name: "invalid manifest", edit: func(f map[string]string) { f["package.yaml"] = "format: 1\nid: Bad Id\n" }, want: "invalid package manifest"},
		{name: "manifest is a symlink", edit: func(f map[string]string) {
			f["real.yaml"] = validManifest
			f["package.yaml"] = "->real.yaml"
		}, want: "not a regular file"},
		{name: "absolute symlink", edit: func(f map[string]string) { f["payload/etc"] = "->/etc" }, want: "payload/etc is a symlink to the absolute path /etc"},
		{name: "escaping symlink", edit: func(f map[string]string) { f["payload/up"] = "->../../.." }, want: "payload/up is a symlink to ../../.., which leads outside"},
		{name: "escape through another symlink", edit: func(f map[string]string) {
			f["payload/a/top"] = "->../.."      // the package folder itself: fine
			f["payload/a/out"] = "->top/../etc" // one above it
		}, want: "payload/a/out is a symlink to top/../etc"},
		{name: "dangling symlink", edit: func(f map[string]string) { f["payload/gone"] = "->nothing" }, want: "payload/gone is a symlink to nothing, which does not exist"},
		{name: "backslash in a name", edit: func(f map[string]string) { f[`payload/a\b`] = "x" }, want: `payload/a\b: names may not contain`},
		{name: "case clash", edit: func(f map[string]string) { f["payload/README"] = "x"; f["payload/readme"] = "y" }, want: "differ only in case"},
		{name: "fifo", setup: func(t *testing.T, dir string) {
			require.NoError(t, mkfifo(filepath.Join(dir, "payload", "pipe")))
		}, want: "payload/pipe is a"},
		{name: "bad level", opts: BuildOptions{Level: 23}, want: "zstd level 23"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := goodTree()
			if tt.edit != nil {
				tt.edit(files)
			}
			src := writeTree(t, files)
			if tt.setup != nil {
				tt.setup(t, src)
			}
			_, err := Build(context.Background(), src, io.Discard, tt.opts)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestBuildFile(t *testing.T) {
	src := writeTree(t, goodTree())
	out := filepath.Join(t.TempDir(), FileName("demo-solver", "2.1.0"))
	info, err := BuildFile(context.Background(), src, out, BuildOptions{})
	require.NoError(t, err)
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	sum := sha256.Sum256(data)
	assert.Equal(t, hex.EncodeToString(sum[:]), info.SHA256)
	assert.Equal(t, "demo-solver-2.1.0.iscpkg", filepath.Base(out))

	t.Run("a failed build leaves the old file", func(t *testing.T) {
		require.NoError(t, os.Remove(filepath.Join(src, "package.yaml")))
		_, err := BuildFile(context.Background(), src, out, BuildOptions{})
		require.Error(t, err)
		again, err := os.ReadFile(out)
		require.NoError(t, err)
		assert.Equal(t, data, again)
		matches, err := filepath.Glob(out + ".tmp-*")
		require.NoError(t, err)
		assert.Empty(t, matches, "no temp file left")
	})
	t.Run("output inside the package folder", func(t *testing.T) {
		_, err := BuildFile(context.Background(), src, filepath.Join(src, "payload", "x.iscpkg"), BuildOptions{})
		require.ErrorContains(t, err, "inside the package folder")
	})
}

func TestReadManifest(t *testing.T) {
	src := writeTree(t, goodTree())
	var buf bytes.Buffer
	info, err := Build(context.Background(), src, &buf, BuildOptions{})
	require.NoError(t, err)
	data, sum, err := ReadManifest(bytes.NewReader(buf.Bytes()))
	require.NoError(t, err)
	assert.Equal(t, validManifest, string(data))
	assert.Equal(t, info.ManifestSHA256, sum)

	craft := func(t *testing.T, entries ...tar.Header) []byte {
		var out bytes.Buffer
		zw, err := zstd.NewWriter(&out)
		require.NoError(t, err)
		tw := tar.NewWriter(zw)
		for _, h := range entries {
			require.NoError(t, tw.WriteHeader(&h))
			_, err := tw.Write(make([]byte, h.Size))
			require.NoError(t, err)
		}
		require.NoError(t, tw.Close())
		require.NoError(t, zw.Close())
		return out.Bytes()
	}
	bad := map[string]struct {
		data []byte
		want string
	}{
		"not zstd":             {[]byte("PK\x03\x04 a zip"), "not an .iscpkg package"},
		"empty":                {nil, "not an .iscpkg package"},
		"manifest not first":   {craft(t, tar.Header{Name: "install.sh", Typeflag: tar.TypeReg, Size: 3}, tar.Header{Name: "package.yaml", Typeflag: tar.TypeReg, Size: 3}), `the first entry is "install.sh"`},
		"manifest is a folder": {craft(t, tar.Header{Name: "package.yaml", Typeflag: tar.TypeDir}), `the first entry is "package.yaml", not the file`},
		"manifest too big":     {craft(t, tar.Header{Name: "package.yaml", Typeflag: tar.TypeReg, Size: MaxManifestSize + 1}), "more than the 1048576 allowed"},
	}
	for name, tt := range bad {
		t.Run(name, func(t *testing.T) {
			_, _, err := ReadManifest(bytes.NewReader(tt.data))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// What Build writes, installer/extract unpacks into the same tree.
func TestBuildExtractRoundTrip(t *testing.T) {
	src := writeTree(t, goodTree())
	out := filepath.Join(t.TempDir(), "demo.iscpkg")
	_, err := BuildFile(context.Background(), src, out, BuildOptions{})
	require.NoError(t, err)
	dst := filepath.Join(t.TempDir(), "staged")
	_, err = extract.Archive(context.Background(), out, dst, extract.Options{})
	require.NoError(t, err)
	for name, content := range goodTree() {
		p := filepath.Join(dst, filepath.FromSlash(name))
		switch {
		case strings.HasSuffix(name, "/"):
			assert.DirExists(t, p)
		case strings.HasPrefix(content, "->"):
			target, err := os.Readlink(p)
			require.NoError(t, err)
			assert.Equal(t, strings.TrimPrefix(content, "->"), target)
		default:
			got, err := os.ReadFile(p)
			require.NoError(t, err)
			assert.Equal(t, content, string(got), name)
		}
	}
}
