package exactsim

import (
	"embed"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/roger365io/roger/internal/exactsim/crm"
)

//go:embed templates/*.html
var templateFS embed.FS

var pages = template.Must(template.ParseFS(templateFS, "templates/*.html"))

const sessionCookie = "ExactSimSession"

// page is what every template gets.
type page struct {
	Title  string
	Prefix string
	Base   string
	Region string
	User   *User
	Error  string

	Action string
	Hidden map[string]string
	App    *App
	Apps   []App
	Form   registerForm

	Divisions []*division
	Division  *division
	Accounts  []*crm.Account
	Account   *crm.Account
	Contacts  []*crm.Contact
	Contact   *crm.Contact
	Query     string
	Prev      string
	Next      string
	Total     int
}

type registerForm struct {
	Name        string
	RedirectURI string
	Terms       bool
}

func (s *Simulator) newPage(r *http.Request, title string) *page {
	h := host(r.Context())
	p := &page{Title: title, Prefix: h.prefix, Base: baseURL(r), Region: h.region}
	if u := s.sessionUser(r); u != nil {
		cp := *u
		p.User = &cp
	}
	return p
}

func render(w http.ResponseWriter, status int, name string, p *page) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = pages.ExecuteTemplate(w, name, p)
}

func (s *Simulator) sessionUser(r *http.Request) *User {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	name, ok := s.sessions[c.Value]
	if !ok {
		return nil
	}
	return s.users[name]
}

// checkPassword returns the user for a correct name and password.
func (s *Simulator) checkPassword(name, password string) *User {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.users[strings.ToLower(strings.TrimSpace(name))]
	if !ok || u.Password != password {
		return nil
	}
	return u
}

func (s *Simulator) startSession(w http.ResponseWriter, r *http.Request, u *User) {
	id := randomToken(24, false)
	s.mu.Lock()
	s.sessions[id] = strings.ToLower(u.Name)
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
}

func (s *Simulator) handleHome(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		render(w, http.StatusNotFound, "error", &page{Title: "Not found", Error: "There is no page at " + r.URL.Path + "."})
		return
	}
	render(w, http.StatusOK, "home", s.newPage(r, "Home"))
}

