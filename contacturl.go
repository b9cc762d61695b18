package roger

import (
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// ContactURL is a replicator's link template into the CRM, such as
// https://start.exactonline.nl/docs/CRMAccountCard.aspx?AccountID=%7b{CompanyId}%7d&_Division_=123456.
type ContactURL struct {
	Template string
	// Division is the _Division_ the template names, 0 when it names none.
	Division int
	// Host is the scheme and host of the template.
	Host string
}

var placeholder = regexp.MustCompile(`\{[^{}]*\}`)

// Placeholders are the names a Contact URL may use.
var Placeholders = []string{"{SourceId}", "{CompanyId}", "{Division}"}

// ParseContactURL checks a Contact URL template: an absolute http(s) URL
// whose placeholders are all known. Errors say what to change.
func ParseContactURL(tmpl string) (*ContactURL, error) {
	tmpl = strings.TrimSpace(tmpl)
	if tmpl == "" {
		return nil, Errorf(EINVALID, "Contact URL: enter the link to the Exact Online card, for example https://start.exactonline.nl/docs/CRMContactCard.aspx?_ID=%%7b{SourceId}%%7d&_Division_=123456.")
	}
	for _, p := range placeholder.FindAllString(tmpl, -1) {
		known := false
		for _, k := range Placeholders {
			if p == k {
				known = true
			}
		}
		if !known {
			return nil, Errorf(EINVALID, "Contact URL: %s is not a placeholder roger knows; use %s.", p, strings.Join(Placeholders, ", "))
		}
	}
	if strings.Count(tmpl, "{") != strings.Count(tmpl, "}") || strings.Contains(placeholder.ReplaceAllString(tmpl, ""), "{") {
		return nil, Errorf(EINVALID, "Contact URL: a { or } has no partner; placeholders look like {SourceId}.")
	}
	// A placeholder before the path would let a record's values choose
	// the host the link opens.
	if scheme, rest, ok := strings.Cut(tmpl, "://"); ok {
		authority, _, _ := strings.Cut(rest, "/")
		authority, _, _ = strings.Cut(authority, "?")
		authority, _, _ = strings.Cut(authority, "#")
		if strings.Contains(scheme+authority, "{") {
			return nil, Errorf(EINVALID, "Contact URL: a placeholder cannot be part of the host name; put it in the path or after the ?, as in https://start.exactonline.nl/docs/CRMContactCard.aspx?_ID=%%7b{SourceId}%%7d.")
		}
	}
	probe := placeholder.ReplaceAllString(tmpl, "x")
	u, err := url.Parse(probe)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, Errorf(EINVALID, "Contact URL: %q is not an absolute web address; it must start with https:// (copy it from your browser's address bar in Exact Online).", tmpl)
	}
	c := &ContactURL{Template: tmpl, Host: u.Scheme + "://" + u.Host}
	for key, vals := range u.Query() {
		if strings.EqualFold(key, "_Division_") && len(vals) > 0 && vals[0] != "x" {
			d, err := strconv.Atoi(vals[0])
			if err != nil || d <= 0 {
				return nil, Errorf(EINVALID, "Contact URL: _Division_=%s is not a division number; copy the number after _Division_= from an Exact Online link.", vals[0])
			}
			c.Division = d
		}
	}
	return c, nil
}

// Render fills the template for one entry; values are URL-escaped.
func (c *ContactURL) Render(sourceID, companyID string, division int) string {
	return placeholder.ReplaceAllStringFunc(c.Template, func(p string) string {
		switch p {
		case "{SourceId}":
			return url.QueryEscape(sourceID)
		case "{CompanyId}":
			return url.QueryEscape(companyID)
		case "{Division}":
			return strconv.Itoa(division)
		}
		return p
	})
}

// IsLoopbackHost reports whether host (a name or an address, without a
// port; IPv6 with or without brackets) is this machine: localhost or a
// loopback address.
func IsLoopbackHost(host string) bool {
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ExactHosts are the Exact Online deployments, by country.
var ExactHosts = []string{"start.exactonline.nl", "start.exactonline.be", "start.exactonline.de", "start.exactonline.fr",
	"start.exactonline.es", "start.exactonline.co.uk", "start.exactonline.com"}

// ParseExactURL checks the base URL of an Exact Online host: one of
// ExactHosts over https, or a simulator on this machine (http or https on
// localhost or a loopback address, with an optional country path such as
// /be). It returns the URL without a trailing slash.
func ParseExactURL(raw string) (string, error) {
	raw = strings.TrimRight(strings.TrimSpace(raw), "/")
	u, err := url.Parse(raw)
	bad := Errorf(EINVALID, "Exact URL %q is not an Exact Online host: use https://start.exactonline.nl (or .be, .de, .fr, .es, .co.uk, .com), or the address of roger exactsim such as http://127.0.0.1:8090.", raw)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", bad
	}
	host := strings.ToLower(u.Hostname())
	for _, h := range ExactHosts {
		if host == h {
			if u.Scheme != "https" || (u.Path != "" && u.Path != "/") || u.Port() != "" {
				return "", bad
			}
			return "https://" + h, nil
		}
	}
	if !IsLoopbackHost(host) || (u.Scheme != "http" && u.Scheme != "https") {
		return "", bad
	}
	return raw, nil
}
