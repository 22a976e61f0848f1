package sim

import (
	"encoding/binary"
	"math/bits"
)

// jhashInitval is lookup3's starting constant.
const jhashInitval = 0xdeadbeef

// Jhash is Bob Jenkins' lookup3 hashlittle over bytes, as the kernel's
// jhash(): little-endian words, the remaining 1..12 bytes zero-padded, and no
// final mixing when the length is a multiple of 12 that has been consumed.
// On a little-endian machine jhash2 over words equals Jhash over the same
// bytes, so one routine serves both.
func Jhash(key []byte, seed uint32) uint32 {
	n := uint32(len(key))
	a := jhashInitval + n + seed
	b, c := a, a
	for len(key) > 12 {
		a += binary.LittleEndian.Uint32(key[0:])
		b += binary.LittleEndian.Uint32(key[4:])
		c += binary.LittleEndian.Uint32(key[8:])
		a, b, c = jhashMix(a, b, c)
		key = key[12:]
	}
	if len(key) == 0 {
		return c
	}
	var tail [12]byte
	copy(tail[:], key)
	a += binary.LittleEndian.Uint32(tail[0:])
	b += binary.LittleEndian.Uint32(tail[4:])
	c += binary.LittleEndian.Uint32(tail[8:])
	return jhashFinal(a, b, c)
}

// Jhash2 is the kernel's jhash2 over 32-bit words (keys whose size is a
// multiple of 4). It equals Jhash over the words' little-endian bytes.
func Jhash2(words []uint32, seed uint32) uint32 {
	a := jhashInitval + uint32(len(words))*4 + seed
	b, c := a, a
	for len(words) > 3 {
		a += words[0]
		b += words[1]
		c += words[2]
		a, b, c = jhashMix(a, b, c)
		words = words[3:]
	}
	switch len(words) {
	case 0:
		return c
	case 3:
		c += words[2]
		fallthrough
	case 2:
		b += words[1]
		fallthrough
	case 1:
		a += words[0]
	}
	return jhashFinal(a, b, c)
}

func jhashMix(a, b, c uint32) (uint32, uint32, uint32) {
	a -= c
	a ^= bits.RotateLeft32(c, 4)
	c += b
	b -= a
	b ^= bits.RotateLeft32(a, 6)
	a += c
	c -= b
	c ^= bits.RotateLeft32(b, 8)
	b += a
	a -= c
	a ^= bits.RotateLeft32(c, 16)
	c += b
	b -= a
	b ^= bits.RotateLeft32(a, 19)
	a += c
	c -= b
	c ^= bits.RotateLeft32(b, 4)
	b += a
	return a, b, c
}

func jhashFinal(a, b, c uint32) uint32 {
	c ^= b
	c -= bits.RotateLeft32(b, 14)
	a ^= c
	a -= bits.RotateLeft32(c, 11)
	b ^= a
	b -= bits.RotateLeft32(a, 25)
	c ^= b
	c -= bits.RotateLeft32(b, 16)
	a ^= c
	a -= bits.RotateLeft32(c, 4)
	b ^= a
	b -= bits.RotateLeft32(a, 14)
	c ^= b
	c -= bits.RotateLeft32(b, 24)
	return c
}
