package server

import (
	"database/sql"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFirst(t *testing.T) {
	failed := errors.New("the query failed")
	tests := []struct {
		name    string
		items   []string
		err     error
		want    string
		wantErr error
	}{
		{"the first of the items", []string{"a", "b"}, nil, "a", nil},
		{"none is sql.ErrNoRows, for a 404", []string{}, nil, "", sql.ErrNoRows},
		{"the query's error is kept", []string{"a"}, failed, "", failed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := first(tc.items, tc.err)
			assert.ErrorIs(t, err, tc.wantErr) // errors.Is(err, nil) holds only for a nil err
			assert.Equal(t, tc.want, got)
		})
	}
}
