package exactsim

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
)

// Consent does what a person does with an authorize URL: sign in on the
// simulator's login page and press Allow on the consent page. It returns
// the redirect the simulator answers with (the app's redirect URI with
// code and state), without following it. Scripts and tests use it where a
// browser is not the point.
func Consent(ctx context.Context, client *http.Client, authorizeURL, user, password string) (*url.URL, error) {
	u, err := url.Parse(authorizeURL)
	if err != nil || !strings.HasSuffix(u.Path, "/api/oauth2/auth") {
		return nil, fmt.Errorf("consent: %q is not an authorize URL (…/api/oauth2/auth?…)", authorizeURL)
	}
	c := http.Client{}
	if client != nil {
		c = *client
	}
	if c.Jar == nil {
		c.Jar, _ = cookiejar.New(nil)
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	form := u.Query()
	endpoint := u.Scheme + "://" + u.Host + u.Path
	post := func(form url.Values) (*http.Response, string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
		if err != nil {
			return nil, "", err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := c.Do(req)
		if err != nil {
			return nil, "", err
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		return resp, string(b), nil
	}
	login := url.Values{}
	for k, v := range form {
		login[k] = v
	}
	login.Set("username", user)
	login.Set("password", password)
	resp, body, err := post(login)
	if err != nil {
		return nil, fmt.Errorf("consent: sign in: %w", err)
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `value="allow"`) {
		return nil, fmt.Errorf("consent: signing in as %q did not lead to the consent page (status %d)", user, resp.StatusCode)
	}
	form.Set("consent", "allow")
	resp, _, err = post(form)
	if err != nil {
		return nil, fmt.Errorf("consent: allow: %w", err)
	}
	if resp.StatusCode != http.StatusFound {
		return nil, fmt.Errorf("consent: allowing did not redirect (status %d)", resp.StatusCode)
	}
	return url.Parse(resp.Header.Get("Location"))
}
