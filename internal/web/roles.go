package web

import (
	"net/http"

	"github.com/roger365io/roger"
)

// ownerRoutes are the POST routes only an owner may use: managing the
// organisation's admins.
var ownerRoutes = map[string]bool{
	"POST /admins":             true,
	"POST /admins/{id}/delete": true,
	"POST /admins/{id}/role":   true,
	"POST /admins/{id}/reset":  true,
}

// readOnlyRoutes are the signed-in POST routes a read-only admin may use:
// their own password is theirs to change. (Signing out needs no
// session, so it is not among the signed-in routes.)
var readOnlyRoutes = map[string]bool{
	"POST /account/password": true,
}

// permitted checks the session's role against the route of a POST and
// answers a refusal itself.
func (s *Server) permitted(w http.ResponseWriter, r *http.Request, sess *roger.Session) bool {
	var msg string
	switch {
	case readOnlyRoutes[r.Pattern]:
		return true
	case !sess.Role.CanChange():
		msg = "Nothing was changed: your role is read-only, so you can see everything in roger but not change it. Ask an owner of your organisation if you need to make changes."
	case ownerRoutes[r.Pattern] && !sess.Role.CanManageAdmins():
		msg = "Nothing was changed: only an owner of your organisation can add, remove or reset admins and change their roles."
	default:
		return true
	}
	s.render(w, http.StatusForbidden, "message", view{Title: "Not allowed", Session: sess, Data: messageView{Title: "Not allowed", Message: msg}})
	return false
}

// routeMux is a ServeMux that remembers its patterns.
type routeMux struct {
	*http.ServeMux
	patterns []string
}

// HandleFunc registers h for pattern and notes the pattern.
func (m *routeMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.HandleFunc(pattern, h)
}
