package sim

import (
	"encoding/binary"
	"math/rand"
	"testing"
)

// BenchmarkLPMLookup is a program-side lookup (bpf_map_lookup_elem: no copy,
// no events) of random full-length IPv4 addresses in a trie of 10,000 random
// prefixes (/8../32), the shape of a routing table. Compare with the HASH
// lookup on 4-byte keys in bench_test.go.
func BenchmarkLPMLookup(b *testing.B) {
	const n = 10000
	w := NewWorld(Config{})
	m, e := w.CreateMap(MapAttr{Name: "routes", Type: MapLPMTrie, KeySize: 8, ValueSize: 8, MaxEntries: n, Flags: FlagNoPrealloc})
	if e != OK {
		b.Fatal(e)
	}
	rng := rand.New(rand.NewSource(1))
	var ip [4]byte
	val := make([]byte, 8)
	for m.Len() < n {
		binary.BigEndian.PutUint32(ip[:], rng.Uint32())
		plen := uint32(8 + rng.Intn(25))
		if e := m.Update(LPMKey(plen, ip[:]), val, UpdateAny); e != OK {
			b.Fatal(e)
		}
	}
	keys := make([][]byte, 4096)
	for i := range keys {
		binary.BigEndian.PutUint32(ip[:], rng.Uint32())
		keys[i] = LPMKey(32, ip[:])
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.ProgLookup(keys[i&4095])
	}
}

// BenchmarkLPMSyscallLookup is the same through Map.Lookup (a copy out).
func BenchmarkLPMSyscallLookup(b *testing.B) {
	w := NewWorld(Config{})
	m, _ := w.CreateMap(MapAttr{Name: "routes", Type: MapLPMTrie, KeySize: 8, ValueSize: 8, MaxEntries: 10000, Flags: FlagNoPrealloc})
	rng := rand.New(rand.NewSource(1))
	var ip [4]byte
	for m.Len() < 10000 {
		binary.BigEndian.PutUint32(ip[:], rng.Uint32())
		m.Update(LPMKey(uint32(8+rng.Intn(25)), ip[:]), make([]byte, 8), UpdateAny)
	}
	key := LPMKey(32, []byte{10, 1, 2, 3})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		binary.BigEndian.PutUint32(key[4:], uint32(i)*2654435761)
		m.Lookup(key, 0)
	}
}

// BenchmarkLPMBaselineHash4 is the same loop on a HASH of 10,000 4-byte
// keys (program lookup, half the probes hit), as a baseline next to
// BenchmarkLPMLookup; bench_test.go has the HASH family's own benchmarks.
func BenchmarkLPMBaselineHash4(b *testing.B) {
	const n = 10000
	w := NewWorld(Config{})
	m, e := w.CreateMap(MapAttr{Name: "h", Type: MapHash, KeySize: 4, ValueSize: 8, MaxEntries: n, Flags: FlagZeroSeed})
	if e != OK {
		b.Fatal(e)
	}
	rng := rand.New(rand.NewSource(1))
	var k [4]byte
	keys := make([][]byte, 4096)
	for i := 0; m.Len() < n; i++ {
		binary.BigEndian.PutUint32(k[:], rng.Uint32())
		m.Update(k[:], make([]byte, 8), UpdateAny)
		if i < len(keys)/2 {
			keys[i] = append([]byte(nil), k[:]...)
		}
	}
	for i := len(keys) / 2; i < len(keys); i++ {
		binary.BigEndian.PutUint32(k[:], rng.Uint32())
		keys[i] = append([]byte(nil), k[:]...)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.ProgLookup(keys[i&4095])
	}
}
