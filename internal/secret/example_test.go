package secret_test

import (
	"fmt"

	"github.com/roger365io/roger/internal/secret"
)

// A value is sealed for the row that stores it, opens there, and stays
// readable after a new key is added, until it is re-sealed under that key.
func Example() {
	oldKey, _ := secret.GenerateKey()
	keys, _ := secret.NewKeyring(oldKey)
	sealed, _ := keys.Seal([]byte("client-secret-123"), "replicator/42/client_secret")

	plain, _ := keys.Open(sealed, "replicator/42/client_secret")
	fmt.Printf("%s\n", plain)

	_, err := keys.Open(sealed, "replicator/43/client_secret")
	fmt.Println("in another row:", err != nil)

	newKey, _ := secret.GenerateKey()
	rotated, _ := secret.NewKeyring(oldKey, newKey)
	fmt.Println("current:", rotated.IsCurrent(sealed))
	resealed, changed, _ := rotated.Reseal(sealed, "replicator/42/client_secret")
	fmt.Println("re-sealed:", changed, rotated.IsCurrent(resealed))
	// Output:
	// client-secret-123
	// in another row: true
	// current: false
	// re-sealed: true true
}
