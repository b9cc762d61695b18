package roger

import "time"

// SetAsideRecord is a record of Exact that the database refused to store
// (a value too long, a constraint). It is listed with its replicator
// rather than stopping the records after it, until a later version of it
// is stored, Exact deletes it, or a full pass no longer finds it.
type SetAsideRecord struct {
	ReplicatorID int64
	// SourceID is the record's Exact id, made storable when it was the
	// problem.
	SourceID    string
	Kind        Kind
	DisplayName string
	// Reason says why the database refused it, for the person who can
	// correct the record in Exact.
	Reason string
	At     time.Time
}
