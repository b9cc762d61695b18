package exactsim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/roger365io/roger/internal/exactsim/crm"
)

// The admin API under /_sim/ is the simulator's own control surface (it has
// no counterpart in Exact Online): faults, scenario hooks, data mutations
// and the clock, for scripts and for tests written in other languages.

func (s *Simulator) adminRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /_sim/{$}", s.adminSummary)
	mux.HandleFunc("GET /_sim/faults", func(w http.ResponseWriter, r *http.Request) { adminJSON(w, http.StatusOK, s.Faults()) })
	mux.HandleFunc("POST /_sim/faults", s.adminAddFault)
	mux.HandleFunc("DELETE /_sim/faults", func(w http.ResponseWriter, r *http.Request) {
		adminJSON(w, http.StatusOK, map[string]int{"removed": s.ClearFaults(0)})
	})
	mux.HandleFunc("DELETE /_sim/faults/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.Atoi(r.PathValue("id"))
		if err != nil || id <= 0 {
			adminError(w, http.StatusBadRequest, "the fault id must be a positive number")
			return
		}
		adminJSON(w, http.StatusOK, map[string]int{"removed": s.ClearFaults(id)})
	})
	mux.HandleFunc("POST /_sim/apps", s.adminAddApp)
	mux.HandleFunc("POST /_sim/users", s.adminAddUser)
	mux.HandleFunc("POST /_sim/users/{name}/current-division", s.adminCurrentDivision)
	mux.HandleFunc("POST /_sim/divisions/{division}/move", s.adminMove)
	mux.HandleFunc("POST /_sim/divisions/{division}/mutate", s.adminMutate)
	mux.HandleFunc("POST /_sim/divisions/{division}/seed", s.adminSeed)
	mux.HandleFunc("POST /_sim/tokens/expire", s.adminExpire)
	mux.HandleFunc("POST /_sim/chains/supersede", s.adminSupersede)
	mux.HandleFunc("GET /_sim/webhooks/deliveries", func(w http.ResponseWriter, r *http.Request) { adminJSON(w, http.StatusOK, s.Deliveries()) })
	mux.HandleFunc("GET /_sim/usage", func(w http.ResponseWriter, r *http.Request) { adminJSON(w, http.StatusOK, s.Usage()) })
	mux.HandleFunc("POST /_sim/clock/advance", s.adminAdvance)
}

func adminJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func adminError(w http.ResponseWriter, status int, msg string) {
	adminJSON(w, status, map[string]string{"error": msg})
}

func decodeAdmin(w http.ResponseWriter, r *http.Request, v any) bool {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if len(strings.TrimSpace(string(body))) == 0 {
		return true
	}
	if err := json.Unmarshal(body, v); err != nil {
		adminError(w, http.StatusBadRequest, "the request body is not the expected JSON: "+err.Error())
		return false
	}
	return true
}

// Summary describes the simulator's state.
type Summary struct {
	Users     []UserSummary     `json:"users"`
	Apps      []AppSummary      `json:"apps"`
	Divisions []DivisionSummary `json:"divisions"`
	Stats     Stats             `json:"stats"`
}

// UserSummary is a user without the password.
type UserSummary struct {
	Name      string `json:"name"`
	ID        string `json:"id"`
	Divisions []int  `json:"divisions"`
	Current   int    `json:"current_division"`
}

// AppSummary is an app without its secrets.
type AppSummary struct {
	Name        string `json:"name"`
	ClientID    string `json:"client_id"`
	RedirectURI string `json:"redirect_uri"`
}

// DivisionSummary counts a division's records.
type DivisionSummary struct {
	Code      int       `json:"code"`
	Name      string    `json:"name"`
	Accounts  int       `json:"accounts"`
	Contacts  int       `json:"contacts"`
	Deleted   int       `json:"deleted_log"`
	Timestamp int64     `json:"last_timestamp"`
	MoveDate  time.Time `json:"division_move_date,omitzero"`
}

// Summarize returns the users, apps and divisions.
func (s *Simulator) Summarize() Summary {
	var out Summary
	for _, u := range s.Users() {
		out.Users = append(out.Users, UserSummary{Name: u.Name, ID: u.ID.String(), Divisions: u.Divisions, Current: u.Current})
	}
	for _, a := range s.Apps() {
		out.Apps = append(out.Apps, AppSummary{Name: a.Name, ClientID: a.ClientID.String(), RedirectURI: a.RedirectURI})
	}
	s.mu.RLock()
	for _, d := range s.divisions {
		out.Divisions = append(out.Divisions, DivisionSummary{Code: d.Code, Name: d.Name, Accounts: d.accounts.len(), Contacts: d.contacts.len(),
			Deleted: d.deleted.Len(), Timestamp: d.lastTS, MoveDate: d.MoveDate})
	}
	out.Stats = s.stats
	s.mu.RUnlock()
	sort.Slice(out.Divisions, func(i, j int) bool { return out.Divisions[i].Code < out.Divisions[j].Code })
	return out
}

func (s *Simulator) adminSummary(w http.ResponseWriter, r *http.Request) {
	adminJSON(w, http.StatusOK, s.Summarize())
}

func (s *Simulator) adminAddFault(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Fault
		Delay string `json:"delay"`
	}
	if !decodeAdmin(w, r, &in) {
		return
	}
	f := in.Fault
	if in.Delay != "" {
		d, err := time.ParseDuration(in.Delay)
		if err != nil {
			adminError(w, http.StatusBadRequest, "delay must be a duration such as 2s or 500ms")
			return
		}
		f.Delay = d
	}
	armed, err := s.AddFault(f)
	if err != nil {
		adminError(w, http.StatusBadRequest, err.Error())
		return
	}
	adminJSON(w, http.StatusCreated, armed)
}

