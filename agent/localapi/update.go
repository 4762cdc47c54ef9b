package localapi

import (
	"context"
	"net/http"

	"github.com/iscdesk/iscdesk/agent/apitype"
)

// UpdateBackend is the agent's self-update. The server serves /v1/agent/update when its Backend
// implements it, and answers 404 with a reason when it does not.
type UpdateBackend interface {
	AgentUpdateStatus(ctx context.Context) (apitype.UpdateStatus, error)
	// AgentUpdate checks the marketplace now and, unless req.CheckOnly, stages a verified update
	// that is applied once no job runs.
	AgentUpdate(ctx context.Context, req apitype.UpdateRequest) (apitype.UpdateStatus, error)
}

func (s *Server) updateRoutes() {
	s.handle("/v1/agent/update", route{
		methods: map[string]http.HandlerFunc{"GET": s.updateStatus, "POST": s.update},
		write:   map[string]bool{"POST": true},
	})
}

func (s *Server) updateBackend(w http.ResponseWriter, r *http.Request) (UpdateBackend, bool) {
	ub, ok := s.b.(UpdateBackend)
	if !ok {
		s.writeError(w, r, errorf(http.StatusNotFound, "not_found", "", "this agent has no self-update; update it with the OS package manager"))
	}
	return ub, ok
}

func (s *Server) updateStatus(w http.ResponseWriter, r *http.Request) {
	ub, ok := s.updateBackend(w, r)
	if !ok {
		return
	}
	st, err := ub.AgentUpdateStatus(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) update(w http.ResponseWriter, r *http.Request) {
	ub, ok := s.updateBackend(w, r)
	if !ok {
		return
	}
	var req apitype.UpdateRequest // an empty body means: check and apply
	if err := decodeStrict(w, r, &req, updateBody); err != nil {
		s.writeError(w, r, err)
		return
	}
	c := s.caller(r)
	s.log.Info("agent update requested", "check_only", req.CheckOnly, "uid", c.UID, "user", c.User)
	st, err := ub.AgentUpdate(r.Context(), req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	status := http.StatusOK
	if st.State == apitype.UpdateWaiting || st.State == apitype.UpdateApplying {
		status = http.StatusAccepted // the switch happens after the answer
	}
	writeJSON(w, status, st)
}
