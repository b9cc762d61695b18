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
