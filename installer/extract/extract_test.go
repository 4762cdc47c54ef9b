package extract

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var allFormats = []Format{FormatTar, FormatTarGz, FormatTarZst, FormatZip}

func TestArchiveGoodTree(t *testing.T) {
	entries := []ent{
		dir("./"),
		file("package.yaml", "id: demo\n"),
		exe("bin/install.sh", "#!/bin/sh\necho ok\n"),
		file("payload/a/b/c/deep.txt", strings.Repeat("deep ", 1000)),
		dir("payload/empty/"),
		symlink("payload/current", "a/b"),
		symlink("bin/tool", "../payload/a/b/c/deep.txt"),
	}
	for _, format := range allFormats {
		t.Run(format.String(), func(t *testing.T) {
			archive := makeArchive(t, format, entries)
			dst := filepath.Join(t.TempDir(), "staging", "demo")
			var calls, last, total int64
			st, err := Archive(context.Background(), archive, dst, Options{Progress: func(done, tot int64) {
				assert.GreaterOrEqual(t, done, last, "progress goes forward")
				calls, last, total = calls+1, done, tot
			}})
			require.NoError(t, err)
			assert.Equal(t, Stats{Files: 5, Bytes: int64(9 + 18 + 5000)}, st)

			fi, err := os.Stat(dst)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm(), "the staging folder is root-only")
			assert.NoDirExists(t, dst+".partial")

			body, err := os.ReadFile(filepath.Join(dst, "payload/a/b/c/deep.txt"))
			require.NoError(t, err)
			assert.Equal(t, strings.Repeat("deep ", 1000), string(body))

			fi, err = os.Stat(filepath.Join(dst, "bin/install.sh"))
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o755), fi.Mode(), "exec bit kept, setuid stripped")
			fi, err = os.Stat(filepath.Join(dst, "package.yaml"))
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o644), fi.Mode())
			assert.DirExists(t, filepath.Join(dst, "payload/empty"))

			target, err := os.Readlink(filepath.Join(dst, "payload/current"))
			require.NoError(t, err)
			assert.Equal(t, "a/b", target)
			body, err = os.ReadFile(filepath.Join(dst, "bin/tool"))
			require.NoError(t, err, "the link resolves inside the tree")
			assert.Equal(t, 5000, len(body))

			archiveSize := fileSize(t, archive)
			assert.Positive(t, calls)
			assert.Equal(t, archiveSize, last, "the last progress call is the whole archive")
			assert.Equal(t, archiveSize, total)
		})
	}
}

func TestTarHardLinkAndReplacement(t *testing.T) {
	archive := makeArchive(t, FormatTarZst, []ent{
		file("a.txt", "first"),
		hardlink("b.txt", "a.txt"),
		file("a.txt", "second"), // a later entry wins, and must not write through the hard link
	})
	dst := filepath.Join(t.TempDir(), "dst")
	_, err := Archive(context.Background(), archive, dst, Options{})
	require.NoError(t, err)
	for name, want := range map[string]string{"a.txt": "second", "b.txt": "first"} {
		got, err := os.ReadFile(filepath.Join(dst, name))
		require.NoError(t, err)
		assert.Equal(t, want, string(got), name)
	}
}

