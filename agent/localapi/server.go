// Package localapi is the agent's local API: HTTP and JSON under /v1/ on a unix socket or a
// Windows named pipe (docs/local-api.md). It identifies each caller by what the OS says about the
// other end of the connection, lets everyone read and only root, administrators and the install
// group change things, and refuses anything a browser could send.
//
// The handlers know nothing of jobs and journals: they call a Backend, which the agent package
// implements.
package localapi

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/iscdesk/iscdesk/agent/apitype"
)

// Server serves the local API for one Backend.
type Server struct {
	b    Backend
	auth *authorizer
	log  *slog.Logger
	mux  *http.ServeMux
	hs   *http.Server

	// Stream timings; tests shorten them.
	keepalive time.Duration // between comments on an idle event stream
	logPoll   time.Duration // between looks at a followed log file

	// closing is closed by Shutdown: it ends the streams, which never go idle by themselves.
	closing   chan struct{}
	closeOnce sync.Once
}

// writeTimeout bounds one write to a stream: a client that reads nothing for this long is dropped.
const writeTimeout = 30 * time.Second

// NewServer returns a server of b's API under policy p. log may be nil.
func NewServer(b Backend, p Policy, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		b:         b,
		auth:      newAuthorizer(p, runtime.GOOS, osAccounts{}),
		log:       log,
		mux:       http.NewServeMux(),
		keepalive: 15 * time.Second,
		logPoll:   250 * time.Millisecond,
		closing:   make(chan struct{}),
	}
	s.routes()
	s.hs = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ConnContext:       s.connContext,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		// No WriteTimeout: /v1/events and followed logs stream for as long as the client wants.
	}
	return s
}

// route is one path's handlers by method; write marks the methods that change things.
type route struct {
	methods map[string]http.HandlerFunc
	write   map[string]bool
}

func (s *Server) routes() {
	s.handle("/v1/status", route{methods: map[string]http.HandlerFunc{"GET": s.status}})
	s.handle("/v1/software", route{methods: map[string]http.HandlerFunc{"GET": s.software}})
	s.handle("/v1/jobs", route{
		methods: map[string]http.HandlerFunc{"GET": s.jobs, "POST": s.submit},
		write:   map[string]bool{"POST": true},
	})
	s.handle("/v1/jobs/{id}", route{methods: map[string]http.HandlerFunc{"GET": s.job}})
	s.handle("/v1/jobs/{id}/cancel", route{
		methods: map[string]http.HandlerFunc{"POST": s.cancel},
		write:   map[string]bool{"POST": true},
	})
	s.handle("/v1/jobs/{id}/log", route{methods: map[string]http.HandlerFunc{"GET": s.jobLog}})
	s.handle("/v1/events", route{methods: map[string]http.HandlerFunc{"GET": s.events}})
	s.updateRoutes()
	s.licenseRoutes()
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, errorf(http.StatusNotFound, "not_found", "",
			"no such endpoint: "+r.URL.Path+"; see docs/local-api.md for the endpoints under /v1/"))
	})
}

// handle registers rt at pattern, answering 405 with Allow for other methods and 403 for writes
// by callers that may not install.
func (s *Server) handle(pattern string, rt route) {
	allow := make([]string, 0, len(rt.methods))
	for m := range rt.methods {
		allow = append(allow, m)
	}
	slices.Sort(allow)
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		h, ok := rt.methods[r.Method]
		if !ok {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			s.writeError(w, r, errorf(http.StatusMethodNotAllowed, "method_not_allowed", "",
				r.Method+" "+r.URL.Path+" is not allowed; use "+strings.Join(allow, " or ")))
			return
		}
		if rt.write[r.Method] {
			if c := s.caller(r); !c.CanInstall {
				s.log.Info("refused a write by a caller without install rights",
					"method", r.Method, "path", r.URL.Path, "uid", c.UID, "user", c.User)
				s.writeError(w, r, errorf(http.StatusForbidden, "forbidden", "", s.auth.refusal(c)))
				return
			}
		}
		h(w, r)
	})
}

// browserHeaders are sent by browsers (and only by them). A web page must not reach the agent, even
// where something forwards a local port to the socket.
var browserHeaders = []string{"Origin", "Referer", "Sec-Fetch-Site", "Sec-Fetch-Mode"}

// ServeHTTP refuses requests from browsers and hands the rest to the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for _, h := range browserHeaders {
		if _, ok := r.Header[h]; ok {
			s.log.Warn("refused a request with a browser header", "header", h, "path", r.URL.Path)
			s.writeError(w, r, errorf(http.StatusForbidden, "forbidden", "",
				"browsers may not call the agent (the request has the header "+h+")"))
			return
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	s.mux.ServeHTTP(w, r)
}

// connContext learns the caller's identity once per connection.
func (s *Server) connContext(ctx context.Context, c net.Conn) context.Context {
	p, err := peerOf(c)
	if err != nil {
		s.log.Warn("cannot identify a local API caller; it may only read", "err", err)
		return ctx
	}
	return withPeer(ctx, p)
}

// caller is who sent r, and whether they may install.
func (s *Server) caller(r *http.Request) apitype.Caller {
	p, ok := PeerFromContext(r.Context())
	return s.auth.caller(p, ok)
}

// Serve answers requests on ln until Shutdown. It returns nil after Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	err := s.hs.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops listening, ends the event and log streams, and waits for the other requests to
// finish until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closeOnce.Do(func() { close(s.closing) })
	return s.hs.Shutdown(ctx)
}

// streamContext is r's context, also cancelled when the server shuts down. The caller must call
// cancel, which also ends the goroutine that watches for the shutdown.
func (s *Server) streamContext(r *http.Request) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(r.Context())
	go func() {
		select {
		case <-s.closing:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}
