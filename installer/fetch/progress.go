package fetch

import "time"

// progressEvery limits Progress calls to about ten a second.
const progressEvery = 100 * time.Millisecond

// meter turns byte counts into throttled Progress calls with a smoothed rate.
type meter struct {
	fn      func(Progress)
	url     string
	total   int64
	resumed int64

	last     time.Time
	lastDone int64
	rate     float64
}

func newMeter(fn func(Progress), url string, total, resumed int64) *meter {
	return &meter{fn: fn, url: url, total: total, resumed: resumed, last: time.Now(), lastDone: resumed}
}

// update reports done bytes; final reports even if the last call was just now.
func (m *meter) update(done int64, final bool) {
	if m.fn == nil {
		return
	}
	t := time.Now()
	dt := t.Sub(m.last)
	if !final && dt < progressEvery {
		return
	}
	if dt > 0 {
		inst := float64(done-m.lastDone) / dt.Seconds()
		// Exponential moving average: steady enough to read, quick enough to follow a change.
		if m.rate == 0 {
			m.rate = inst
		} else {
			m.rate = 0.7*m.rate + 0.3*inst
		}
	}
	m.last, m.lastDone = t, done
	var eta time.Duration
	if m.rate > 0 && done < m.total {
		eta = time.Duration(float64(m.total-done) / m.rate * float64(time.Second))
	}
	m.fn(Progress{URL: m.url, Done: done, Total: m.total, Rate: m.rate, ETA: eta, Resumed: m.resumed})
}