// localReturn keeps a ReturnUrl on this simulator, so the login page cannot
// be used to send people elsewhere.
func localReturn(prefix, raw string) string {
	if raw == "" || !strings.HasPrefix(raw, "/") || strings.HasPrefix(raw, "//") || strings.Contains(raw, `\`) {
		return prefix + "/docs/MenuPortal.aspx"
	}
	return raw
}

func (s *Simulator) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, "Sign in")
	p.Action = p.Prefix + "/docs/Login.aspx"
	p.Hidden = map[string]string{"ReturnUrl": localReturn(p.Prefix, r.URL.Query().Get("ReturnUrl"))}
	render(w, http.StatusOK, "login", p)
}

func (s *Simulator) handleLogin(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	p := s.newPage(r, "Sign in")
	ret := localReturn(p.Prefix, r.PostForm.Get("ReturnUrl"))
	u := s.checkPassword(r.PostForm.Get("username"), r.PostForm.Get("password"))
	if u == nil {
		p.Action = p.Prefix + "/docs/Login.aspx"
		p.Hidden = map[string]string{"ReturnUrl": ret}
		p.Error = "The username or password is incorrect."
		render(w, http.StatusUnauthorized, "login", p)
		return
	}
	s.startSession(w, r, u)
	http.Redirect(w, r, ret, http.StatusSeeOther)
}

func (s *Simulator) handleLogout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.mu.Lock()
		delete(s.sessions, c.Value)
		s.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1})
	http.Redirect(w, r, host(r.Context()).prefix+"/", http.StatusSeeOther)
}

// requireUser sends a visitor without a session to the login page, as
// Exact's "Object moved" redirect does.
func (s *Simulator) requireUser(w http.ResponseWriter, r *http.Request) *User {
	if u := s.sessionUser(r); u != nil {
		return u
	}
	ret := host(r.Context()).prefix + r.URL.RequestURI()
	http.Redirect(w, r, host(r.Context()).prefix+"/docs/Login.aspx?ReturnUrl="+url.QueryEscape(ret), http.StatusFound)
	return nil
}

// --- OAuth authorize: login, consent, redirect ---

var authorizeParams = []string{"client_id", "redirect_uri", "response_type", "state", "force_login", "scope"}

func (s *Simulator) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	q := r.Form
	p := s.newPage(r, "Sign in")
	p.Action = p.Prefix + "/api/oauth2/auth"
	p.Hidden = map[string]string{}
	for _, k := range authorizeParams {
		if v := q.Get(k); v != "" {
			p.Hidden[k] = v
		}
	}
	app, msg := s.authorizeApp(q)
	if msg != "" {
		p.Title, p.Error = "Authorization failed", msg
		render(w, http.StatusBadRequest, "error", p)
		return
	}
	p.App = app

	user := s.sessionUser(r)
	switch {
	case r.Method == http.MethodPost && r.PostForm.Has("username"):
		user = s.checkPassword(r.PostForm.Get("username"), r.PostForm.Get("password"))
		if user == nil {
			p.Error = "The username or password is incorrect."
			render(w, http.StatusUnauthorized, "login", p)
			return
		}
		s.startSession(w, r, user)
		p.User = user
	case user == nil || q.Get("force_login") == "1":
		p.User = nil
		render(w, http.StatusOK, "login", p)
		return
	}

	switch r.PostForm.Get("consent") {
	case "allow":
		code := randomToken(96, true)
		s.mu.Lock()
		s.codes[code] = &authCode{clientID: app.ClientID, user: strings.ToLower(user.Name), redirectURI: app.RedirectURI,
			region: region(r.Context()), expires: s.now().Add(codeLifetime)}
		s.mu.Unlock()
		redirectBack(w, r, app.RedirectURI, url.Values{"code": {code}, "state": {q.Get("state")}})
	case "deny":
		redirectBack(w, r, app.RedirectURI, url.Values{"error": {"access_denied"}, "error_description": {"The user denied access."}, "state": {q.Get("state")}})
	default:
		p.Title = "Grant access"
		render(w, http.StatusOK, "consent", p)
	}
}

// authorizeApp validates the authorize request; a bad one is shown to the
// person, never redirected, as a redirect URI that does not match must not
// receive anything.
func (s *Simulator) authorizeApp(q url.Values) (*App, string) {
	id, err := crm.ParseGUID(q.Get("client_id"))
	if err != nil {
		return nil, "The client_id is missing or is not a valid app id."
	}
	s.mu.RLock()
	app, ok := s.apps[id]
	s.mu.RUnlock()
	if !ok {
		return nil, "There is no app with client_id " + id.String() + " in the App Center."
	}
	if q.Get("redirect_uri") != app.RedirectURI {
		return nil, "The redirect_uri " + strconv.Quote(q.Get("redirect_uri")) + " does not match the redirect URI registered for app " + strconv.Quote(app.Name) + "."
	}
	if rt := q.Get("response_type"); rt != "code" {
		return nil, "The response_type " + strconv.Quote(rt) + " is not supported; use response_type=code."
	}
	cp := *app
	return &cp, ""
}

func redirectBack(w http.ResponseWriter, r *http.Request, redirectURI string, v url.Values) {
	u, _ := url.Parse(redirectURI)
	q := u.Query()
	for k, vals := range v {
		if len(vals) > 0 && vals[0] != "" {
			q.Set(k, vals[0])
		}
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// --- App Center ---

func (s *Simulator) handleAppCenter(w http.ResponseWriter, r *http.Request) {
	if s.requireUser(w, r) == nil {
		return
	}
	p := s.newPage(r, "Manage my apps")
	p.Apps = s.Apps()
	render(w, http.StatusOK, "appcenter", p)
}

func (s *Simulator) handleRegisterForm(w http.ResponseWriter, r *http.Request) {
	if s.requireUser(w, r) == nil {
		return
	}
	render(w, http.StatusOK, "register", s.newPage(r, "Register an app"))
}

func (s *Simulator) handleRegister(w http.ResponseWriter, r *http.Request) {
	if s.requireUser(w, r) == nil {
		return
	}
	_ = r.ParseForm()
	p := s.newPage(r, "Register an app")
	p.Form = registerForm{Name: strings.TrimSpace(r.PostForm.Get("name")), RedirectURI: strings.TrimSpace(r.PostForm.Get("redirect_uri")), Terms: r.PostForm.Get("terms") != ""}
	switch {
	case p.Form.Name == "":
		p.Error = "Enter a name for the app."
	case !p.Form.Terms:
		p.Error = "Accept the App Center Terms and Conditions of Use to register an app."
	}
	var app *App
	if p.Error == "" {
		var err error
		if app, err = s.RegisterApp(p.Form.Name, p.Form.RedirectURI, "", ""); err != nil {
			p.Error = "The app was not registered: " + err.Error() + "."
		}
	}
	if p.Error != "" {
		render(w, http.StatusBadRequest, "register", p)
		return
	}
	http.Redirect(w, r, p.Prefix+"/appcenter/apps/"+app.ClientID.String(), http.StatusSeeOther)
}

func (s *Simulator) handleApp(w http.ResponseWriter, r *http.Request) {
	if s.requireUser(w, r) == nil {
		return
	}
	p := s.newPage(r, "App")
	id, err := crm.ParseGUID(r.PathValue("id"))
	s.mu.RLock()
	app, ok := s.apps[id]
	s.mu.RUnlock()
	if err != nil || !ok {
		p.Title, p.Error = "App not found", "There is no app with this id."
		render(w, http.StatusNotFound, "error", p)
		return
	}
	cp := *app
	p.App = &cp
	p.Title = app.Name
	render(w, http.StatusOK, "app", p)
}

// --- Companies, relations and cards ---

func (s *Simulator) handleCompanies(w http.ResponseWriter, r *http.Request) {
	u := s.requireUser(w, r)
	if u == nil {
		return
	}
	p := s.newPage(r, "Companies")
	s.mu.RLock()
	for _, code := range u.Divisions {
		if d, ok := s.divisions[code]; ok {
			p.Divisions = append(p.Divisions, d)
		}
	}
	s.mu.RUnlock()
	sort.Slice(p.Divisions, func(i, j int) bool { return p.Divisions[i].Code < p.Divisions[j].Code })
	render(w, http.StatusOK, "companies", p)
}

// pageDivision finds the division of a page's _Division_ parameter and, as
// Exact's web UI does, makes it the user's current division.
func (s *Simulator) pageDivision(w http.ResponseWriter, r *http.Request, u *User, p *page) *division {
	code, err := strconv.Atoi(r.URL.Query().Get("_Division_"))
	s.mu.Lock()
	d, ok := s.divisions[code]
	allowed := ok && err == nil && hasDivision(u, code)
	if allowed {
		u.Current = code
	}
	s.mu.Unlock()
	if !allowed {
		p.Title, p.Error = "No access", "You have no access to division "+r.URL.Query().Get("_Division_")+"."
		render(w, http.StatusForbidden, "error", p)
		return nil
	}
	return d
}

func hasDivision(u *User, code int) bool {
	for _, d := range u.Divisions {
		if d == code {
			return true
		}
	}
	return false
}

const relationsPageSize = 50

func (s *Simulator) handleRelations(w http.ResponseWriter, r *http.Request) {
	u := s.requireUser(w, r)
	if u == nil {
		return
	}
	p := s.newPage(r, "Relations")
	d := s.pageDivision(w, r, u, p)
	if d == nil {
		return
	}
	p.Division = d
	p.Query = strings.TrimSpace(r.URL.Query().Get("q"))
	offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	offset = max(offset, 0)
	needle := strings.ToLower(p.Query)
	s.mu.RLock()
	d.accounts.byID.Ascend(func(a *crm.Account) bool {
		if needle != "" && !strings.Contains(strings.ToLower(a.Name), needle) {
			return true
		}
		if p.Total >= offset && len(p.Accounts) < relationsPageSize {
			cp := *a
			p.Accounts = append(p.Accounts, &cp)
		}
		p.Total++
		return true
	})
	s.mu.RUnlock()
	link := func(off int) string {
		v := url.Values{"_Division_": {strconv.Itoa(d.Code)}, "offset": {strconv.Itoa(off)}}
		if p.Query != "" {
			v.Set("q", p.Query)
		}
		return p.Prefix + "/docs/CRMAccounts.aspx?" + v.Encode()
	}
	if offset > 0 {
		p.Prev = link(max(offset-relationsPageSize, 0))
	}
	if offset+relationsPageSize < p.Total {
		p.Next = link(offset + relationsPageSize)
	}
	render(w, http.StatusOK, "relations", p)
}

func (s *Simulator) handleAccountCard(w http.ResponseWriter, r *http.Request) {
	u := s.requireUser(w, r)
	if u == nil {
		return
	}
	p := s.newPage(r, "Account")
	d := s.pageDivision(w, r, u, p)
	if d == nil {
		return
	}
	p.Division = d
	id, err := crm.ParseGUID(r.URL.Query().Get("AccountID"))
	s.mu.RLock()
	a, ok := d.accounts.get(id)
	if ok {
		cp := *a
		p.Account = &cp
		d.contacts.byID.Ascend(func(c *crm.Contact) bool {
			if c.Account == id {
				cc := *c
				p.Contacts = append(p.Contacts, &cc)
			}
			return true
		})
	}
	s.mu.RUnlock()
	if err != nil || !ok {
		p.Title, p.Error = "Not found", "There is no account with this AccountID in division "+strconv.Itoa(d.Code)+"."
		render(w, http.StatusNotFound, "error", p)
		return
	}
	p.Title = a.Name
	render(w, http.StatusOK, "account", p)
}

func (s *Simulator) handleContactCard(w http.ResponseWriter, r *http.Request) {
	u := s.requireUser(w, r)
	if u == nil {
		return
	}
	p := s.newPage(r, "Contact")
	d := s.pageDivision(w, r, u, p)
	if d == nil {
		return
	}
	p.Division = d
	id, err := crm.ParseGUID(r.URL.Query().Get("_ID"))
	s.mu.RLock()
	c, ok := d.contacts.get(id)
	if ok {
		cp := *c
		p.Contact = &cp
		if a, ok := d.accounts.get(c.Account); ok {
			ac := *a
			p.Account = &ac
		}
	}
	s.mu.RUnlock()
	if err != nil || !ok {
		p.Title, p.Error = "Not found", "There is no contact with this _ID in division "+strconv.Itoa(d.Code)+"."
		render(w, http.StatusNotFound, "error", p)
		return
	}
	p.Title = c.FullName()
	render(w, http.StatusOK, "contact", p)
}
