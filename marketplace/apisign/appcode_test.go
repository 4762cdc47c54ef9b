package apisign

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAppCode(t *testing.T) {
	req, err := http.NewRequest(http.MethodGet, "https://api.example.com/v1/quota", nil)
	require.NoError(t, err)
	AppCode(req, "first")
	AppCode(req, "b6f1c0de")
	assert.Equal(t, []string{"b6f1c0de"}, req.Header.Values("X-Apig-AppCode"), "a second call replaces the code")
}
