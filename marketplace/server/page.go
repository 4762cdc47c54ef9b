package server

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

// Page sizes of list endpoints.
const (
	defaultLimit = 50
	maxLimit     = 500
)

// pageReq is a parsed ?limit=&cursor=. Lists are keyset-paged: the cursor holds the sort key and
// id of the last row sent, so a page costs the same at row 100,000 as at row 0.
type pageReq struct {
	Limit int
	After *cursor // nil on the first page
}

// cursor is the position after which the next page starts.
type cursor struct {
	At int64  // the sort key (a time in ms) of the last row, or 0 when rows sort by id alone
	ID string // the id of the last row
}

// parsePage reads limit and cursor; on bad input it writes the 400 and returns false.
func parsePage(w http.ResponseWriter, r *http.Request) (pageReq, bool) {
	p := pageReq{Limit: defaultLimit}
	q := r.URL.Query()
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			badRequest(w, "limit", "limit must be a whole number from 1 to "+strconv.Itoa(maxLimit))
			return p, false
		}
		p.Limit = n
	}
	if v := q.Get("cursor"); v != "" {
		c, ok := decodeCursor(v)
		if !ok {
			badRequest(w, "cursor", "cursor is not one this server gave out; pass next_cursor of the previous page unchanged")
			return p, false
		}
		p.After = &c
	}
	return p, true
}

func (c cursor) String() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.At, 10) + "|" + c.ID))
}

func decodeCursor(s string) (cursor, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, false
	}
	at, id, ok := strings.Cut(string(raw), "|")
	if !ok || id == "" || len(id) > 64 {
		return cursor{}, false
	}
	n, err := strconv.ParseInt(at, 10, 64)
	if err != nil {
		return cursor{}, false
	}
	return cursor{At: n, ID: id}, true
}

// pageOf cuts a list read with limit+1 rows into a page and its next cursor.
func pageOf[T any](items []T, limit int, key func(T) cursor) api.Page[T] {
	if len(items) <= limit {
		return api.Page[T]{Items: items}
	}
	return api.Page[T]{Items: items[:limit], NextCursor: key(items[limit-1]).String()}
}

// writePage answers a list handler's read of p.Limit+1 items (err when it failed) with the page
// and the cursor of its last item (key), or with a 500.
func writePage[T any](s *Server, w http.ResponseWriter, r *http.Request, p pageReq, items []T, err error, key func(T) cursor) {
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, pageOf(items, p.Limit, key))
}
