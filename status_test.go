package roger

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"strconv"
	"testing"
)

func TestHTTPStatus(t *testing.T) {
	tests := []struct {
		name string
		code ErrorCode
		want int
	}{
		{"invalid input", EINVALID, http.StatusBadRequest},
		{"not signed in", EUNAUTHORIZED, http.StatusUnauthorized},
		{"not allowed", EFORBIDDEN, http.StatusForbidden},
		{"not found", ENOTFOUND, http.StatusNotFound},
		{"conflict", ECONFLICT, http.StatusConflict},
		{"dependency unavailable", EUNAVAILABLE, http.StatusServiceUnavailable},
		{"authorization gone", EREAUTHORIZE, http.StatusServiceUnavailable},
		{"internal", EINTERNAL, http.StatusInternalServerError},
		{"unknown code", ErrorCode("no-such-code"), http.StatusInternalServerError},
		{"no code", ErrorCode(""), http.StatusInternalServerError},
	}
	tested := map[ErrorCode]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HTTPStatus(tt.code); got != tt.want {
				t.Errorf("HTTPStatus(%q) = %d; want %d", tt.code, got, tt.want)
			}
		})
		tested[tt.code] = true
	}
	// Every code declared in roger.go has its own row in the table and
	// in this test: a new code cannot fall through to 500 unnoticed.
	for _, code := range declaredErrorCodes(t) {
		if _, ok := httpStatuses[code]; !ok {
			t.Errorf("error code %q has no HTTP status in the table", code)
		}
		if !tested[code] {
			t.Errorf("error code %q is not tested", code)
		}
	}
}

// declaredErrorCodes returns the constants of type ErrorCode in roger.go.
func declaredErrorCodes(t *testing.T) []ErrorCode {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "roger.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []ErrorCode
	for _, decl := range f.Decls {
		g, ok := decl.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			v := spec.(*ast.ValueSpec)
			if id, ok := v.Type.(*ast.Ident); !ok || id.Name != "ErrorCode" {
				continue
			}
			for _, lit := range v.Values {
				if b, ok := lit.(*ast.BasicLit); ok && b.Kind == token.STRING {
					s, err := strconv.Unquote(b.Value)
					if err != nil {
						t.Fatal(err)
					}
					out = append(out, ErrorCode(s))
				}
			}
		}
	}
	if len(out) < 8 {
		t.Fatalf("found %d error codes in roger.go; the constants moved?", len(out))
	}
	return out
}
