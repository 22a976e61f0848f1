package sim

import (
	"encoding/binary"
	"testing"
)

// Vectors from the public lookup3 driver and kernel-semantics §3.3.
func TestJhashVectors(t *testing.T) {
	s := []byte("Four score and seven years ago")
	for _, tc := range []struct {
		key  []byte
		seed uint32
		want uint32
	}{
		{nil, 0, 0xdeadbeef},
		{s, 0, 0x17770551},
		{s, 1, 0xcd628161},
		{[]byte{0, 0, 0}, 0, 0x6bd0060f},
		{[]byte{1, 0, 0}, 0, 0x8f68e60d},
		{[]byte{2, 0, 0}, 0, 0x0526e833},
		{[]byte{3, 0, 0}, 0, 0x2711fb45},
	} {
		if got := Jhash(tc.key, tc.seed); got != tc.want {
			t.Errorf("Jhash(%q, %d) = %#x, want %#x", tc.key, tc.seed, got, tc.want)
		}
	}
	u32 := []uint32{0x049396b8, 0x72a82a9b, 0xee626cca, 0x9917754f, 0x15de40b1, 0xf5a8a9b6, 0x421eac7e, 0xa9d55c9a}
	for k, want := range u32 {
		if got := Jhash2([]uint32{uint32(k)}, 0); got != want {
			t.Errorf("Jhash2(%d) = %#x, want %#x", k, got, want)
		}
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], uint32(k))
		if got := Jhash(b[:], 0); got != want {
			t.Errorf("Jhash(u32 %d) = %#x, want %#x", k, got, want)
		}
	}
	u64 := []uint32{0x58c184bf, 0x5543253f, 0x66b24bb9, 0x5ed29de3}
	for k, want := range u64 {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], uint64(k))
		if got := Jhash(b[:], 0); got != want {
			t.Errorf("Jhash(u64 %d) = %#x, want %#x", k, got, want)
		}
	}
}
