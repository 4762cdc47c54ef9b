package client

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"strconv"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

// ListOptions page through a list.
type ListOptions struct {
	// PageSize is how many items each request asks for; the server's default (50) when zero.
	PageSize int
	// Filter holds the list's own query parameters, e.g. {"state": {"paid"}}.
	Filter url.Values
}

// list iterates over every item of a paged list, fetching pages as the loop needs them. An error
// is yielded once, as the last pair.
func list[T any](ctx context.Context, c *Client, path string, o ListOptions) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		q := url.Values{}
		for k, vs := range o.Filter {
			q[k] = append([]string(nil), vs...)
		}
		if o.PageSize > 0 {
			q.Set("limit", strconv.Itoa(o.PageSize))
		}
		for {
			var page api.Page[T]
			if err := c.call(ctx, request{method: http.MethodGet, path: path, query: q}, &page); err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, item := range page.Items {
				if !yield(item, nil) {
					return
				}
			}
			if page.NextCursor == "" || len(page.Items) == 0 {
				return
			}
			q.Set("cursor", page.NextCursor)
		}
	}
}

// Collect gathers a list into a slice, stopping at the first error.
func Collect[T any](seq iter.Seq2[T, error]) ([]T, error) {
	var out []T
	for item, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, item)
	}
	return out, nil
}
