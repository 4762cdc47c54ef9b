package localapi

import (
	"net/http"
	"net/url"
	"time"

	"github.com/iscdesk/iscdesk/agent/apitype"
)

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	st, err := s.b.Status(r.Context(), s.caller(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) software(w http.ResponseWriter, r *http.Request) {
	sw, err := s.b.Software(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if sw == nil {
		sw = []apitype.Software{} // [] rather than null, for every client
	}
	writeJSON(w, http.StatusOK, sw)
}

func (s *Server) jobs(w http.ResponseWriter, r *http.Request) {
	jobs, err := s.b.Jobs(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if jobs == nil {
		jobs = []apitype.Job{}
	}
	writeJSON(w, http.StatusOK, jobs)
}

func (s *Server) job(w http.ResponseWriter, r *http.Request) {
	j, err := s.b.Job(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, j)
}

// submitReadTimeout bounds reading a job request's body: it is small, and a caller that sends it
// slowly must not hold a connection forever.
const submitReadTimeout = 30 * time.Second

func (s *Server) submit(w http.ResponseWriter, r *http.Request) {
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(submitReadTimeout)) // not every ResponseWriter can
	req, err := decodeJobRequest(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	j, err := s.b.Submit(r.Context(), req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c := s.caller(r)
	s.log.Info("job submitted", "job", j.ID, "action", j.Action, "product", j.Product, "uid", c.UID, "user", c.User)
	w.Header().Set("Location", "/v1/jobs/"+url.PathEscape(j.ID))
	writeJSON(w, http.StatusAccepted, j)
}

func (s *Server) cancel(w http.ResponseWriter, r *http.Request) {
	j, err := s.b.Cancel(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c := s.caller(r)
	s.log.Info("job cancelled", "job", j.ID, "uid", c.UID, "user", c.User)
	writeJSON(w, http.StatusOK, j)
}
