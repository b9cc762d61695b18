package roger

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestConsumersDependOnTheDomain: the portal and the syncer take the
// database through small interfaces over the root package's types; an
// import of sqlstore would tie them to the one implementation again.
// Their tests may still open a real store.
func TestConsumersDependOnTheDomain(t *testing.T) {
	for _, dir := range []string{"internal/web", "internal/replicate"} {
		t.Run(dir, func(t *testing.T) {
			files, err := filepath.Glob(filepath.Join(dir, "*.go"))
			if err != nil || len(files) == 0 {
				t.Fatalf("no Go files in %s (%v)", dir, err)
			}
			for _, name := range files {
				if strings.HasSuffix(name, "_test.go") {
					continue
				}
				f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
				if err != nil {
					t.Fatal(err)
				}
				for _, imp := range f.Imports {
					if path, _ := strconv.Unquote(imp.Path.Value); strings.HasSuffix(path, "/internal/sqlstore") {
						t.Errorf("%s imports %s", name, path)
					}
				}
			}
		})
	}
}

// TestOneClockInterface: every package tells the time through
// roger.Clock; internal/clock holds implementations only.
func TestOneClockInterface(t *testing.T) {
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != "." && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || filepath.Dir(path) == "." {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if ts, ok := n.(*ast.TypeSpec); ok && ts.Name.Name == "Clock" {
				if _, ok := ts.Type.(*ast.InterfaceType); ok {
					t.Errorf("%s declares a Clock interface of its own; use roger.Clock", path)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
