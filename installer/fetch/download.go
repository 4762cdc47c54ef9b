package fetch

import (
	"context"
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"
)

// checkpointEvery is how many bytes may arrive between two checkpoints (fsync + state). It also
// bounds what a resume re-hashes from disk.
const checkpointEvery = 4 << 20

// download is one Fetch of one file: the partial file, the running hash and the checkpoint.
type download struct {
	f     *Fetcher
	cache *cache
	sha   string
	size  int64

	file     *os.File // the partial file, open while an attempt writes
	h        hash.Hash
	off      int64 // bytes in the partial file, all hashed into h
	st       state // as last saved
	prepared bool
}

// errRestart: the server's answer does not continue the partial file; it was truncated and the next
// attempt starts from zero.
var errRestart = errors.New("restarting the download from zero")

// errStalled is the cause of an attempt cancelled by the read timeout.
var errStalled = errors.New("stalled")

// permanent marks a failure that retrying the same mirror will not fix.
type permanent struct{ err error }

func (p *permanent) Error() string { return p.err.Error() }
func (p *permanent) Unwrap() error { return p.err }

// retryAfter carries the delay a server asked for (429, 503).
type retryAfter struct {
	err   error
	delay time.Duration
}

func (r *retryAfter) Error() string { return r.err.Error() }
func (r *retryAfter) Unwrap() error { return r.err }

// prepare restores the partial download from disk: the hash state at the checkpoint, plus the bytes
// written after it (at most checkpointEvery, re-read from the local file).
func (d *download) prepare() error {
	if d.prepared {
		return nil
	}
	d.h = sha256.New()
	d.off = 0
	d.st = state{}
	st, ok := d.cache.loadState(d.sha)
	if ok {
		if err := d.resume(st); err != nil {
			d.f.logger().Info("fetch: cannot resume, starting over", "sha256", d.sha, "reason", err)
			d.h, d.off, d.st = sha256.New(), 0, state{}
		}
	}
	if d.off == 0 {
		if err := os.Remove(d.cache.partialPath(d.sha)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return localErr(fmt.Errorf("removing the stale partial download %s: %w", d.cache.partialPath(d.sha), err))
		}
	}
	d.prepared = true
	return nil
}

func (d *download) resume(st state) error {
	h := sha256.New()
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(st.Hash); err != nil {
		return fmt.Errorf("hash state: %w", err)
	}
	part := d.cache.partialPath(d.sha)
	file, err := os.Open(part)
	if err != nil {
		return err
	}
	defer file.Close()
	fi, err := file.Stat()
	if err != nil {
		return err
	}
	end := fi.Size()
	if end < st.Offset || end > d.size {
		return fmt.Errorf("partial file has %d bytes, checkpoint at %d, package size %d", end, st.Offset, d.size)
	}
	if _, err := io.Copy(h, io.NewSectionReader(file, st.Offset, end-st.Offset)); err != nil {
		return fmt.Errorf("re-reading %s after the checkpoint: %w", part, err)
	}
	d.h, d.off, d.st = h, end, st
	d.f.logger().Info("fetch: resuming", "sha256", d.sha, "offset", end, "checkpoint", st.Offset)
	return nil
}

// restart empties the partial file and the hash.
func (d *download) restart() error {
	d.h, d.off, d.st = sha256.New(), 0, state{}
	if d.file != nil {
		if err := d.file.Truncate(0); err != nil {
			return d.writeErr(err)
		}
	}
	if err := os.Remove(d.cache.statePath(d.sha)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return localErr(fmt.Errorf("removing download state %s: %w", d.cache.statePath(d.sha), err))
	}
	return nil
}

// openFile opens the partial file for writing at d.off.
func (d *download) openFile() error {
	if d.file != nil {
		return nil
	}
	part := d.cache.partialPath(d.sha)
	file, err := os.OpenFile(part, os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return localErr(fmt.Errorf("opening the partial download %s: %w", part, err))
	}
	// Bytes past d.off are not covered by the hash (a resume that failed half way): drop them.
	if err := file.Truncate(d.off); err != nil {
		file.Close()
		return d.writeErr(err)
	}
	d.file = file
	return nil
}

func (d *download) closeFile() error {
	if d.file == nil {
		return nil
	}
	err := d.file.Close()
	d.file = nil
	if err != nil {
		return d.writeErr(err)
	}
	return nil
}

