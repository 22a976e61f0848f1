package sim_test

// FuzzMapOps drives random operation sequences, decoded from the fuzz
// input, against every map type in fuzzAttrs. It asserts what must hold
// for any map: no panic, known errnos, count <= max_entries, a
// get_next_key walk with no changes visits each key at most once and ends,
// and a World cloned before the operations gives identical results (clone
// and determinism).
//
// Adding a map type: call addFuzzAttrs from an init function in your own
// test file, for example
//
//	func init() {
//		addFuzzAttrs(fuzzAttr{Name: "queue", Attr: sim.MapAttr{Type: sim.MapQueue, ValueSize: 4, MaxEntries: 4}})
//	}
//
// Use Setup instead of Attr when creating the map needs other objects
// first (an inner map fd, a program).

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/bpfplay/bpfplay/sim"
)

// fuzzAttr is one creatable map configuration.
type fuzzAttr struct {
	Name  string
	Attr  sim.MapAttr
	Setup func(w *sim.World) sim.MapAttr // optional: builds Attr in w
}

var fuzzAttrs []fuzzAttr

// addFuzzAttrs adds rows to FuzzMapOps's table.
func addFuzzAttrs(rows ...fuzzAttr) { fuzzAttrs = append(fuzzAttrs, rows...) }

func init() {
	zs := sim.FlagZeroSeed
	h := func(name string, ty sim.MapType, ks, vs, max, flags uint32) fuzzAttr {
		return fuzzAttr{Name: name, Attr: sim.MapAttr{Name: "f", Type: ty, KeySize: ks, ValueSize: vs, MaxEntries: max, Flags: flags}}
	}
	addFuzzAttrs(
		h("hash", sim.MapHash, 4, 8, 8, zs),
		h("hash no_prealloc k3", sim.MapHash, 3, 5, 5, zs|sim.FlagNoPrealloc),
		h("hash random seed", sim.MapHash, 8, 4, 16, 0),
		h("percpu_hash", sim.MapPercpuHash, 4, 12, 6, zs),
		h("lru_hash", sim.MapLRUHash, 4, 8, 8, zs),
		h("lru_hash no_common", sim.MapLRUHash, 4, 8, 9, zs|sim.FlagNoCommonLRU),
		h("lru_hash 1", sim.MapLRUHash, 4, 8, 1, zs),
		h("lru_percpu_hash", sim.MapLRUPercpuHash, 4, 4, 8, zs),
		h("lru_percpu_hash no_common", sim.MapLRUPercpuHash, 4, 4, 7, zs|sim.FlagNoCommonLRU),
		h("array", sim.MapArray, 4, 8, 6, 0),
		h("array mmapable", sim.MapArray, 4, 3, 20, sim.FlagMmapable),
		h("percpu_array", sim.MapPercpuArray, 4, 4, 5, 0),
		h("hash rdonly", sim.MapHash, 4, 8, 4, zs|sim.FlagRdonly),
		h("lru wronly", sim.MapLRUHash, 4, 8, 4, zs|sim.FlagWronly),
	)
	// Rows for families other helpers own, if they are simulated already;
	// their owners may add more with addFuzzAttrs.
	other := []fuzzAttr{
		h("queue", sim.MapQueue, 0, 4, 4, 0),
		h("stack", sim.MapStack, 0, 4, 4, 0),
		h("lpm_trie", sim.MapLPMTrie, 8, 4, 8, sim.FlagNoPrealloc),
		{Name: "bloom_filter", Attr: sim.MapAttr{Name: "f", Type: sim.MapBloomFilter, ValueSize: 4, MaxEntries: 8, MapExtra: 3}},
		h("ringbuf", sim.MapRingbuf, 0, 0, 4096, 0),
		h("prog_array", sim.MapProgArray, 4, 4, 4, 0),
		{Name: "hash_of_maps", Setup: func(w *sim.World) sim.MapAttr {
			in, _ := w.CreateMap(sim.MapAttr{Type: sim.MapArray, KeySize: 4, ValueSize: 4, MaxEntries: 2})
			fd := 0
			if in != nil {
				fd = in.FD
			}
			return sim.MapAttr{Name: "f", Type: sim.MapHashOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 4, InnerMapFD: fd, Flags: zs}
		}},
		{Name: "array_of_maps", Setup: func(w *sim.World) sim.MapAttr {
			in, _ := w.CreateMap(sim.MapAttr{Type: sim.MapHash, KeySize: 4, ValueSize: 4, MaxEntries: 2})
			fd := 0
			if in != nil {
				fd = in.FD
			}
			return sim.MapAttr{Name: "f", Type: sim.MapArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 4, InnerMapFD: fd}
		}},
	}
	for _, r := range other {
		if sim.Simulated(r.Attr.Type) || r.Setup != nil {
			addFuzzAttrs(r)
		}
	}
}

// fuzzResult is what one operation returned, for comparing runs.
type fuzzResult struct {
	e sim.Errno
	v string
}

