package roger

import "time"

// Session is an admin signed in to the portal. Its ID is the SHA-256 of
// the token in the browser's cookie; the token itself is never stored.
type Session struct {
	IDHash string
	UserID int64
	OrgID  int64
	Email  string
	// Role is the admin's role as it is now, read with the session.
	Role     Role
	Created  time.Time
	LastSeen time.Time
}

// SignInLimit is one count a sign-in attempt is held against: a key (an
// account, or a client address) and the attempts it allows within the
// throttle's window.
type SignInLimit struct {
	Key string
	Max int
}