// checkpoint makes the bytes so far durable, then records them in the state file.
func (d *download) checkpoint() error {
	if d.file != nil {
		if err := d.file.Sync(); err != nil {
			return d.writeErr(err)
		}
	}
	hs, err := d.h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return localErr(fmt.Errorf("saving the hash state of %s: %w", d.sha, err))
	}
	st := d.st
	st.Offset, st.Hash = d.off, hs
	if err := d.cache.saveState(d.sha, &st); err != nil {
		if isDiskFull(err) {
			return d.writeErr(err)
		}
		return localErr(err)
	}
	d.st = st
	return nil
}

// writeErr explains a failed write to the partial file.
func (d *download) writeErr(err error) error {
	part := d.cache.partialPath(d.sha)
	if isDiskFull(err) {
		return fmt.Errorf("%w: writing %s failed (%v); free some space on that disk and retry, the partial download is kept and resumes", ErrDiskFull, part, err)
	}
	return localErr(fmt.Errorf("writing the partial download %s: %w", part, err))
}

// checkSpace fails early when the cache disk cannot hold the rest of the file.
func (d *download) checkSpace() error {
	need := d.size - d.off
	free, err := freeSpace(d.cache.dir)
	if err != nil {
		d.f.logger().Warn("fetch: cannot read free disk space", "dir", d.cache.dir, "err", err)
		return nil
	}
	if free < need {
		return fmt.Errorf("%w: %s has %d bytes free but the download needs %d more; free some space or move the cache", ErrNoSpace, d.cache.dir, free, need)
	}
	return nil
}

// write appends p to the partial file and the hash, checkpointing every checkpointEvery bytes.
func (d *download) write(p []byte, from string) error {
	if d.off+int64(len(p)) > d.size {
		return d.tooBig(from)
	}
	n, err := d.file.WriteAt(p, d.off)
	d.h.Write(p[:n])
	d.off += int64(n)
	if err != nil {
		return d.writeErr(err)
	}
	if d.off-d.st.Offset >= checkpointEvery {
		return d.checkpoint()
	}
	return nil
}

func (d *download) tooBig(from string) error {
	served := d.sources(from)
	d.discardAll()
	return &permanent{fmt.Errorf("%w: %s served more than the %d bytes the ticket says; the file was deleted", ErrHashMismatch, served, d.size)}
}

// verify checks the complete file against the ticket; on a mismatch the bytes are deleted.
func (d *download) verify(from string) error {
	got := hex.EncodeToString(d.h.Sum(nil))
	if d.off == d.size && got == d.sha {
		if err := d.file.Sync(); err != nil {
			return d.writeErr(err)
		}
		return d.closeFile()
	}
	served, n := d.sources(from), d.off
	d.discardAll()
	return &permanent{fmt.Errorf("%w: %s served %d bytes whose SHA-256 is %s but the ticket says %d bytes with %s; the file was deleted",
		ErrHashMismatch, served, n, shortHex(got), d.size, shortHex(d.sha))}
}

// sources names the URLs that served the current bytes, for messages.
func (d *download) sources(current string) string {
	urls := d.st.URLs
	if len(urls) == 0 || urls[len(urls)-1] != redact(current) {
		urls = append(urls[:len(urls):len(urls)], redact(current))
	}
	return strings.Join(urls, " and ")
}

func (d *download) discardAll() {
	d.closeFile()
	if err := d.cache.discard(d.sha); err != nil {
		d.f.logger().Warn("fetch: deleting a bad download", "sha256", d.sha, "err", err)
	}
	d.h, d.off, d.st = sha256.New(), 0, state{}
}

// fromMirror downloads the rest of the file from one mirror, retrying with backoff.
func (d *download) fromMirror(ctx context.Context, u string) (err error) {
	if err := d.prepare(); err != nil {
		return err
	}
	src := d.sourceFor(u)
	base, maxDelay := d.f.delays()
	failures := 0
	for {
		before := d.off
		err = d.attempt(ctx, src, u)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil || errors.Is(err, errLocal) || errors.Is(err, ErrDiskFull) || errors.Is(err, ErrNoSpace) {
			return err
		}
		var perm *permanent
		if errors.As(err, &perm) {
			return err
		}
		if d.off > before && !errors.Is(err, errRestart) {
			failures = 0 // progress: the mirror works, only the connection is flaky
		}
		failures++
		if failures > d.f.retries() {
			return fmt.Errorf("gave up after %d attempts: %w", failures, err)
		}
		delay := backoff(failures, base, maxDelay)
		var ra *retryAfter
		if errors.As(err, &ra) && ra.delay > 0 {
			delay = min(ra.delay, 4*maxDelay)
		}
		if errors.Is(err, errRestart) {
			delay = 0
		}
		d.f.logger().Info("fetch: retrying", "url", redact(u), "attempt", failures, "delay", delay, "err", err)
		if err := sleep(ctx, delay); err != nil {
			return err
		}
	}
}

