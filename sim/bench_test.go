package sim_test

// Benchmarks of the hash family against a Go map[uint32][]byte doing the
// same work: 4-byte keys given as bytes (decoded for the Go map), 8-byte
// values. Run: go test -run XXX -bench 'Hash|GoMap|LRU' -benchtime 200ms ./sim/

import (
	"encoding/binary"
	"fmt"
	"math/rand"
	"slices"
	"testing"
	"time"

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

// ---- Paired benchmarks: ratios measured under the same load ----
//
// On a shared machine two benchmarks run one after the other see different
// load. BenchmarkPaired runs both sides of each comparison in alternating
// chunks of pairChunk operations inside one benchmark, times every chunk,
// and reports the median ns/op of each side and their ratio (sim/base). The
// benchmark's own ns/op is the sum of both sides and means nothing here.
//
//	go test -run '^$' -bench Paired -count 5 ./sim/

const pairChunk = 8192

// pairSide performs n operations starting at operation number i0.
type pairSide func(i0, n int)

func paired(b *testing.B, sim, base pairSide) {
	var ts, tb []float64
	b.ResetTimer()
	for i, c := 0, 0; i < b.N; i, c = i+pairChunk, c+1 {
		first, second, t1, t2 := sim, base, &ts, &tb
		if c&1 == 1 {
			first, second, t1, t2 = base, sim, &tb, &ts
		}
		s0 := time.Now()
		first(i, pairChunk)
		s1 := time.Now()
		second(i, pairChunk)
		s2 := time.Now()
		*t1 = append(*t1, float64(s1.Sub(s0))/pairChunk)
		*t2 = append(*t2, float64(s2.Sub(s1))/pairChunk)
	}
	b.StopTimer()
	ms, mb := median(ts), median(tb)
	b.ReportMetric(ms, "sim-ns/op")
	b.ReportMetric(mb, "base-ns/op")
	b.ReportMetric(ms/mb, "ratio")
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	return v[len(v)/2]
}

func progLookupSide(m *sim.Map, keys [][]byte) pairSide {
	mask := len(keys) - 1
	return func(i0, n int) {
		for i := i0; i < i0+n; i++ {
			v, _ := m.ProgLookup(keys[i&mask])
			benchSink = v
		}
	}
}

// BenchmarkPaired: hash lookup and update against a Go map[uint32][]byte
// doing the same work; LRU_HASH update with eviction and LPM lookup against
// the HASH program lookup of the same run.
func BenchmarkPaired(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("lookup/%d", n), func(b *testing.B) {
			m, keys := benchHash(b, n)
			gm, _ := benchGoMap(n)
			paired(b, progLookupSide(m, keys), func(i0, c int) {
				for i := i0; i < i0+c; i++ {
					benchSink = gm[binary.LittleEndian.Uint32(keys[i&(n-1)])]
				}
			})
		})
		b.Run(fmt.Sprintf("syscall-lookup/%d", n), func(b *testing.B) {
			m, keys := benchHash(b, n)
			gm, _ := benchGoMap(n)
			paired(b, func(i0, c int) {
				for i := i0; i < i0+c; i++ {
					v, _ := m.Lookup(keys[i&(n-1)], 0)
					benchSink = v
				}
			}, func(i0, c int) {
				for i := i0; i < i0+c; i++ {
					benchSink = append([]byte(nil), gm[binary.LittleEndian.Uint32(keys[i&(n-1)])]...)
				}
			})
		})
		b.Run(fmt.Sprintf("update/%d", n), func(b *testing.B) {
			m, keys := benchHash(b, n)
			gm, _ := benchGoMap(n)
			val := make([]byte, 8)
			paired(b, func(i0, c int) {
				for i := i0; i < i0+c; i++ {
					val[0] = byte(i)
					m.Update(keys[i&(n-1)], val, sim.UpdateAny)
				}
			}, func(i0, c int) {
				for i := i0; i < i0+c; i++ {
					val[0] = byte(i)
					k := binary.LittleEndian.Uint32(keys[i&(n-1)])
					gm[k] = append(gm[k][:0], val...)
				}
			})
		})
		b.Run(fmt.Sprintf("lru-evict-vs-hash-lookup/%d", n), func(b *testing.B) {
			w := sim.NewWorld(sim.Config{PossibleCPUs: 1, RandomSeed: 7})
			lru, e := w.CreateMap(sim.MapAttr{Type: sim.MapLRUHash, KeySize: 4, ValueSize: 8, MaxEntries: uint32(n)})
			if e != sim.OK {
				b.Fatal(e)
			}
			key := make([]byte, 4)
			val := make([]byte, 8)
			for i := 0; i < n; i++ {
				binary.LittleEndian.PutUint32(key, uint32(i))
				lru.Update(key, val, sim.UpdateAny)
			}
			m, keys := benchHash(b, n)
			paired(b, func(i0, c int) {
				for i := i0; i < i0+c; i++ {
					binary.LittleEndian.PutUint32(key, uint32(n+i))
					if e := lru.Update(key, val, sim.UpdateAny); e != sim.OK {
						b.Fatal(e)
					}
				}
			}, progLookupSide(m, keys))
		})
	}
	b.Run("lpm-ipv4-10k-vs-hash-lookup-10k", func(b *testing.B) {
		// The shapes of BenchmarkLPMLookup and BenchmarkLPMBaselineHash4.
		const n = 10000
		w := sim.NewWorld(sim.Config{})
		lpm, e := w.CreateMap(sim.MapAttr{Name: "routes", Type: sim.MapLPMTrie, KeySize: 8, ValueSize: 8, MaxEntries: n, Flags: sim.FlagNoPrealloc})
		if e != sim.OK {
			b.Fatal(e)
		}
		h, e := w.CreateMap(sim.MapAttr{Name: "h", Type: sim.MapHash, KeySize: 4, ValueSize: 8, MaxEntries: n, Flags: sim.FlagZeroSeed})
		if e != sim.OK {
			b.Fatal(e)
		}
		rng := rand.New(rand.NewSource(1))
		var ip [4]byte
		val := make([]byte, 8)
		for lpm.Len() < n {
			binary.BigEndian.PutUint32(ip[:], rng.Uint32())
			if e := lpm.Update(sim.LPMKey(uint32(8+rng.Intn(25)), ip[:]), val, sim.UpdateAny); e != sim.OK {
				b.Fatal(e)
			}
		}
		lkeys := make([][]byte, 4096)
		hkeys := make([][]byte, 4096)
		for i := 0; h.Len() < n; i++ {
			binary.BigEndian.PutUint32(ip[:], rng.Uint32())
			h.Update(ip[:], val, sim.UpdateAny)
			if i < len(hkeys)/2 {
				hkeys[i] = append([]byte(nil), ip[:]...)
			}
		}
		for i := len(hkeys) / 2; i < len(hkeys); i++ {
			binary.BigEndian.PutUint32(ip[:], rng.Uint32())
			hkeys[i] = append([]byte(nil), ip[:]...)
		}
		for i := range lkeys {
			binary.BigEndian.PutUint32(ip[:], rng.Uint32())
			lkeys[i] = sim.LPMKey(32, ip[:])
		}
		paired(b, progLookupSide(lpm, lkeys), progLookupSide(h, hkeys))
	})
}