func (s *Simulator) adminAddApp(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name         string `json:"name"`
		RedirectURI  string `json:"redirect_uri"`
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if !decodeAdmin(w, r, &in) {
		return
	}
	app, err := s.RegisterApp(in.Name, in.RedirectURI, in.ClientID, in.ClientSecret)
	if err != nil {
		adminError(w, http.StatusBadRequest, err.Error())
		return
	}
	adminJSON(w, http.StatusCreated, map[string]string{"name": app.Name, "client_id": app.ClientID.String(),
		"client_secret": app.Secret, "webhook_secret": app.WebhookSecret, "redirect_uri": app.RedirectURI})
}

func (s *Simulator) adminAddUser(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name      string `json:"name"`
		Password  string `json:"password"`
		Divisions []int  `json:"divisions"`
	}
	if !decodeAdmin(w, r, &in) {
		return
	}
	u, err := s.AddUser(in.Name, in.Password, in.Divisions...)
	if err != nil {
		adminError(w, http.StatusBadRequest, err.Error())
		return
	}
	adminJSON(w, http.StatusCreated, UserSummary{Name: u.Name, ID: u.ID.String(), Divisions: u.Divisions, Current: u.Current})
}

func pathDivision(w http.ResponseWriter, r *http.Request) (int, bool) {
	code, err := strconv.Atoi(r.PathValue("division"))
	if err != nil {
		adminError(w, http.StatusBadRequest, "the division must be a number")
		return 0, false
	}
	return code, true
}

func (s *Simulator) adminCurrentDivision(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Division int `json:"division"`
	}
	if !decodeAdmin(w, r, &in) {
		return
	}
	if err := s.SetCurrentDivision(r.PathValue("name"), in.Division); err != nil {
		adminError(w, http.StatusBadRequest, err.Error())
		return
	}
	adminJSON(w, http.StatusOK, map[string]int{"current_division": in.Division})
}

func (s *Simulator) adminMove(w http.ResponseWriter, r *http.Request) {
	code, ok := pathDivision(w, r)
	if !ok {
		return
	}
	if err := s.MoveDivision(code); err != nil {
		adminError(w, http.StatusNotFound, err.Error())
		return
	}
	adminJSON(w, http.StatusOK, map[string]string{"moved": strconv.Itoa(code)})
}

func (s *Simulator) adminMutate(w http.ResponseWriter, r *http.Request) {
	code, ok := pathDivision(w, r)
	if !ok {
		return
	}
	var in Mutation
	if !decodeAdmin(w, r, &in) {
		return
	}
	res, err := s.Mutate(code, in)
	if err != nil {
		adminError(w, http.StatusBadRequest, err.Error())
		return
	}
	adminJSON(w, http.StatusOK, res)
}

func (s *Simulator) adminSeed(w http.ResponseWriter, r *http.Request) {
	code, ok := pathDivision(w, r)
	if !ok {
		return
	}
	var in struct {
		Accounts int `json:"accounts"`
		Contacts int `json:"contacts"`
	}
	if !decodeAdmin(w, r, &in) {
		return
	}
	if in.Accounts < 1 && in.Contacts > 0 {
		adminError(w, http.StatusBadRequest, "contacts need at least one account to belong to")
		return
	}
	s.Seed(code, in.Accounts, in.Contacts)
	adminJSON(w, http.StatusOK, s.Summarize().Divisions)
}

func (s *Simulator) adminExpire(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ClientID string `json:"client_id"`
	}
	if !decodeAdmin(w, r, &in) {
		return
	}
	var id crm.GUID
	if in.ClientID != "" {
		var err error
		if id, err = crm.ParseGUID(in.ClientID); err != nil {
			adminError(w, http.StatusBadRequest, "client_id is not a GUID")
			return
		}
	}
	adminJSON(w, http.StatusOK, map[string]int{"expired": s.ExpireTokens(id)})
}

func (s *Simulator) adminSupersede(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ClientID string `json:"client_id"`
		User     string `json:"user"`
	}
	if !decodeAdmin(w, r, &in) {
		return
	}
	id, err := crm.ParseGUID(in.ClientID)
	if err != nil {
		adminError(w, http.StatusBadRequest, "client_id is not a GUID")
		return
	}
	if !s.SupersedeChain(id, in.User) {
		adminError(w, http.StatusNotFound, fmt.Sprintf("user %q has not authorized app %s yet", in.User, id))
		return
	}
	adminJSON(w, http.StatusOK, map[string]bool{"superseded": true})
}

// advancer is a clock that can be moved forward (clock.Fake, clock.Offset).
type advancer interface {
	Advance(time.Duration) time.Time
}

func (s *Simulator) adminAdvance(w http.ResponseWriter, r *http.Request) {
	var in struct {
		By string `json:"by"`
	}
	if !decodeAdmin(w, r, &in) {
		return
	}
	d, err := time.ParseDuration(in.By)
	if err != nil || d <= 0 {
		adminError(w, http.StatusBadRequest, `"by" must be a positive duration such as 10m or 720h`)
		return
	}
	a, ok := s.opts.Clock.(advancer)
	if !ok {
		adminError(w, http.StatusConflict, "this simulator runs on a clock that cannot be moved")
		return
	}
	adminJSON(w, http.StatusOK, map[string]time.Time{"now": a.Advance(d).UTC()})
}
