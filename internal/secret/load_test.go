package secret

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string {
	return func(name string) string { return m[name] }
}

func b64(k Key) string { return base64.StdEncoding.EncodeToString(k.Bytes) }

// checkKeys asserts that k holds want (oldest first) by sealing with each
// wanted key alone and opening with k, and that the last one is current.
func checkKeys(t *testing.T, k *Keyring, want ...Key) {
	t.Helper()
	if k == nil {
		t.Fatal("no keyring")
	}
	if !slices.Equal(k.ids, idsOf(want)) {
		t.Errorf("key ids = %v, want %v", k.ids, idsOf(want))
	}
	if got := k.CurrentID(); got != want[len(want)-1].ID {
		t.Errorf("CurrentID = %q, want %q", got, want[len(want)-1].ID)
	}
	for _, w := range want {
		sealed := mustSeal(t, mustKeyring(t, w), "x", "b")
		if got, err := k.Open(sealed, "b"); err != nil || string(got) != "x" {
			t.Errorf("key %s: Open = %q, %v", w.ID, got, err)
		}
	}
}

func idsOf(keys []Key) []string {
	var ids []string
	for _, k := range keys {
		ids = append(ids, k.ID)
	}
	return ids
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // past the umask
		t.Fatal(err)
	}
}

func TestLoadKeyringFromEnv(t *testing.T) {
	a, b := testKey("a", 1), testKey("key-2_b", 2)
	bare := testKey(deriveID(a.Bytes), 1)
	for _, tc := range []struct {
		name         string
		value        string
		file         string
		want         []Key
		wantWarnings []string
	}{
		{"bare key", b64(a), "", []Key{bare}, nil},
		{"bare key with newline", "  " + b64(a) + "\n", "", []Key{bare}, nil},
		{"bare key, url-safe unpadded", base64.RawURLEncoding.EncodeToString(a.Bytes), "", []Key{bare}, nil},
		{"one line", "a " + b64(a), "", []Key{a}, nil},
		{"multi-line", "a " + b64(a) + "\nkey-2_b " + b64(b) + "\n", "", []Key{a, b}, nil},
		{"multi-line with comments and CRLF", "# old key\r\na " + b64(a) + "\r\n\r\n# rotated\r\nkey-2_b " + b64(b) + " # current\r\n", "", []Key{a, b}, nil},
		{"comma form", "a " + b64(a) + ",key-2_b " + b64(b), "", []Key{a, b}, nil},
		{"comma form with spaces", " a " + b64(a) + " , key-2_b " + b64(b) + ", ", "", []Key{a, b}, nil},
		{"file variable too", b64(a), "/nonexistent/secret.key", []Key{bare}, []string{"ROGER_SECRET_KEY and ROGER_SECRET_KEY_FILE are both set; using ROGER_SECRET_KEY"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dataDir := t.TempDir()
			k, source, warnings, err := LoadKeyring(env(map[string]string{EnvKey: tc.value, EnvKeyFile: tc.file}), dataDir)
			if err != nil {
				t.Fatal(err)
			}
			if source != "ROGER_SECRET_KEY" {
				t.Errorf("source = %q", source)
			}
			if !slices.Equal(warnings, tc.wantWarnings) {
				t.Errorf("warnings = %q, want %q", warnings, tc.wantWarnings)
			}
			checkKeys(t, k, tc.want...)
			if _, err := os.Stat(filepath.Join(dataDir, KeyFileName)); err == nil {
				t.Error("created a key file although ROGER_SECRET_KEY is set")
			}
		})
	}
}

func TestLoadKeyringFromFile(t *testing.T) {
	a, b := testKey("a", 1), testKey("b", 2)
	dir := t.TempDir()
	path := filepath.Join(dir, "keys")
	writeFile(t, path, "# roger keys\n\na "+b64(a)+"\n# added later\nb "+b64(b), 0o600)
	dataDir := filepath.Join(dir, "data")
	k, source, warnings, err := LoadKeyring(env(map[string]string{EnvKeyFile: path}), dataDir)
	if err != nil {
		t.Fatal(err)
	}
	if source != path {
		t.Errorf("source = %q, want %q", source, path)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings = %q", warnings)
	}
	checkKeys(t, k, a, b)
	if _, err := os.Stat(dataDir); err == nil {
		t.Error("touched the data directory although ROGER_SECRET_KEY_FILE is set")
	}
}

func TestLoadKeyringWarnsOpenPermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permission bits")
	}
	for _, tc := range []struct {
		name string
		mode os.FileMode
		want []string
	}{
		{"0600", 0o600, nil},
		{"0400", 0o400, nil},
		{"0640", 0o640, []string{"%s has mode 0640, so other users can read the secret keys; fix it with: chmod 600 %s"}},
		{"0644", 0o644, []string{"%s has mode 0644, so other users can read the secret keys; fix it with: chmod 600 %s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), KeyFileName)
			writeFile(t, path, "a "+b64(testKey("a", 1))+"\n", tc.mode)
			// Both ways to reach a file: named, and the default one.
			for _, load := range []func() (*Keyring, string, []string, error){
				func() (*Keyring, string, []string, error) {
					return LoadKeyring(env(map[string]string{EnvKeyFile: path}), "")
				},
				func() (*Keyring, string, []string, error) { return LoadKeyring(env(nil), filepath.Dir(path)) },
			} {
				k, _, warnings, err := load()
				if err != nil || k == nil {
					t.Fatalf("LoadKeyring: %v (a loose mode must not be an error)", err)
				}
				var want []string
				for _, w := range tc.want {
					want = append(want, strings.ReplaceAll(w, "%s", path))
				}
				if !slices.Equal(warnings, want) {
					t.Errorf("warnings = %q, want %q", warnings, want)
				}
			}
		})
	}
}

func TestLoadKeyringGeneratesKeyFile(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data") // not there yet
	path := filepath.Join(dataDir, KeyFileName)
	k, source, warnings, err := LoadKeyring(env(nil), dataDir)
	if err != nil {
		t.Fatal(err)
	}
	if source != path {
		t.Errorf("source = %q, want %q", source, path)
	}
	wantWarning := "created " + path + " with a new secret key; back it up with the database: without it the stored secrets cannot be opened"
	if !slices.Equal(warnings, []string{wantWarning}) {
		t.Errorf("warnings = %q, want %q", warnings, wantWarning)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %04o, want 0600", fi.Mode().Perm())
	}
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(content), keyFileHeader) || !strings.Contains(string(content), "\n"+k.CurrentID()+" ") {
		t.Errorf("key file:\n%s", content)
	}
	entries, _ := os.ReadDir(dataDir)
	if len(entries) != 1 {
		t.Errorf("data directory holds %d entries, want only %s (temporary file left behind?)", len(entries), KeyFileName)
	}
	sealed := mustSeal(t, k, "client-secret", "replicator/1/client_secret")

	k2, source2, warnings2, err := LoadKeyring(env(nil), dataDir)
	if err != nil {
		t.Fatal(err)
	}
	if source2 != path || len(warnings2) != 0 {
		t.Errorf("second load: source %q, warnings %q", source2, warnings2)
	}
	if k2.CurrentID() != k.CurrentID() {
		t.Errorf("second load: current key %q, want %q", k2.CurrentID(), k.CurrentID())
	}
	if got, err := k2.Open(sealed, "replicator/1/client_secret"); err != nil || string(got) != "client-secret" {
		t.Errorf("second load cannot open the first one's value: %q, %v", got, err)
	}
}

