package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	getter "github.com/hashicorp/go-getter/v2"
)

// source streams a file from one kind of URL.
type source interface {
	// open starts reading u at byte off, sending validator (when set) so that the server answers
	// from zero if the file changed. The body says where it really starts and the file's validator.
	open(ctx context.Context, u string, off int64, validator string, size int64) (*body, error)
}

// wholeSource fetches the whole file into a path by itself (go-getter); it cannot resume or stream.
type wholeSource interface {
	fetchTo(ctx context.Context, u, path string) error
}

// body is an open response.
type body struct {
	io.ReadCloser
	start     int64  // offset of the first byte the reader yields
	validator string // ETag or Last-Modified (http), size and mtime (file)
}

func (d *download) sourceFor(u string) source {
	scheme := ""
	if pu, err := url.Parse(u); err == nil {
		scheme = strings.ToLower(pu.Scheme)
	}
	switch scheme {
	case "http", "https":
		return &httpSource{client: d.f.client()}
	case "file":
		return fileSource{}
	case "s3": // s3://bucket/key and go-getter's s3::https://… alike
		return newS3Source(d.f.client(), d.f.env())
	default:
		return &getterSource{getters: d.f.getters()}
	}
}

// fileSource reads file:// URLs directly, so that they resume and hash as they stream like http.
type fileSource struct{}

func (fileSource) open(ctx context.Context, u string, off int64, _ string, size int64) (*body, error) {
	path, err := filePath(u)
	if err != nil {
		return nil, &permanent{err}
	}
	file, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &permanent{fmt.Errorf("%w at %s (no such file)", ErrNotFound, u)}
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	fi, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		file.Close()
		return nil, &permanent{fmt.Errorf("%s is not a regular file", path)}
	}
	if fi.Size() != size {
		file.Close()
		return nil, &permanent{fmt.Errorf("%w: %s has %d bytes but the ticket says %d", ErrHashMismatch, path, fi.Size(), size)}
	}
	if _, err := file.Seek(off, io.SeekStart); err != nil {
		file.Close()
		return nil, fmt.Errorf("seeking to byte %d of %s: %w", off, path, err)
	}
	return &body{
		ReadCloser: ctxReader{ctx, file},
		start:      off,
		validator:  fmt.Sprintf("%d-%d", fi.Size(), fi.ModTime().UnixNano()),
	}, nil
}

// filePath turns file:///C:/x or file:///x into a local path.
func filePath(u string) (string, error) {
	pu, err := url.Parse(u)
	if err != nil {
		return "", fmt.Errorf("%q is not a URL: %w", u, err)
	}
	if pu.Host != "" && pu.Host != "localhost" {
		return "", fmt.Errorf("%s names host %q: file:// URLs must be local (file:///path)", u, pu.Host)
	}
	p := pu.Path
	if runtime.GOOS == "windows" && len(p) > 2 && p[0] == '/' && p[2] == ':' {
		p = p[1:]
	}
	return filepath.FromSlash(p), nil
}

// ctxReader makes a local read stop when ctx ends.
type ctxReader struct {
	ctx context.Context
	io.ReadCloser
}

func (r ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.ReadCloser.Read(p)
}

// getterSource fetches the remaining schemes through go-getter, without decompressing anything.
type getterSource struct{ getters []getter.Getter }

func (g *getterSource) open(context.Context, string, int64, string, int64) (*body, error) {
	return nil, errors.New("go-getter sources do not stream") // never called: download uses fetchTo
}

func (g *getterSource) fetchTo(ctx context.Context, u, path string) error {
	c := &getter.Client{
		Getters:         g.getters,
		Decompressors:   map[string]getter.Decompressor{}, // the package is stored as it was signed
		DisableSymlinks: true,
	}
	_, err := c.Get(ctx, &getter.Request{Src: u, Dst: path, GetMode: getter.ModeFile, Copy: true})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("downloading %s with go-getter: %w", redact(u), err)
	}
	return nil
}

// getters are go-getter's defaults minus http and file, which this package handles itself.
func (f *Fetcher) getters() []getter.Getter {
	if f.Getters != nil {
		return f.Getters
	}
	var gs []getter.Getter
	for _, g := range getter.Getters {
		switch g.(type) {
		case *getter.HttpGetter, *getter.FileGetter:
			continue
		}
		gs = append(gs, g)
	}
	return gs
}
