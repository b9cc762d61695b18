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

// AuditFilter selects audit events of one organisation, newest first.
// Empty fields select everything.
type AuditFilter struct {
	OrgID  int64
	Actor  string
	Action string
	// Target selects the events on one thing, such as "replicator/7":
	// the target itself and the target followed by a space and its name.
	Target string
	// From and To bound the time (unix ms, To exclusive); zero is open.
	From, To int64
	// Before pages back: only events with a smaller ID.
	Before int64
	Limit  int
}
