package secret

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

const (
	// EnvKey is the environment variable holding the keys inline. It is also
	// the source LoadKeyring reports for them, which tells a caller such as
	// `roger secrets rotate` that there is no key file to add a key to.
	EnvKey = "ROGER_SECRET_KEY"
	// EnvKeyFile is the environment variable naming a key file.
	EnvKeyFile = "ROGER_SECRET_KEY_FILE"
	// KeyFileName is the key file LoadKeyring keeps in the data directory
	// when neither variable is set.
	KeyFileName = "secret.key"
)

// maxKeyFileSize guards against ROGER_SECRET_KEY_FILE naming the wrong file
// (a database, a log): a key file is a few lines.
const maxKeyFileSize = 1 << 20

// keyFileHeader starts every key file roger creates, because the person who
// finds it later needs to know what losing or editing it does.
const keyFileHeader = `# roger secret keys, one "<key-id> <base64 key>" per line.
# The last key seals new values; every key here opens the values sealed with it.
# Back this file up with the database: without it the stored Exact Online
# client secrets and tokens cannot be opened. Remove a key only after
# roger secrets rotate has re-sealed everything under a newer one.
`

const lineFormat = `"<key-id> <base64 key>"`

// LoadKeyring finds the keys: the environment variable ROGER_SECRET_KEY, else
// the file named by ROGER_SECRET_KEY_FILE, else <dataDir>/secret.key, which it
// creates (mode 0600, one fresh random key) when it does not exist yet, so a
// first start needs no setup. getenv is os.Getenv in production.
//
// Key file format (text, one key per line, "#" starts a comment): "<key-id>
// <base64 of 32 random bytes>"; the last key is the current one.
// ROGER_SECRET_KEY holds the same lines inline (separated by newlines, or by
// commas where a newline cannot be set), or one bare base64 key whose id is
// the first 8 hex characters of its SHA-256.
//
// source says where the keys came from, for a start-up log line: EnvKey, or
// the key file's path (which is what AppendKeyFile takes). warnings are
// things to log that do not stop roger: a key file other users can read, both
// variables set, a key file just created. Errors say what to fix, and never
// contain key material.
func LoadKeyring(getenv func(string) string, dataDir string) (k *Keyring, source string, warnings []string, err error) {
	inline := getenv(EnvKey)
	file := strings.TrimSpace(getenv(EnvKeyFile))
	if strings.TrimSpace(inline) != "" {
		if file != "" {
			warnings = append(warnings, fmt.Sprintf("%s and %s are both set; using %s", EnvKey, EnvKeyFile, EnvKey))
		}
		keys, err := parseKeys(inline, EnvKey, true)
		if err != nil {
			return nil, EnvKey, warnings, err
		}
		ring, err := NewKeyring(keys...)
		return ring, EnvKey, warnings, err
	}
	if file != "" {
		ring, w, err := loadKeyFile(file, EnvKeyFile+": ")
		return ring, file, append(warnings, w...), err
	}
	if dataDir == "" {
		return nil, "", nil, fmt.Errorf("no secret key: set %s or %s, or give roger a data directory to keep %s in", EnvKey, EnvKeyFile, KeyFileName)
	}
	path := filepath.Join(dataDir, KeyFileName)
	created, err := createKeyFile(path)
	if err != nil {
		return nil, path, nil, err
	}
	ring, w, err := loadKeyFile(path, "")
	if created {
		w = append(w, fmt.Sprintf("created %s with a new secret key; back it up with the database: without it the stored secrets cannot be opened", path))
	}
	return ring, path, w, err
}

// KeyFileToCreate returns the path of the key file LoadKeyring would
// create: the keys come from neither variable and dataDir holds no
// secret.key. It is "" when LoadKeyring would create nothing. A caller
// that can see sealed secrets (the database) checks for them first: a
// new key in place of a lost one would leave them unreadable.
func KeyFileToCreate(getenv func(string) string, dataDir string) string {
	if strings.TrimSpace(getenv(EnvKey)) != "" || strings.TrimSpace(getenv(EnvKeyFile)) != "" || dataDir == "" {
		return ""
	}
	path := filepath.Join(dataDir, KeyFileName)
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		return ""
	}
	return path
}