func TestLoadKeyringErrors(t *testing.T) {
	a := testKey("a", 1)
	short := base64.StdEncoding.EncodeToString(make([]byte, 16))
	dir := t.TempDir()
	file := func(name, content string) string {
		path := filepath.Join(dir, name)
		writeFile(t, path, content, 0o600)
		return path
	}
	bareFile := file("bare", b64(a)+"\n")
	emptyFile := file("empty", "# nothing here\n\n")
	badFile := file("bad", "a "+b64(a)+"\nb "+short+"\n")
	missing := filepath.Join(dir, "missing")
	emptyDataDir := filepath.Join(dir, "data")
	if err := os.Mkdir(emptyDataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(emptyDataDir, KeyFileName), "\n", 0o600)
	for _, tc := range []struct {
		name    string
		env     map[string]string
		dataDir string
		want    string
	}{
		{"key without id among keys", map[string]string{EnvKey: "a " + b64(a) + "\n" + b64(a)},
			dir, `ROGER_SECRET_KEY: line 2 is not "<key-id> <base64 key>": a key without an id is allowed only as the only key`},
		{"three words", map[string]string{EnvKey: "a " + b64(a) + " extra"},
			dir, `ROGER_SECRET_KEY: line 1 is not "<key-id> <base64 key>": it has 3 words, a key line has two (comments start with #)`},
		{"bad id", map[string]string{EnvKey: "# keys\nv1.a " + b64(a)},
			dir, `ROGER_SECRET_KEY: line 2 is not "<key-id> <base64 key>": a key id is 1 to 64 letters, digits, '-' or '_'`},
		{"key and id swapped", map[string]string{EnvKey: "a " + b64(a) + "\n" + b64(a) + " b"},
			dir, `ROGER_SECRET_KEY: line 2 is not "<key-id> <base64 key>": a key id is 1 to 64 letters, digits, '-' or '_'`},
		{"not base64", map[string]string{EnvKey: "a not*base64"},
			dir, `ROGER_SECRET_KEY: line 1 is not "<key-id> <base64 key>": the key is not base64; generate one with: roger secrets generate`},
		{"short key", map[string]string{EnvKey: "a " + short},
			dir, `ROGER_SECRET_KEY: line 1: a key must be 32 bytes (44 base64 characters), not 16; generate one with: roger secrets generate`},
		{"short bare key", map[string]string{EnvKey: short},
			dir, `ROGER_SECRET_KEY: a key must be 32 bytes (44 base64 characters), not 16; generate one with: roger secrets generate`},
		{"bare key not base64", map[string]string{EnvKey: "hunter2!"},
			dir, `ROGER_SECRET_KEY: the key is not base64; generate one with: roger secrets generate`},
		{"only comments", map[string]string{EnvKey: "# a key goes here"},
			dir, `ROGER_SECRET_KEY: no key in it; generate one with: roger secrets generate`},
		{"only commas", map[string]string{EnvKey: ",,"},
			dir, `ROGER_SECRET_KEY: no key in it; generate one with: roger secrets generate`},
		{"duplicate id", map[string]string{EnvKey: "a " + b64(a) + "\n\na " + b64(testKey("x", 2))},
			dir, `ROGER_SECRET_KEY: line 3: key id "a" is also on line 1; every key needs its own id`},
		{"comma form, second entry bare", map[string]string{EnvKey: "a " + b64(a) + "," + b64(a)},
			dir, `ROGER_SECRET_KEY: line 2 is not "<key-id> <base64 key>": a key without an id is allowed only as the only key`},
		{"file with a bare key", map[string]string{EnvKeyFile: bareFile},
			dir, bareFile + `: line 1 is not "<key-id> <base64 key>": it has one word, a key line has two`},
		{"file without keys", map[string]string{EnvKeyFile: emptyFile},
			dir, emptyFile + `: no key in it; generate one with: roger secrets generate`},
		{"file with a short key", map[string]string{EnvKeyFile: badFile},
			dir, badFile + `: line 2: a key must be 32 bytes (44 base64 characters), not 16; generate one with: roger secrets generate`},
		{"missing file", map[string]string{EnvKeyFile: missing},
			dir, `ROGER_SECRET_KEY_FILE: ` + missing + ` does not exist; point ROGER_SECRET_KEY_FILE at the key file, or create one with: roger secrets generate > ` + missing},
		{"file is a directory", map[string]string{EnvKeyFile: dir},
			dir, `ROGER_SECRET_KEY_FILE: ` + dir + ` is a directory, not a key file`},
		{"default file without keys", nil,
			emptyDataDir, filepath.Join(emptyDataDir, KeyFileName) + `: no key in it; generate one with: roger secrets generate`},
		{"nothing at all", nil,
			"", `no secret key: set ROGER_SECRET_KEY or ROGER_SECRET_KEY_FILE, or give roger a data directory to keep secret.key in`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, _, _, err := LoadKeyring(env(tc.env), tc.dataDir)
			if err == nil {
				t.Fatalf("LoadKeyring succeeded: %v", k)
			}
			if err.Error() != tc.want {
				t.Errorf("error = %q\nwant    %q", err, tc.want)
			}
			for _, secret := range []string{b64(a), short, "hunter2"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q contains key material", err)
				}
			}
			if k != nil {
				t.Error("keyring returned with an error")
			}
		})
	}
}

func TestFileLineRoundTrip(t *testing.T) {
	key, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := parseKeys(key.FileLine()+"\n", "test", false)
	if err != nil {
		t.Fatal(err)
	}
	checkKeys(t, mustKeyring(t, keys...), key)
	// A generated key keeps its id when given bare.
	bare, err := parseKeys(b64(key), EnvKey, true)
	if err != nil || bare[0].ID != key.ID {
		t.Errorf("bare key id = %v, %v; want %s", bare, err, key.ID)
	}
}

