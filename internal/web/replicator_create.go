package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/roger365io/roger"
)

type newReplicatorView struct {
	Name   string
	Entity string
	Hosts  []ExactHost
	Host   string
	Errors map[string]string
}

func (s *Server) handleReplicatorNew(w http.ResponseWriter, r *http.Request, sess *roger.Session) {
	s.render(w, http.StatusOK, "replicator_new", view{Title: "New replicator", Session: sess, Nav: "replicators",
		Data: newReplicatorView{Entity: "accounts", Hosts: s.exactHosts(), Host: s.exactHosts()[0].URL}})
}

// handleReplicatorCreate is step 1 of the guide: a name, Exact Online,
// accounts or contacts. Everything else is filled in on its page.
func (s *Server) handleReplicatorCreate(w http.ResponseWriter, r *http.Request, sess *roger.Session) {
	v := newReplicatorView{Name: strings.TrimSpace(r.PostFormValue("name")), Entity: r.PostFormValue("entity"),
		Host: r.PostFormValue("exact_url"), Hosts: s.exactHosts(), Errors: map[string]string{}}
	rep := &roger.Replicator{OrgID: sess.OrgID, Name: v.Name, Source: roger.SourceExactOnline, Entity: roger.Entity(v.Entity),
		Interval: 5 * time.Minute, State: roger.StateDraft}
	if v.Name == "" {
		v.Errors["name"] = "Give the replicator a name, for example “Exact accounts”."
	} else if len(v.Name) > 100 {
		v.Errors["name"] = "Keep the name under 100 characters."
	}
	if !rep.Entity.Valid() {
		v.Errors["entity"] = "Choose accounts or contacts."
	}
	var err error
	if rep.ExactURL, err = s.parseHost(v.Host); err != nil {
		v.Errors["exact_url"] = roger.ErrorMessage(err)
	}
	if len(v.Errors) > 0 {
		s.render(w, http.StatusBadRequest, "replicator_new", view{Title: "New replicator", Session: sess, Nav: "replicators", Data: v})
		return
	}
	if err := s.Store.CreateReplicator(r.Context(), rep); err != nil {
		s.fail(w, r, sess, err)
		return
	}
	s.audit(r, sess, "replicator.create", rep, "name "+rep.Name+", "+string(rep.Entity))
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

func (s *Server) audit(r *http.Request, sess *roger.Session, action string, rep *roger.Replicator, detail string) {
	target := "replicator/" + strconv.FormatInt(rep.ID, 10) + " (" + rep.Name + ")"
	if err := s.Store.AppendAudit(r.Context(), sess.OrgID, sess.Email, action, target, detail); err != nil {
		s.log().Error("audit", "action", action, "err", err)
	}
}