// fuzzRun applies ops to m and checks the invariants after each one.
func fuzzRun(t *testing.T, w *sim.World, m *sim.Map, ops []byte) []fuzzResult {
	var out []fuzzResult
	ncpu := w.PossibleCPUs()
	key := func(k byte) []byte {
		if m.KeySize == 0 || k == 255 {
			return nil
		}
		b := make([]byte, m.KeySize)
		var x [4]byte
		binary.LittleEndian.PutUint32(x[:], uint32(k%24))
		copy(b, x[:])
		return b
	}
	value := func(v byte, n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = v + byte(i)
		}
		return b
	}
	flagsOf := func(f byte) uint64 {
		return []uint64{sim.UpdateAny, sim.UpdateNoExist, sim.UpdateExist, 3, sim.UpdateLock, 1 << 32}[f%6]
	}
	rec := func(v []byte, e sim.Errno) {
		if strings.HasPrefix(e.String(), "errno(") {
			t.Fatalf("unknown errno %d", int(e))
		}
		out = append(out, fuzzResult{e, string(v)})
	}
	for len(ops) >= 4 {
		op, k, f, v := ops[0], ops[1], ops[2], ops[3]
		ops = ops[4:]
		switch op % 12 {
		case 0:
			rec(nil, m.Update(key(k), value(v, m.SyscallValueSize()), flagsOf(f)))
		case 1:
			rec(nil, m.ProgUpdate(key(k), value(v, int(m.ValueSize)), flagsOf(f)))
		case 2:
			rec(m.Lookup(key(k), flagsOf(f)&sim.UpdateLock))
		case 3:
			p, e := m.ProgLookup(key(k))
			if e == sim.OK && len(p) > 0 {
				p[0] ^= v // programs write through the pointer
			}
			rec(append([]byte(nil), p...), e)
		case 4:
			rec(nil, m.Delete(key(k)))
		case 5:
			rec(nil, m.ProgDelete(key(k)))
		case 6:
			rec(m.LookupAndDelete(key(k), 0))
		case 7:
			rec(m.GetNextKey(key(k)))
		case 8:
			rec(m.GetNextKey(nil))
		case 9:
			if err := w.SetCPU(int(k) % ncpu); err != nil {
				t.Fatal(err)
			}
		case 10:
			fuzzWalk(t, m)
		case 11:
			if f == 0 && v == 0 {
				rec(nil, m.Freeze())
			} else if m.IsPercpu() {
				p, e := m.ProgLookupPercpu(key(k), int(v)%(ncpu+2))
				rec(append([]byte(nil), p...), e)
			}
		}
		if m.KeySize > 0 && m.Len() > int(m.MaxEntries) {
			t.Fatalf("count %d > max_entries %d", m.Len(), m.MaxEntries)
		}
	}
	fuzzWalk(t, m)
	return out
}

// fuzzWalk walks get_next_key from NULL with no changes: each key at most
// once, and an end within max_entries steps.
func fuzzWalk(t *testing.T, m *sim.Map) {
	if m.KeySize == 0 {
		return
	}
	seen := map[string]bool{}
	k, e := m.GetNextKey(nil)
	for e == sim.OK {
		if seen[string(k)] {
			t.Fatalf("walk visits %x twice", k)
		}
		seen[string(k)] = true
		if len(seen) > int(m.MaxEntries) {
			t.Fatalf("walk does not end after %d keys", len(seen))
		}
		k, e = m.GetNextKey(k)
	}
}

func FuzzMapOps(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 0, 1, 0, 2, 0, 2, 0, 3, 10, 0, 0, 0, 7, 1, 0, 0})
	f.Add([]byte{4, 1, 0, 1, 0, 1, 0, 2, 0, 2, 0, 3, 0, 3, 0, 4, 0, 4, 3, 1, 0, 0, 0, 5, 0, 5, 0, 0})
	f.Add([]byte{5, 1, 0, 1, 0, 1, 9, 1, 0, 0, 0, 2, 0, 2, 1, 3, 0, 3, 0, 4, 0, 4, 0, 5, 10, 0, 0, 0})
	f.Add([]byte{9, 0, 0, 30, 0, 1, 1, 2, 2, 3, 4, 0, 0, 0, 7, 5, 0, 0, 8, 0, 0, 0, 6, 1, 0, 0})
	f.Add([]byte{3, 3, 0, 1, 1, 1, 9, 2, 0, 0, 1, 1, 1, 5, 11, 1, 1, 2, 3, 1, 0, 0})
	for i := range fuzzAttrs {
		seed := []byte{byte(i), byte(i)}
		for j := 0; j < 40; j++ {
			seed = append(seed, byte(j*7+i), byte(j*3), byte(j%4), byte(j))
		}
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 || len(fuzzAttrs) == 0 {
			return
		}
		row := fuzzAttrs[int(data[0])%len(fuzzAttrs)]
		w := sim.NewWorld(sim.Config{PossibleCPUs: 1 + int(data[1])%4, RandomSeed: uint64(data[1])})
		a := row.Attr
		if row.Setup != nil {
			a = row.Setup(w)
		}
		m, e := w.CreateMap(a)
		if e != sim.OK {
			t.Fatalf("%s: the table row does not create: %v", row.Name, e)
		}
		c := w.Clone()
		cm, _ := c.MapByID(m.ID)
		r1 := fuzzRun(t, w, m, data[2:])
		r2 := fuzzRun(t, c, cm, data[2:])
		if fmt.Sprint(r1) != fmt.Sprint(r2) {
			t.Fatalf("%s: a clone made before the operations gives different results", row.Name)
		}
	})
}

// TestFuzzTableCoversSimulatedTypes lists simulated types without a fuzz row.
func TestFuzzTableCoversSimulatedTypes(t *testing.T) {
	have := map[sim.MapType]bool{}
	for _, r := range fuzzAttrs {
		a := r.Attr
		if r.Setup != nil {
			a = r.Setup(sim.NewWorld(sim.Config{}))
		}
		have[a.Type] = true
	}
	for ty := sim.MapType(1); ty < 64; ty++ {
		if sim.Simulated(ty) && !have[ty] {
			t.Errorf("map type %v has no FuzzMapOps row: add one with addFuzzAttrs", ty)
		}
	}
}
