package manifest

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr string
	}{
		{in: "0", want: 0},
		{in: "20971520", want: 20 << 20},
		{in: "512B", want: 512},
		{in: "20MiB", want: 20 << 20},
		{in: "20 MiB", want: 20 << 20},
		{in: "20mib", want: 20 << 20},
		{in: "1.5GiB", want: 3 << 29},
		{in: "2KiB", want: 2048},
		{in: "2KB", want: 2000},
		{in: "3MB", want: 3e6},
		{in: "1.5GB", want: 1.5e9},
		{in: "2TiB", want: 2 << 40},
		{in: "0.0001KB", want: 0},
		{in: "9223372036854775807", want: math.MaxInt64},
		{in: "9223372036854775808", wantErr: "is too large"},
		{in: "10000000TiB", wantErr: "is too large"},
		{in: "20 MiBs", wantErr: `has an unknown unit "MiBs"`},
		{in: "-1", wantErr: "is not a size"},
		{in: "1e9", wantErr: "is not a size"},
		{in: "", wantErr: "is not a size"},
		{in: "MiB", wantErr: "is not a size"},
		{in: "1.MiB", wantErr: "is not a size"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSize(tt.in)
			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