// attempt makes one request and streams its body into the partial file.
func (d *download) attempt(ctx context.Context, src source, u string) (err error) {
	if d.off == d.size {
		// Complete but not committed (stopped between the last byte and the rename).
		if err := d.openFile(); err != nil {
			return err
		}
		return d.verify(u)
	}
	if err := d.checkSpace(); err != nil {
		return err
	}
	if ws, ok := src.(wholeSource); ok {
		return d.whole(ctx, ws, u)
	}
	if err := d.openFile(); err != nil {
		return err
	}
	defer func() {
		if err != nil && d.file != nil && d.off > 0 {
			// Keep what arrived: a later attempt resumes from here.
			if cerr := d.checkpoint(); cerr != nil {
				d.f.logger().Warn("fetch: checkpoint after a failed attempt", "sha256", d.sha, "err", cerr)
			}
		}
		if err != nil {
			d.closeFile()
		}
	}()

	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stall := time.AfterFunc(d.f.readTimeout(), func() { cancel(errStalled) })
	defer stall.Stop()

	resumeURL := d.st.lastURL() == redact(u)
	validator := ""
	if resumeURL {
		validator = d.st.Validator
	}
	body, err := src.open(actx, u, d.off, validator, d.size)
	if err != nil {
		if errors.Is(err, errRestart) {
			if rerr := d.restart(); rerr != nil {
				return rerr
			}
		}
		return d.stalled(actx, u, err)
	}
	defer body.Close()

	if body.start != d.off {
		if body.start != 0 {
			return fmt.Errorf("%s answered from byte %d, not %d: %w", redact(u), body.start, d.off, d.restartErr())
		}
		if d.off > 0 {
			d.f.logger().Info("fetch: server sent the whole file again, starting over", "url", redact(u))
			if err := d.restart(); err != nil {
				return err
			}
		}
	}
	if d.off > 0 && resumeURL && d.st.Validator != "" && body.validator != "" && body.validator != d.st.Validator {
		return fmt.Errorf("the file at %s changed (validator %s, was %s): %w", redact(u), body.validator, d.st.Validator, d.restartErr())
	}
	if d.off == 0 || !resumeURL {
		if d.off == 0 {
			d.st.URLs = nil
		}
		d.st.URLs = append(d.st.URLs, redact(u))
		d.st.Validator = body.validator
		if err := d.checkpoint(); err != nil {
			return err
		}
	}

	m := newMeter(d.f.Progress, redact(u), d.size, d.off)
	buf := make([]byte, 256<<10)
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			stall.Reset(d.f.readTimeout())
			if err := d.write(buf[:n], u); err != nil {
				return err
			}
			m.update(d.off, false)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return d.stalled(actx, u, fmt.Errorf("reading from %s after %d of %d bytes: %w", redact(u), d.off, d.size, rerr))
		}
	}
	if d.off < d.size {
		return fmt.Errorf("%s closed the download after %d of %d bytes", redact(u), d.off, d.size)
	}
	if err := d.verify(u); err != nil {
		return err
	}
	m.update(d.off, true)
	return nil
}

func (d *download) restartErr() error {
	if err := d.restart(); err != nil {
		return err
	}
	return errRestart
}

// stalled rewrites an error caused by the read timeout so that it says so.
func (d *download) stalled(actx context.Context, u string, err error) error {
	if errors.Is(context.Cause(actx), errStalled) {
		return fmt.Errorf("no data from %s for %s at byte %d (stalled): %w", redact(u), d.f.readTimeout(), d.off, errStalled)
	}
	return err
}

// whole fetches with a source that writes the partial file itself, then hashes it once from disk.
func (d *download) whole(ctx context.Context, ws wholeSource, u string) error {
	if err := d.closeFile(); err != nil {
		return err
	}
	if err := d.restart(); err != nil {
		return err
	}
	part := d.cache.partialPath(d.sha)
	if err := ws.fetchTo(ctx, u, part); err != nil {
		return err
	}
	file, err := os.OpenFile(part, os.O_RDWR, 0)
	if err != nil {
		return localErr(fmt.Errorf("opening %s after downloading it from %s: %w", part, redact(u), err))
	}
	d.file = file
	n, err := io.Copy(d.h, io.LimitReader(file, d.size+1))
	d.off = n
	if err != nil {
		d.closeFile()
		return localErr(fmt.Errorf("hashing %s: %w", part, err))
	}
	if n > d.size {
		return d.tooBig(u)
	}
	if err := d.verify(u); err != nil {
		return err
	}
	newMeter(d.f.Progress, redact(u), d.size, 0).update(d.off, true)
	return nil
}
