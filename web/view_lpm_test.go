package web

import "testing"

// TestLPMBits: the key's data as the trie compares it, most significant bit
// first, with the mark after the matched bits.
func TestLPMBits(t *testing.T) {
	for _, c := range []struct {
		hex  string
		mark int
		want string
	}{
		{"c0a80107", 24, "11000000 10101000 00000001 │00000111"},
		{"c0a80107", 0, "11000000 10101000 00000001 00000111"},
		{"0a", 3, "000│01010"},
		{"ff00", 16, "11111111 00000000│"},
		{"", 0, ""},
	} {
		if got := lpmBits(c.hex, c.mark); got != c.want {
			t.Errorf("lpmBits(%q, %d) = %q, want %q", c.hex, c.mark, got, c.want)
		}
	}
}
