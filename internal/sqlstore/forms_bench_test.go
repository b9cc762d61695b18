package sqlstore

import (
	"context"
	"strconv"
	"testing"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/sqlstore/sqltest"
)

// BenchmarkFormSubmission measures what a one-time form token adds to a
// form post: its claim and the note of where it went, two small writes,
// on SQLite and (with ROGER_TEST_POSTGRES) PostgreSQL.
func BenchmarkFormSubmission(b *testing.B) {
	for _, db := range sqltest.BenchDatabases(b) {
		dsn := db.DSN
		b.Run(db.Name, func(b *testing.B) {
			ctx := context.Background()
			s, org, _ := benchReplicator(b, dsn())
			u := &roger.User{OrgID: org.ID, Email: "bench@example.nl", PasswordHash: "h"}
			if err := s.CreateUser(ctx, u); err != nil {
				b.Fatal(err)
			}
			if err := s.CreateSession(ctx, &roger.Session{IDHash: "bench", UserID: u.ID, OrgID: org.ID}); err != nil {
				b.Fatal(err)
			}
			n := 0
			for b.Loop() {
				n++
				nonce := strconv.Itoa(n)
				if claimed, _, err := s.ClaimFormSubmission(ctx, "bench", nonce); err != nil || !claimed {
					b.Fatalf("claim: %v %v", claimed, err)
				}
				if err := s.FinishFormSubmission(ctx, "bench", nonce, "/replicators"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
