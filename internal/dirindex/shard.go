package dirindex

import (
	"fmt"
	"strconv"
	"strings"
)

// Shard is a share of the organisations: K of N (1 ≤ K ≤ N). An instance
// told to hold one keeps in memory only the numbers of the organisations
// whose hash falls in it, so N groups of instances, one a share, hold a
// directory too large for one machine's memory. The zero Shard holds
// every organisation.
type Shard struct {
	K, N int
}

// ParseShard reads "k/n" (such as "2/4"); "" is the zero Shard.
func ParseShard(s string) (Shard, error) {
	if s == "" {
		return Shard{}, nil
	}
	ks, ns, ok := strings.Cut(s, "/")
	k, errK := strconv.Atoi(strings.TrimSpace(ks))
	n, errN := strconv.Atoi(strings.TrimSpace(ns))
	if !ok || errK != nil || errN != nil || n < 1 || n > 1024 || k < 1 || k > n {
		return Shard{}, fmt.Errorf("%q is not a share K/N with 1 ≤ K ≤ N ≤ 1024, such as 2/4", s)
	}
	return Shard{K: k, N: n}, nil
}

// All reports whether the shard holds every organisation.
func (s Shard) All() bool { return s.N <= 1 }

// String is "k/n", or "all".
func (s Shard) String() string {
	if s.All() {
		return "all"
	}
	return strconv.Itoa(s.K) + "/" + strconv.Itoa(s.N)
}

// Holds reports whether the organisation's numbers belong in this share.
func (s Shard) Holds(orgID int64) bool {
	return s.All() || ShareOf(orgID, s.N) == s.K
}

// ShareOf is the share (1 to n) an organisation belongs to among n. It
// hashes the organisation's id, which never changes, with the finaliser
// of SplitMix64: ids are handed out in order, and a plain id mod n would
// put the organisations created together, which tend to grow together,
// in neighbouring shares rather than spread them evenly. The function is
// part of the deployment's contract (a load balancer or a directory of
// shares may compute it): changing it moves organisations between shares.
func ShareOf(orgID int64, n int) int {
	if n <= 1 {
		return 1
	}
	z := uint64(orgID) + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return int(z%uint64(n)) + 1
}

// Shard is the share of the organisations the index holds.
func (x *Index) Shard() Shard { return x.shard }
