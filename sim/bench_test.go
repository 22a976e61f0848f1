package sim_test

// Benchmarks of the hash family against a Go map[uint32][]byte doing the
// same work: 4-byte keys given as bytes (decoded for the Go map), 8-byte
// values. Run: go test -run XXX -bench 'Hash|GoMap|LRU' -benchtime 200ms ./sim/

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/bpfplay/bpfplay/sim"
)

var benchSizes = []int{1 << 10, 1 << 16}

func benchKeys(n int) [][]byte {
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = binary.LittleEndian.AppendUint32(nil, uint32(i)*2654435761)
	}
	return keys
}

func benchHash(b *testing.B, n int) (*sim.Map, [][]byte) {
	w := sim.NewWorld(sim.Config{PossibleCPUs: 1, RandomSeed: 7})
	m, e := w.CreateMap(sim.MapAttr{Type: sim.MapHash, KeySize: 4, ValueSize: 8, MaxEntries: uint32(n)})
	if e != sim.OK {
		b.Fatal(e)
	}
	keys := benchKeys(n)
	val := make([]byte, 8)
	for _, k := range keys {
		if e := m.Update(k, val, sim.UpdateAny); e != sim.OK {
			b.Fatal(e)
		}
	}
	return m, keys
}

func benchGoMap(n int) (map[uint32][]byte, [][]byte) {
	keys := benchKeys(n)
	gm := make(map[uint32][]byte, n)
	for _, k := range keys {
		gm[binary.LittleEndian.Uint32(k)] = make([]byte, 8)
	}
	return gm, keys
}

var benchSink []byte

// BenchmarkHashProgLookup: bpf_map_lookup_elem from a program (live value,
// no copy, no allocation).
func BenchmarkHashProgLookup(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			m, keys := benchHash(b, n)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				v, _ := m.ProgLookup(keys[i&(n-1)])
				benchSink = v
			}
		})
	}
}

func BenchmarkGoMapLookup(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			gm, keys := benchGoMap(n)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				benchSink = gm[binary.LittleEndian.Uint32(keys[i&(n-1)])]
			}
		})
	}
}

// BenchmarkHashSyscallLookup: BPF_MAP_LOOKUP_ELEM, which copies the value
// out; compared with a Go map lookup plus the same copy.
func BenchmarkHashSyscallLookup(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			m, keys := benchHash(b, n)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				v, _ := m.Lookup(keys[i&(n-1)], 0)
				benchSink = v
			}
		})
	}
}

func BenchmarkGoMapLookupCopy(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			gm, keys := benchGoMap(n)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				benchSink = append([]byte(nil), gm[binary.LittleEndian.Uint32(keys[i&(n-1)])]...)
			}
		})
	}
}

// BenchmarkHashUpdate: BPF_MAP_UPDATE_ELEM replacing an existing key (a new
// element at the bucket head, the old one freed).
func BenchmarkHashUpdate(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			m, keys := benchHash(b, n)
			val := make([]byte, 8)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				val[0] = byte(i)
				m.Update(keys[i&(n-1)], val, sim.UpdateAny)
			}
		})
	}
}

func BenchmarkGoMapUpdate(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			gm, keys := benchGoMap(n)
			val := make([]byte, 8)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				val[0] = byte(i)
				k := binary.LittleEndian.Uint32(keys[i&(n-1)])
				gm[k] = append(gm[k][:0], val...)
			}
		})
	}
}

// BenchmarkLRUUpdateEvict: LRU_HASH inserts of ever-new keys into a full
// map, so every insert pops a node and refills evict in batches.
func BenchmarkLRUUpdateEvict(b *testing.B) {
	for _, c := range []struct {
		n     int
		flags uint32
	}{{1 << 10, 0}, {1 << 16, 0}, {1 << 10, sim.FlagNoCommonLRU}} {
		b.Run(fmt.Sprintf("%d/%s", c.n, sim.FormatMapFlags(c.flags)), func(b *testing.B) {
			w := sim.NewWorld(sim.Config{PossibleCPUs: 1, RandomSeed: 7})
			m, e := w.CreateMap(sim.MapAttr{Type: sim.MapLRUHash, KeySize: 4, ValueSize: 8, MaxEntries: uint32(c.n), Flags: c.flags})
			if e != sim.OK {
				b.Fatal(e)
			}
			key := make([]byte, 4)
			val := make([]byte, 8)
			for i := 0; i < c.n; i++ {
				binary.LittleEndian.PutUint32(key, uint32(i))
				m.Update(key, val, sim.UpdateAny)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				binary.LittleEndian.PutUint32(key, uint32(c.n+i))
				if e := m.Update(key, val, sim.UpdateAny); e != sim.OK {
					b.Fatal(e)
				}
			}
		})
	}
}
