package dirindex

import (
	"encoding/binary"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/btree"
)

// nameIndex finds an organisation's entries by the start of any word of
// their name or company, and lists them in ID order, without a scan. Its
// items hold no Go pointers (a word is its first eight bytes packed into
// an integer, an entry its slot in the table), so, like the table, it
// costs the garbage collector nothing per entry.
type nameIndex struct {
	orgs map[int64]*orgNames
}

type orgNames struct {
	words *btree.BTreeG[wordKey]
	ids   *btree.BTreeG[idKey]
}

// wordKey is a word of an entry: its first eight bytes (folded, zero
// padded, big-endian, so that integer order is byte order) and the
// entry's slot.
type wordKey struct {
	word uint64
	slot uint32
}

type idKey struct {
	id   int64
	slot uint32
}

func lessWord(a, b wordKey) bool { return a.word < b.word || a.word == b.word && a.slot < b.slot }
func lessID(a, b idKey) bool     { return a.id < b.id }

const btreeDegree = 32

func newNameIndex() nameIndex { return nameIndex{orgs: map[int64]*orgNames{}} }

func (n *nameIndex) org(orgID int64, create bool) *orgNames {
	o := n.orgs[orgID]
	if o == nil && create {
		o = &orgNames{words: btree.NewG(btreeDegree, lessWord), ids: btree.NewG(btreeDegree, lessID)}
		n.orgs[orgID] = o
	}
	return o
}

// add indexes the entry id at slot with its name and company.
func (n *nameIndex) add(orgID, id int64, slot uint32, name, company string) {
	o := n.org(orgID, true)
	o.ids.ReplaceOrInsert(idKey{id: id, slot: slot})
	for _, w := range entryWords(name, company) {
		o.words.ReplaceOrInsert(wordKey{word: w, slot: slot})
	}
}

// remove forgets what add indexed; name and company must be the same.
func (n *nameIndex) remove(orgID, id int64, slot uint32, name, company string) {
	o := n.org(orgID, false)
	if o == nil {
		return
	}
	o.ids.Delete(idKey{id: id})
	for _, w := range entryWords(name, company) {
		o.words.Delete(wordKey{word: w, slot: slot})
	}
	if o.ids.Len() == 0 {
		delete(n.orgs, orgID)
	}
}

// entryWords are the distinct packed words of an entry's name and company.
func entryWords(name, company string) []uint64 {
	var out []uint64
	for _, s := range [2]string{name, company} {
		for w := range strings.FieldsFuncSeq(FoldName(s), notWordRune) {
			k := packWord(w)
			seen := false
			for _, o := range out {
				seen = seen || o == k
			}
			if !seen {
				out = append(out, k)
			}
		}
	}
	return out
}

func notWordRune(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

// FoldName is the form names are compared in: lower case, rune by rune, so
// that the fold of a prefix is a prefix of the fold.
func FoldName(s string) string {
	return strings.Map(unicode.ToLower, s)
}

// FirstWord is the first word of a folded name and whether the name starts
// with it: a value that starts with a space or a sign cannot be looked up
// by the start of a word.
func FirstWord(folded string) (string, bool) {
	r, _ := utf8.DecodeRuneInString(folded)
	if folded == "" || notWordRune(r) {
		return "", false
	}
	end := strings.IndexFunc(folded, notWordRune)
	if end < 0 {
		return folded, true
	}
	return folded[:end], true
}

func packWord(w string) uint64 {
	var b [8]byte
	copy(b[:], w)
	return binary.BigEndian.Uint64(b[:])
}

// wordRange is the packed words that start with the (folded) prefix p:
// exact when p has at most eight bytes, else those sharing its first
// eight, which the caller checks.
func wordRange(p string) (lo, hi uint64) {
	if len(p) >= 8 {
		k := packWord(p)
		return k, k
	}
	lo = packWord(p)
	return lo, lo | (1<<(8*(8-len(p))) - 1)
}
