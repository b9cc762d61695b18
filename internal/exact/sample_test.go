package exact

import (
	"context"
	"testing"

	"github.com/roger365io/roger/internal/exactsim"
)

func TestFirstRecordCostsOneCall(t *testing.T) {
	e := newEnv(t, exactsim.Options{}, "", 3, 4)
	e.login()
	c := e.client()
	ctx := context.Background()
	a, err := c.FirstAccount(ctx, testDivision)
	if err != nil || a == nil || a.ID == "" || a.Name == "" {
		t.Fatalf("first account: %+v %v", a, err)
	}
	ct, err := c.FirstContact(ctx, testDivision)
	if err != nil || ct == nil || ct.ID == "" || ct.Account == "" {
		t.Fatalf("first contact: %+v %v", ct, err)
	}
	if n := c.Calls(); n != 2 {
		t.Fatalf("%d calls for two samples, want 2", n)
	}
	empty := newEnv(t, exactsim.Options{}, "", 0, 0)
	empty.login()
	if a, err := empty.client().FirstAccount(ctx, testDivision); err != nil || a != nil {
		t.Fatalf("empty division: %+v %v", a, err)
	}
}
