package client

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

// pagedOrders serves n orders in pages of ?limit=, with the cursor the index of the next one.
func pagedOrders(t *testing.T, n int, requests *int, mu *sync.Mutex) string {
	return newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		*requests++
		mu.Unlock()
		q := r.URL.Query()
		assert.Equal(t, "paid", q.Get("state"), "filters are passed on every page")
		limit, _ := strconv.Atoi(q.Get("limit"))
		start, _ := strconv.Atoi(q.Get("cursor"))
		page := api.Page[api.Order]{Items: []api.Order{}}
		for i := start; i < n && i < start+limit; i++ {
			page.Items = append(page.Items, api.Order{ID: fmt.Sprintf("ord_%d", i)})
		}
		if start+limit < n {
			page.NextCursor = strconv.Itoa(start + limit)
		}
		writeJSON(w, 200, page)
	}))
}

func TestList(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		total, take  int
		wantRequests int
	}{
		{name: "all of three pages", total: 7, take: -1, wantRequests: 3},
		{name: "an empty list", total: 0, take: -1, wantRequests: 1},
		{name: "the loop stops early: no more pages fetched", total: 7, take: 4, wantRequests: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			requests := 0
			base := pagedOrders(t, tt.total, &requests, &mu)
			c := New(base, fastOptions(newMemStore())).WithToken("tok")
			var ids []string
			for o, err := range c.Orders(context.Background(), ListOptions{PageSize: 3, Filter: map[string][]string{"state": {"paid"}}}) {
				require.NoError(t, err)
				ids = append(ids, o.ID)
				if len(ids) == tt.take {
					break
				}
			}
			want := tt.total
			if tt.take >= 0 {
				want = tt.take
			}
			assert.Len(t, ids, want)
			for i, id := range ids {
				assert.Equal(t, fmt.Sprintf("ord_%d", i), id)
			}
			mu.Lock()
			defer mu.Unlock()
			assert.Equal(t, tt.wantRequests, requests)
		})
	}
}

func TestListError(t *testing.T) {
	t.Parallel()
	base := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeAPIError(w, 400, "invalid_field", "cursor", "cursor is not one this server gave out")
	}))
	items, err := Collect(New(base, fastOptions(newMemStore())).WithToken("tok").Entitlements(context.Background(), ListOptions{}))
	assert.Empty(t, items)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "cursor", apiErr.Field)
}
