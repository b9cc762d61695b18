package exactsim

import "net/http"

func (s *Simulator) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", s.handleHome)
	mux.HandleFunc("GET /docs/Login.aspx", s.handleLoginPage)
	mux.HandleFunc("POST /docs/Login.aspx", s.handleLogin)
	mux.HandleFunc("POST /docs/Logout.aspx", s.handleLogout)
	mux.HandleFunc("GET /docs/MenuPortal.aspx", s.handleCompanies)
	mux.HandleFunc("GET /docs/CRMAccounts.aspx", s.handleRelations)
	mux.HandleFunc("GET /docs/CRMAccountCard.aspx", s.handleAccountCard)
	mux.HandleFunc("GET /docs/CRMContactCard.aspx", s.handleContactCard)

	mux.HandleFunc("GET /appcenter", s.handleAppCenter)
	mux.HandleFunc("GET /appcenter/register", s.handleRegisterForm)
	mux.HandleFunc("POST /appcenter/register", s.handleRegister)
	mux.HandleFunc("GET /appcenter/apps/{id}", s.handleApp)

	mux.HandleFunc("GET /api/oauth2/auth", s.handleAuthorize)
	mux.HandleFunc("POST /api/oauth2/auth", s.handleAuthorize)
	mux.HandleFunc("POST /api/oauth2/token", s.withTargetedFaults(s.handleToken))
	mux.HandleFunc("GET /api/v1/current/Me", s.withTargetedFaults(s.handleMe))
	mux.HandleFunc("/api/v1/{division}/{path...}", s.handleDivisionAPI)

	s.adminRoutes(mux)
	mux.HandleFunc("/", s.handleHome)
}