// loadKeyFile reads and parses a key file; prefix names where its path came
// from, for the not-found message.
func loadKeyFile(path, prefix string) (*Keyring, []string, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("%s%s does not exist; point %s at the key file, or create one with: roger secrets generate > %s", prefix, path, EnvKeyFile, path)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s%w", prefix, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("%s%w", prefix, err)
	}
	if fi.IsDir() {
		return nil, nil, fmt.Errorf("%s%s is a directory, not a key file", prefix, path)
	}
	var warnings []string
	// Windows has no Unix permission bits; its ACLs are out of reach here.
	if perm := fi.Mode().Perm(); runtime.GOOS != "windows" && perm&0o077 != 0 {
		warnings = append(warnings, fmt.Sprintf("%s has mode %04o, so other users can read the secret keys; fix it with: chmod 600 %s", path, perm, path))
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, warnings, fmt.Errorf("%s%w", prefix, err)
	}
	if len(data) > maxKeyFileSize {
		return nil, warnings, fmt.Errorf("%s%s is larger than 1 MiB, so not a key file", prefix, path)
	}
	keys, err := parseKeys(string(data), path, false)
	if err != nil {
		return nil, warnings, err
	}
	k, err := NewKeyring(keys...)
	return k, warnings, err
}

// parseKeys reads key lines. source prefixes every message so the operator
// knows which variable or file to fix. Messages number lines (or, in the comma
// form, entries) but never quote them: a line may hold a key.
func parseKeys(text, source string, inline bool) ([]Key, error) {
	text = strings.TrimPrefix(text, "\ufeff")
	var lines []string
	if inline && !strings.Contains(text, "\n") {
		// Some deployment tools cannot put a newline in a variable.
		lines = strings.Split(text, ",")
	} else {
		lines = strings.Split(text, "\n")
	}
	type entry struct {
		n      int
		fields []string
	}
	var entries []entry
	for i, line := range lines {
		if j := strings.IndexByte(line, '#'); j >= 0 {
			line = line[:j]
		}
		if f := strings.Fields(line); len(f) > 0 {
			entries = append(entries, entry{i + 1, f})
		}
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("%s: no key in it; generate one with: roger secrets generate", source)
	}
	if inline && len(entries) == 1 && len(entries[0].fields) == 1 {
		b, err := decodeKey(entries[0].fields[0])
		if err != nil {
			return nil, fmt.Errorf("%s: the key is not base64; generate one with: roger secrets generate", source)
		}
		if len(b) != keySize {
			return nil, fmt.Errorf("%s: %w", source, keySizeError(len(b)))
		}
		return []Key{{ID: deriveID(b), Bytes: b}}, nil
	}
	keys := make([]Key, 0, len(entries))
	seen := make(map[string]int, len(entries))
	for _, e := range entries {
		bad := func(why string) error {
			return fmt.Errorf("%s: line %d is not %s: %s", source, e.n, lineFormat, why)
		}
		switch {
		case len(e.fields) == 1 && inline:
			return nil, bad("a key without an id is allowed only as the only key")
		case len(e.fields) == 1:
			return nil, bad("it has one word, a key line has two")
		case len(e.fields) > 2:
			return nil, bad(fmt.Sprintf("it has %d words, a key line has two (comments start with #)", len(e.fields)))
		}
		id, enc := e.fields[0], e.fields[1]
		if err := checkID(id); err != nil {
			return nil, bad(err.Error())
		}
		b, err := decodeKey(enc)
		if err != nil {
			return nil, bad("the key is not base64; generate one with: roger secrets generate")
		}
		if len(b) != keySize {
			return nil, fmt.Errorf("%s: line %d: %w", source, e.n, keySizeError(len(b)))
		}
		if prev, dup := seen[id]; dup {
			return nil, fmt.Errorf("%s: line %d: key id %q is also on line %d; every key needs its own id", source, e.n, id, prev)
		}
		seen[id] = e.n
		keys = append(keys, Key{ID: id, Bytes: b})
	}
	return keys, nil
}