func TestRefusals(t *testing.T) {
	tests := []struct {
		name    string
		formats []Format
		entries []ent
		limits  Limits
		kind    error
		entry   string // the entry the error must name
		outside string // a path, relative to the test's temp folder, that must not appear
	}{
		{
			name: "zip slip", formats: allFormats, kind: ErrUnsafe,
			entries: []ent{file("ok.txt", "x"), file("../../escaped", "pwned")},
			entry:   "../../escaped", outside: "escaped",
		},
		{
			name: "dot-dot inside a path", formats: allFormats, kind: ErrUnsafe,
			entries: []ent{file("a/../../escaped", "pwned")}, entry: "a/../../escaped",
		},
		{
			name: "absolute path", formats: allFormats, kind: ErrUnsafe,
			entries: []ent{file("/tmp/escaped-abs", "pwned")}, entry: "/tmp/escaped-abs",
		},
		{
			name: "backslash traversal", formats: allFormats, kind: ErrUnsafe,
			entries: []ent{file(`..\..\escaped`, "pwned")}, entry: `..\..\escaped`,
		},
		{
			name: "drive letter", formats: allFormats, kind: ErrUnsafe,
			entries: []ent{file("C:/escaped", "pwned")}, entry: "C:/escaped",
		},
		{
			name: "symlink to an absolute path", formats: allFormats, kind: ErrUnsafe,
			entries: []ent{symlink("etc", "/etc")}, entry: "etc",
		},
		{
			name: "symlink escape then a file through it", formats: allFormats, kind: ErrUnsafe,
			entries: []ent{symlink("up", "../.."), file("up/escaped", "pwned")},
			entry:   "up", outside: "escaped",
		},
		{
			name: "file through a symlink that stays inside", formats: []Format{FormatTar}, kind: ErrUnsafe,
			entries: []ent{dir("real/"), symlink("link", "real"), file("link/x", "through")}, entry: "link/x",
		},
		{
			name: "symlink chain escape", formats: []Format{FormatTar, FormatZip}, kind: ErrUnsafe,
			// a/up -> ".." is the root; a/l -> "up/../x" therefore climbs one above it.
			entries: []ent{dir("a/"), symlink("a/up", ".."), symlink("a/l", "up/../escaped")}, entry: "a/l",
		},
		{
			name: "symlink made unsafe by a later one", formats: []Format{FormatTar}, kind: ErrUnsafe,
			entries: []ent{dir("x/"), symlink("x/a", "b/../.."), symlink("x/b", "..")}, entry: "x/a",
		},
		{
			name: "hard link escape", formats: []Format{FormatTar}, kind: ErrUnsafe,
			entries: []ent{hardlink("passwd", "../../../../etc/passwd")}, entry: "passwd",
		},
		{
			name: "hard link to an absolute path", formats: []Format{FormatTar}, kind: ErrUnsafe,
			entries: []ent{hardlink("passwd", "/etc/passwd")}, entry: "passwd",
		},
		{
			name: "hard link to a file not in the archive", formats: []Format{FormatTar}, kind: ErrUnsafe,
			entries: []ent{hardlink("x", "missing")}, entry: "x",
		},
		{
			name: "device file", formats: []Format{FormatTar, FormatZip}, kind: ErrUnsafe,
			entries: []ent{{name: "null", typ: tar.TypeChar, mode: 0o666}}, entry: "null",
		},
		{
			name: "fifo", formats: []Format{FormatTar, FormatZip}, kind: ErrUnsafe,
			entries: []ent{{name: "pipe", typ: tar.TypeFifo, mode: 0o666}}, entry: "pipe",
		},
		{
			name: "file replacing a folder", formats: allFormats, kind: ErrUnsafe,
			entries: []ent{file("a/b.txt", "x"), file("a", "x")}, entry: "a",
		},
		{
			name: "folder below a file", formats: allFormats, kind: ErrUnsafe,
			entries: []ent{file("a", "x"), file("a/b.txt", "x")}, entry: "a/b.txt",
		},
		{
			name: "duplicate zip entry", formats: []Format{FormatZip}, kind: ErrUnsafe,
			entries: []ent{file("a", "x"), file("a", "y")}, entry: "a",
		},
		{
			name: "too many files", formats: allFormats, kind: ErrLimit, limits: Limits{MaxFiles: 3},
			entries: []ent{file("1", ""), file("2", ""), file("3", ""), file("4", "")}, entry: "4",
		},
		{
			name: "too many bytes", formats: allFormats, kind: ErrLimit, limits: Limits{MaxBytes: 1500, MaxRatio: -1},
			entries: []ent{file("1", strings.Repeat("a", 1000)), file("2", strings.Repeat("b", 1000))},
		},
		{
			name: "name too long", formats: allFormats, kind: ErrLimit, limits: Limits{MaxNameLen: 20},
			entries: []ent{file(strings.Repeat("n", 21), "")}, entry: strings.Repeat("n", 21),
		},
	}
	for _, tt := range tests {
		for _, format := range tt.formats {
			t.Run(tt.name+"/"+format.String(), func(t *testing.T) {
				archive := makeArchive(t, format, tt.entries)
				base := t.TempDir()
				dst := filepath.Join(base, "a", "b", "dst")
				_, err := Archive(context.Background(), archive, dst, Options{Limits: tt.limits})
				require.Error(t, err)
				assert.ErrorIs(t, err, tt.kind)
				if tt.entry != "" {
					assert.Contains(t, err.Error(), strconv.Quote(tt.entry), "the error names the entry")
				}
				requireGone(t, dst)
				if tt.outside != "" {
					assert.NoFileExists(t, filepath.Join(base, tt.outside))
					assert.NoFileExists(t, filepath.Join(base, "a", tt.outside))
				}
			})
		}
	}
}