func TestAppendKeyFile(t *testing.T) {
	a, b := testKey("a", 1), testKey("b", 2)
	for _, tc := range []struct {
		name    string
		setup   func(dir string) (path string) // returns the path to append to
		want    []Key                          // keys before the new one
		comment string                         // text of the old file that must survive
	}{
		{"new file", func(dir string) string { return filepath.Join(dir, "sub", "keys") }, nil, keyFileHeader},
		{"existing file", func(dir string) string {
			p := filepath.Join(dir, "keys")
			writeFile(t, p, "# mine\na "+b64(a)+"\nb "+b64(b), 0o644) // no final newline, loose mode
			return p
		}, []Key{a, b}, "# mine\na " + b64(a) + "\nb " + b64(b) + "\n# added "},
		{"empty file", func(dir string) string {
			p := filepath.Join(dir, "keys")
			writeFile(t, p, "", 0o600)
			return p
		}, nil, keyFileHeader},
		{"through a symlink", func(dir string) string {
			if runtime.GOOS == "windows" {
				t.Skip("symlinks need privileges")
			}
			real := filepath.Join(dir, "real")
			writeFile(t, real, "a "+b64(a)+"\n", 0o600)
			link := filepath.Join(dir, "link")
			if err := os.Symlink(real, link); err != nil {
				t.Fatal(err)
			}
			return link
		}, []Key{a}, "a " + b64(a) + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := tc.setup(dir)
			var sealedBefore []string
			for _, k := range tc.want {
				sealedBefore = append(sealedBefore, mustSeal(t, mustKeyring(t, k), "old value", "r/1"))
			}
			key, err := AppendKeyFile(path)
			if err != nil {
				t.Fatal(err)
			}
			content, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(content), tc.comment) || !strings.HasSuffix(string(content), key.FileLine()+"\n") {
				t.Errorf("file:\n%s", content)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
				t.Errorf("mode = %04o, want 0600", fi.Mode().Perm())
			}
			if lfi, err := os.Lstat(path); err == nil && tc.name == "through a symlink" && lfi.Mode()&os.ModeSymlink == 0 {
				t.Error("the symlink was replaced by a file")
			}
			k, _, warnings, err := LoadKeyring(env(map[string]string{EnvKeyFile: path}), "")
			if err != nil {
				t.Fatal(err)
			}
			if len(warnings) != 0 {
				t.Errorf("warnings = %q", warnings)
			}
			checkKeys(t, k, append(tc.want, key)...)
			for _, s := range sealedBefore {
				if _, err := k.Open(s, "r/1"); err != nil {
					t.Errorf("a value sealed before the new key no longer opens: %v", err)
				}
			}
			entries, _ := os.ReadDir(filepath.Dir(path))
			for _, e := range entries {
				if strings.Contains(e.Name(), ".tmp-") {
					t.Errorf("temporary file %s left behind", e.Name())
				}
			}
		})
	}
}

func TestAppendKeyFileRefusesBadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys")
	const content = "a " + "not-a-key\n"
	writeFile(t, path, content, 0o600)
	_, err := AppendKeyFile(path)
	want := path + `: line 1 is not "<key-id> <base64 key>": the key is not base64; generate one with: roger secrets generate`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v\nwant    %s", err, want)
	}
	if got, _ := os.ReadFile(path); string(got) != content {
		t.Errorf("file changed to %q", got)
	}
}

func TestAppendKeyFileTwiceRotates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys")
	first, err := AppendKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	second, err := AppendKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	k, _, _, err := LoadKeyring(env(map[string]string{EnvKeyFile: path}), "")
	if err != nil {
		t.Fatal(err)
	}
	checkKeys(t, k, first, second)
	if strings.Count(mustRead(t, path), keyFileHeader) != 1 {
		t.Error("header written twice")
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestKeyFileToCreate names the key file LoadKeyring would create, and
// only when it would create one.
func TestKeyFileToCreate(t *testing.T) {
	empty, withKey := t.TempDir(), t.TempDir()
	if _, _, _, err := LoadKeyring(env(nil), withKey); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		vars    map[string]string
		dataDir string
		want    string
	}{
		{"no key file yet", nil, empty, filepath.Join(empty, KeyFileName)},
		{"key file there", nil, withKey, ""},
		{"keys inline", map[string]string{EnvKey: "x"}, empty, ""},
		{"key file named", map[string]string{EnvKeyFile: filepath.Join(empty, "elsewhere.key")}, empty, ""},
		{"no data directory", nil, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := KeyFileToCreate(env(tc.vars), tc.dataDir); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Errorf("KeyFileToCreate created %d files", len(entries))
	}
}
