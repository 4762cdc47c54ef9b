package extract

import (
	"fmt"
	"math"
	"sync"
	"sync/atomic"
)

// Limits bound what one archive may unpack to. A zero field takes its DefaultLimits value; a
// negative one switches that limit off.
type Limits struct {
	MaxFiles   int     // entries of any kind
	MaxBytes   int64   // file content, counted as it is written
	MaxRatio   float64 // bytes written per archive byte consumed: the zip/gzip bomb guard
	MaxNameLen int     // bytes in one entry's full name
}

// DefaultLimits fit the largest industrial packages we know of (tens of GB, ~100k files) with room
// to spare, and stop a bomb after a few MB.
func DefaultLimits() Limits {
	return Limits{
		MaxFiles:   250_000,
		MaxBytes:   64 << 30,
		MaxRatio:   200,
		MaxNameLen: 1024,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxFiles == 0 {
		l.MaxFiles = d.MaxFiles
	}
	if l.MaxBytes == 0 {
		l.MaxBytes = d.MaxBytes
	}
	if l.MaxRatio == 0 {
		l.MaxRatio = d.MaxRatio
	}
	if l.MaxNameLen == 0 {
		l.MaxNameLen = d.MaxNameLen
	}
	return l
}

// ratioGrace is output allowed before the ratio applies: headers and the first small files of any
// archive compress far better than its average.
const ratioGrace = 4 << 20

// progressStep is how many archive bytes pass between two progress calls.
const progressStep = 4 << 20

// meter counts what an extraction consumed and wrote, enforces the limits, and reports progress.
// entries and files are owned by the goroutine walking the entries; the byte counters are shared with workers.
type meter struct {
	lim      Limits
	entries  int // entries seen, for MaxFiles
	files    int // files and links created, for Stats
	written  atomic.Int64
	consumed func() int64 // archive bytes read so far, for progress and the ratio
	// ratioBase, when set, replaces consumed in the ratio: a zip's entries may share compressed
	// data, so bytes read say nothing there, while the file size does.
	ratioBase func() int64
	total     int64 // archive size, -1 when unknown

	mu       sync.Mutex // guards the fields below and serialises calls of report
	report   func(done, total int64)
	reported int64
}

func newMeter(l Limits, report func(done, total int64)) *meter {
	return &meter{lim: l.withDefaults(), report: report, total: -1, consumed: func() int64 { return 0 }}
}

// addEntry counts one entry against MaxFiles.
func (m *meter) addEntry(raw string) error {
	m.entries++
	if m.lim.MaxFiles > 0 && m.entries > m.lim.MaxFiles {
		return &EntryError{Name: raw, Problem: fmt.Sprintf("the archive holds more than %d entries", m.lim.MaxFiles), Kind: ErrLimit}
	}
	return nil
}

// wrote counts n bytes written for entry raw and checks the size and ratio limits.
func (m *meter) wrote(raw string, n int64) error {
	w := m.written.Add(n)
	if m.lim.MaxBytes > 0 && w > m.lim.MaxBytes {
		return &EntryError{Name: raw, Problem: fmt.Sprintf("the archive unpacks to more than %d bytes", m.lim.MaxBytes), Kind: ErrLimit}
	}
	c := m.consumed()
	if m.ratioBase != nil {
		c = m.ratioBase()
	}
	if m.lim.MaxRatio > 0 && w > ratioGrace && float64(w) > m.lim.MaxRatio*float64(c) {
		return &EntryError{Name: raw, Problem: fmt.Sprintf("%d bytes unpacked from %d archive bytes, a ratio above %g: a decompression bomb", w, c, m.lim.MaxRatio), Kind: ErrLimit}
	}
	m.progress(m.consumed(), false)
	return nil
}

func (m *meter) progress(done int64, force bool) {
	if m.report == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if force || done-m.reported >= progressStep {
		m.reported = done
		m.report(done, m.total)
	}
}

// finish reports the final position.
func (m *meter) finish() {
	done := m.consumed()
	if m.total >= 0 {
		done = m.total
	}
	m.progress(done, true)
}

// maxRatioBytes is the most that c archive bytes may unpack to.
func (m *meter) maxRatioBytes(c int64) int64 {
	if m.lim.MaxRatio <= 0 {
		return math.MaxInt64
	}
	return int64(m.lim.MaxRatio*float64(c)) + ratioGrace
}
