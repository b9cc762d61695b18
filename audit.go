package roger

// AuditEvent is one line of an organisation's audit log: an admin action
// or an authorization. It holds no secrets; admins see it as it is.
type AuditEvent struct {
	ID     int64
	OrgID  int64
	At     int64 // unix ms
	Actor  string
	Action string
	Target string
	Detail string
}