// decodeKey accepts padded and unpadded, standard and URL-safe base64,
// because keys are pasted from whatever tool made them (openssl rand -base64,
// a password manager, a Kubernetes secret).
func decodeKey(s string) ([]byte, error) {
	var err error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		var b []byte
		if b, err = enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, err
}

// createKeyFile writes a key file with one fresh key at path unless something
// (even a dangling symlink) is there already. It never replaces an existing
// file: a new key would orphan every value sealed under the old one.
func createKeyFile(path string) (created bool, err error) {
	if _, err := os.Lstat(path); err == nil {
		return false, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return false, err
	}
	key, err := GenerateKey()
	if err != nil {
		return false, err
	}
	return writeKeyFile(path, keyFileHeader+keyBlock(key), false)
}

// AppendKeyFile adds a new random key to the key file at path as the new
// current key, keeping the older keys so values sealed under them still open,
// and returns it. It creates the file (mode 0600) when it does not exist. The
// file is replaced atomically, so a crash leaves the old file or the new one,
// never half of one; a running roger keeps using the keys it loaded at start.
// Two AppendKeyFile calls on one file at the same moment can lose one key.
func AppendKeyFile(path string) (Key, error) {
	// Replace the file a symlink points at, not the symlink (Kubernetes and
	// Docker mount secrets through symlinks).
	target := path
	if resolved, err := filepath.EvalSymlinks(path); err == nil {
		target = resolved
	}
	old, err := os.ReadFile(target)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Key{}, err
	}
	if len(old) > maxKeyFileSize {
		return Key{}, fmt.Errorf("%s is larger than 1 MiB, so not a key file", path)
	}
	existing := map[string]bool{}
	if strings.TrimSpace(string(old)) != "" {
		keys, err := parseKeys(string(old), path, false)
		if err != nil {
			// Appending to a file that does not parse would make a file
			// that still does not parse; fix it first.
			return Key{}, err
		}
		for _, k := range keys {
			existing[k.ID] = true
		}
	}
	var key Key
	for {
		if key, err = GenerateKey(); err != nil {
			return Key{}, err
		}
		if !existing[key.ID] {
			break
		}
	}
	var content strings.Builder
	if len(old) == 0 {
		content.WriteString(keyFileHeader)
	} else {
		content.Write(old)
		if old[len(old)-1] != '\n' {
			content.WriteByte('\n')
		}
	}
	content.WriteString(keyBlock(key))
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		return Key{}, err
	}
	if _, err := writeKeyFile(target, content.String(), true); err != nil {
		return Key{}, err
	}
	return key, nil
}

// keyBlock is a key's line with the date it was added, because an operator
// deciding whether an old key can go needs to know how old it is.
func keyBlock(k Key) string {
	return "# added " + time.Now().UTC().Format(time.RFC3339) + "\n" + k.FileLine() + "\n"
}

// writeKeyFile writes content to path through a synced temporary file in the
// same directory (mode 0600 from the start, so the key is never readable by
// others even briefly). With replace it renames over path; without, it
// hard-links, which fails rather than clobbering a file another process
// created meanwhile, and reports created=false then.
func writeKeyFile(path, content string, replace bool) (created bool, err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return false, err
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName)
	if _, err := tmp.WriteString(content); err != nil {
		tmp.Close()
		return false, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return false, err
	}
	if err := tmp.Close(); err != nil {
		return false, err
	}
	if replace {
		if err := os.Rename(tmpName, path); err != nil {
			return false, err
		}
	} else if err := os.Link(tmpName, path); errors.Is(err, fs.ErrExist) {
		return false, nil
	} else if err != nil {
		// Some filesystems cannot hard-link; O_EXCL still refuses to clobber,
		// at the cost of a moment in which the file is incomplete.
		if err := writeExclusive(path, content); errors.Is(err, fs.ErrExist) {
			return false, nil
		} else if err != nil {
			return false, err
		}
	}
	syncDir(dir)
	return true, nil
}

func writeExclusive(path, content string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}

// syncDir makes a new or renamed key file survive a power cut: losing it after
// values were sealed with it would lose those values. Errors are ignored
// because some systems (Windows) cannot sync a directory.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}
