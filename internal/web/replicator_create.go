package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/roger365io/roger"
)

type newReplicatorView struct {
	Name    string
	Entity  string
	Hosts   []ExactHost
	Host    string
	Errors  map[string]string
	Refused []refusal
}

func (s *Server) handleReplicatorNew(w http.ResponseWriter, r *http.Request, sess *roger.Session) {
	s.render(w, http.StatusOK, "replicator_new", view{Title: "New replicator", Session: sess, Nav: "replicators",
		Data: newReplicatorView{Entity: "accounts", Hosts: s.exactHosts(), Host: s.exactHosts()[0].URL}})
}

// handleReplicatorCreate is step 1 of the guide: a name, Exact Online,
// accounts or contacts. Everything else is filled in on its page.
func (s *Server) handleReplicatorCreate(w http.ResponseWriter, r *http.Request, sess *roger.Session) {
	v := newReplicatorView{Name: strings.TrimSpace(r.PostFormValue("name")), Entity: r.PostFormValue("entity"),
		Host: r.PostFormValue("exact_url"), Hosts: s.exactHosts()}
	in := roger.ReplicatorInput{OrgID: sess.OrgID, Name: v.Name, Entity: roger.Entity(v.Entity), ExactURL: v.Host}
	var refused roger.Invalid
	if _, err := s.parseHost(v.Host); err != nil {
		refused.Add("exact_url", roger.ErrorMessage(err))
		in.ExactURL = ""
	}
	rep, err := s.Replicators.Create(s.actor(r, sess), in)
	var fields roger.Invalid
	if errors.As(err, &fields) {
		for _, f := range fields {
			refused.Add(f.Field, f.Message)
		}
		v.Errors, v.Refused = refusals(refused)
		s.render(w, http.StatusBadRequest, "replicator_new", view{Title: "New replicator", Session: sess, Nav: "replicators", Data: v})
		return
	}
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	http.Redirect(w, r, "/replicators/"+strconv.FormatInt(rep.ID, 10)+"?done=created", http.StatusSeeOther)
}

// parseHost accepts one of the offered Exact hosts.
func (s *Server) parseHost(raw string) (string, error) {
	for _, h := range s.exactHosts() {
		if raw == h.URL {
			return roger.ParseExactURL(raw)
		}
	}
	return "", roger.Errorf(roger.EINVALID, "Choose the Exact Online country your company uses.")
}
