package config

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// databaseForms says what ROGER_DATABASE_URL accepts; every refusal ends
// with it.
const databaseForms = "use postgres://USER:PASSWORD@HOST:5432/DATABASE (or postgresql://…) for PostgreSQL, or the path of a SQLite file in an existing directory, such as /var/lib/roger/roger.db"

var (
	// urlScheme is the scheme of a value that was meant as a URL.
	urlScheme = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]*):`)
	// keywordDSN is the start of a libpq "host=… password=…" string.
	keywordDSN = regexp.MustCompile(`^\s*[A-Za-z_]+\s*=`)
	// keywordPassword is a password in such a string.
	keywordPassword = regexp.MustCompile(`(?i)\b(password|sslpassword)\s*=\s*('[^']*'|\S+)`)
	// userPassword is the USER:PASSWORD@ of a URL whose scheme is missing.
	userPassword = regexp.MustCompile(`^([^:@/]*):[^@]*@`)
)

// checkDatabaseURL refuses a ROGER_DATABASE_URL that names neither a
// PostgreSQL server nor a SQLite file in a directory that exists. Without
// this, a typo (mysql://…, a path under a directory that is not there)
// became a new, empty SQLite file, and roger ran on it as if nothing were
// wrong. Messages never show the value's password.
func checkDatabaseURL(v string) error {
	if isPostgres(v) {
		u, err := url.Parse(v)
		if err != nil || u.Opaque != "" {
			return fmt.Errorf("ROGER_DATABASE_URL %s is not a valid URL: %s", RedactDatabaseURL(v), databaseForms)
		}
		return nil
	}
	if keywordDSN.MatchString(v) {
		return fmt.Errorf("ROGER_DATABASE_URL looks like a PostgreSQL key=value connection string, which roger does not read: %s", databaseForms)
	}
	path := v[len(filepath.VolumeName(v)):]
	if m := urlScheme.FindStringSubmatch(path); m != nil {
		return fmt.Errorf("ROGER_DATABASE_URL %s: roger does not know the scheme %q: %s", RedactDatabaseURL(v), m[1], databaseForms)
	}
	if strings.Contains(path, ":") {
		// A colon in a file name is almost always half of a URL.
		return fmt.Errorf("ROGER_DATABASE_URL %s is neither a postgres:// URL nor a file path (a SQLite file name has no colon): %s", RedactDatabaseURL(v), databaseForms)
	}
	dir := filepath.Dir(v)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("ROGER_DATABASE_URL %s: the directory %s does not exist; create it first or correct the path (roger creates the SQLite file, not its directory): %s", v, dir, databaseForms)
	}
	if fi, err := os.Stat(v); err == nil && fi.IsDir() {
		return fmt.Errorf("ROGER_DATABASE_URL %s is a directory: name the SQLite file in it, such as %s", v, filepath.Join(v, "roger.db"))
	}
	return nil
}

func isPostgres(v string) bool {
	return strings.HasPrefix(v, "postgres://") || strings.HasPrefix(v, "postgresql://")
}

// RedactDatabaseURL returns a database URL fit for logs and messages: the
// password of its user part and every query parameter that can hold a
// secret (password=, sslpassword=, …) replaced by xxxxx. A file path is
// returned as it is; a URL that does not parse is reduced to its scheme.
func RedactDatabaseURL(v string) string {
	if !strings.Contains(v, "://") {
		v = userPassword.ReplaceAllString(v, "${1}:xxxxx@")
		return keywordPassword.ReplaceAllString(v, "${1}=xxxxx")
	}
	u, err := url.Parse(v)
	if err != nil {
		scheme, _, _ := strings.Cut(v, "://")
		return scheme + "://… (not shown: it is not a valid URL)"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	if u.RawQuery != "" {
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			u.RawQuery = "… (not shown: it is not a valid query)"
		} else {
			for name := range q {
				if secretParam(name) {
					q[name] = []string{"xxxxx"}
				}
			}
			u.RawQuery = q.Encode()
		}
	}
	return u.String()
}

// secretParam reports whether a query parameter of a database URL can
// hold a secret.
func secretParam(name string) bool {
	n := strings.ToLower(name)
	return strings.Contains(n, "password") || strings.Contains(n, "secret") || strings.Contains(n, "token") || n == "pass" || n == "pwd"
}