func TestCorruptArchive(t *testing.T) {
	good := makeArchive(t, FormatTarZst, []ent{file("a", strings.Repeat("x", 100000))})
	data, err := os.ReadFile(good)
	require.NoError(t, err)
	tests := map[string][]byte{
		"truncated":      data[:len(data)/2],
		"not an archive": []byte(strings.Repeat("hello", 100)),
		"empty":          nil,
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "bad")
			require.NoError(t, os.WriteFile(p, data, 0o644))
			dst := filepath.Join(t.TempDir(), "dst")
			_, err := Archive(context.Background(), p, dst, Options{})
			require.ErrorIs(t, err, ErrFormat)
			requireGone(t, dst)
		})
	}
}

func TestDestination(t *testing.T) {
	archive := makeArchive(t, FormatTar, []ent{file("a", "b")})

	t.Run("existing destination is refused", func(t *testing.T) {
		dst := t.TempDir()
		_, err := Archive(context.Background(), archive, dst, Options{})
		require.ErrorContains(t, err, "already exists")
	})
	t.Run("leftover partial folder is replaced", func(t *testing.T) {
		dst := filepath.Join(t.TempDir(), "dst")
		require.NoError(t, os.MkdirAll(dst+".partial/stale", 0o755))
		_, err := Archive(context.Background(), archive, dst, Options{Sync: true})
		require.NoError(t, err)
		assert.NoDirExists(t, filepath.Join(dst, "stale"))
		assert.FileExists(t, filepath.Join(dst, "a"))
		assert.NoDirExists(t, dst+".partial")
	})
}

func TestReaderStreams(t *testing.T) {
	entries := []ent{file("a/b", "hello"), exe("run.sh", "#!/bin/sh\n")}
	for _, format := range []Format{FormatTar, FormatTarGz, FormatTarZst} {
		for _, declared := range []Format{format, FormatAuto} {
			t.Run(format.String()+"/as "+declared.String(), func(t *testing.T) {
				pr, pw := io.Pipe()
				go func() {
					cw := compress(t, pw, format)
					writeTar(t, cw, entries)
					pw.CloseWithError(cw.Close())
				}()
				dst := filepath.Join(t.TempDir(), "dst")
				st, err := Reader(context.Background(), pr, declared, dst, Options{})
				require.NoError(t, err)
				assert.Equal(t, Stats{Files: 2, Bytes: 15}, st)
				got, err := os.ReadFile(filepath.Join(dst, "a/b"))
				require.NoError(t, err)
				assert.Equal(t, "hello", string(got))
			})
		}
	}
	t.Run("zip is refused", func(t *testing.T) {
		f, err := os.Open(makeArchive(t, FormatZip, entries))
		require.NoError(t, err)
		defer f.Close()
		dst := filepath.Join(t.TempDir(), "dst")
		_, err = Reader(context.Background(), f, FormatAuto, dst, Options{})
		require.ErrorIs(t, err, ErrFormat)
		require.ErrorContains(t, err, "extract.Archive")
		requireGone(t, dst)
	})
}

// endless is a tar stream of ever more 1 MiB files, written until the reader goes away.
func endless(t *testing.T, format Format) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		cw := compress(t, pw, format)
		tw := tar.NewWriter(cw)
		chunk := make([]byte, 1<<20)
		for i := 0; ; i++ {
			err := tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("d%02d/f%06d", i%26, i), Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(chunk))})
			if err == nil {
				_, err = tw.Write(chunk)
			}
			if err != nil {
				pw.CloseWithError(err)
				return
			}
		}
	}()
	t.Cleanup(func() { pr.CloseWithError(errors.New("test over")) })
	return pr
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dst := filepath.Join(t.TempDir(), "dst")
	// Cancel from inside the extraction, once it is under way.
	_, err := Reader(ctx, endless(t, FormatTar), FormatTar, dst, Options{Progress: func(done, _ int64) {
		if done > 8<<20 {
			cancel()
		}
	}})
	require.ErrorIs(t, err, context.Canceled)
	requireGone(t, dst)
}

func fileSize(t *testing.T, p string) int64 {
	t.Helper()
	fi, err := os.Stat(p)
	require.NoError(t, err)
	return fi.Size()
}
