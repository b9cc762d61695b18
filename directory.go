package roger

// DirectoryHit is an entry found in the directory, with what a caller card
// needs of the replicator that brought it.
type DirectoryHit struct {
	// Entry is the entry; its Numbers are filled by searches, not by
	// number lookups.
	Entry Entry
	// Matched is the stored number a lookup found (Field, E164,
	// Extension); zero for searches.
	Matched Number
	// The replicator's name, Contact URL template and division, read
	// with the entry so a changed template shows at once.
	ReplicatorName string
	ContactURL     string
	Division       int
}

// ReplicatorVersion is where one replicator's part of the directory
// stands, with what lookups show of the replicator. Every change to its
// entries takes the next Version; in-memory copies of the directory use
// it to read only what changed since they last looked.
type ReplicatorVersion struct {
	ID         int64
	OrgID      int64
	Name       string
	ContactURL string
	Division   int
	Version    int64
	// RemovalsFloor is the newest version whose removals are no longer
	// kept: a copy older than that cannot learn what was removed and has
	// to read the replicator's entries afresh.
	RemovalsFloor int64
}

// Deletion is a record Exact reports deleted, with the Timestamp of the
// deletion: a local entry newer than that survives.
type Deletion struct {
	SourceID  string
	Timestamp int64
}

// Page is one page of changes and the sync position that follows it; they
// are committed together, so a crash repeats at most the pages of the
// transaction it interrupted.
type Page struct {
	ReplicatorID int64
	OrgID        int64
	Upserts      []Entry
	Deletes      []Deletion
	// The replicator's position after this page: Phase is the part of
	// the pass ResumeURL goes on with ("" is PhaseRecords).
	Cursor        int64
	DeletedCursor int64
	ResumeURL     string
	Phase         SyncPhase
	FullSync      bool
}

// DirectoryChange is what one commit of pages changed in a replicator's
// part of the directory: the entries it wrote, as stored, and the IDs of
// those it removed, taking the replicator's directory version from From
// to To. An in-memory copy of the directory that holds the replicator at
// From takes it without reading the entries back from the database.
type DirectoryChange struct {
	ReplicatorID int64
	OrgID        int64
	From, To     int64
	Entries      []*Entry
	Removed      []int64
}

// PageResult counts what a page changed.
type PageResult struct {
	Created int
	Updated int
	Deleted int
	// Stale counts upserts ignored because the directory already held a
	// newer version.
	Stale int
	// SetAside counts records the database refused; they are listed
	// (SetAsideRecord) instead of stopping the records after them.
	SetAside int
}

// Add adds what o counted to r.
func (r *PageResult) Add(o PageResult) {
	r.Created += o.Created
	r.Updated += o.Updated
	r.Deleted += o.Deleted
	r.Stale += o.Stale
	r.SetAside += o.SetAside
}

// EntryFilter selects entries.
type EntryFilter struct {
	OrgID        int64
	ReplicatorID int64 // 0: all of the organisation
	E164         string
	Unparseable  bool // only entries with a number that did not parse
	Cleaned      bool // only entries whose text was cleaned to be stored
	Limit        int  // 0: no limit
}
