package roger

// AccountCountry is the Country an Exact account names, as a contacts
// replicator keeps it: a contact that names no country of its own is read
// with its account's.
type AccountCountry struct {
	// AccountID is the account's Exact GUID, written as entries write
	// CompanyID (lower case, no braces).
	AccountID string
	// Country is Exact's value, trimmed; "" when the account names none.
	Country string
	// Timestamp is Exact's rowversion of this version of the account.
	Timestamp int64
}

// AccountCountryPage is one page of accounts' countries and the accounts
// cursor that follows it; they are committed together, as a Page of
// records is with its cursor.
type AccountCountryPage struct {
	ReplicatorID int64
	OrgID        int64
	Countries    []AccountCountry
	// Cursor is the highest Timestamp read so far; ResumeURL the __next
	// link the read goes on with, "" after its last page.
	Cursor    int64
	ResumeURL string
}
