package run

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRingKeepsTheLastBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{1, 7, 64} {
		for _, total := range []int{0, 3, 64, 65, 1000} {
			data := make([]byte, total)
			for i := range data {
				data[i] = byte('a' + rng.IntN(26))
			}
			r := ring{buf: make([]byte, size)}
			for rest := data; len(rest) > 0; {
				n := min(len(rest), 1+rng.IntN(2*size)) // chunks smaller and larger than the ring
				r.Write(rest[:n])
				rest = rest[n:]
			}
			assert.Equal(t, string(data[max(0, total-size):]), string(r.bytes()), "size %d total %d", size, total)
			assert.Equal(t, int64(total), r.total)
		}
	}
}

type failingWriter struct{ n int }

func (f *failingWriter) Write(p []byte) (int, error) {
	f.n++
	return 0, errors.New("disk full")
}

func TestOutputKeepsDrainingWhenTheLogFails(t *testing.T) {
	log := &failingWriter{}
	o := newOutput(log, 10)
	for range 3 {
		n, err := o.Write([]byte("0123456789abcdef"))
		require.NoError(t, err, "the step's pipe must keep draining")
		assert.Equal(t, 16, n)
	}
	assert.Equal(t, 1, log.n, "a failed log is not written again")
	assert.ErrorContains(t, o.finish(), "disk full")
	assert.Equal(t, "0123456789abcdef", o.tail()[32:])
}

func TestOutputTailIsValidText(t *testing.T) {
	o := newOutput(nil, 0)
	// "é" is two bytes: 2049 of them and "x" make the 4 KiB window start inside the first kept one.
	_, _ = o.Write([]byte(strings.Repeat("é", tailSize/2+1) + "x"))
	require.NoError(t, o.finish())
	assert.Equal(t, strings.Repeat("é", tailSize/2-1)+"x", o.tail())
}
