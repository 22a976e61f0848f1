package sim_test

// Tests of HASH and PERCPU_HASH against kernel-semantics §3.4, §4 and the
// test_maps.c cases of §13.1, and the create errnos of §2.2 and
// kernel-oracle.md §1-§2. Expected values come from those documents.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"sort"
	"testing"

	"github.com/bpfplay/bpfplay/sim"
)

func htU32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func htU64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

// htWorld is a World with n possible CPUs.
func htWorld(t testing.TB, ncpu int) *sim.World {
	t.Helper()
	return sim.NewWorld(sim.Config{PossibleCPUs: ncpu, RandomSeed: 1})
}

func htCreate(t testing.TB, w *sim.World, a sim.MapAttr) *sim.Map {
	t.Helper()
	m, e := w.CreateMap(a)
	if e != sim.OK {
		t.Fatalf("create %+v: %v", a, e)
	}
	return m
}

func htHash(t testing.TB, w *sim.World, ty sim.MapType, ks, max uint32, flags uint32) *sim.Map {
	return htCreate(t, w, sim.MapAttr{Type: ty, KeySize: ks, ValueSize: 8, MaxEntries: max, Flags: flags | sim.FlagZeroSeed})
}

// htVal is a syscall value buffer for m holding v (every CPU's copy = v+cpu
// for per-CPU maps).
func htVal(m *sim.Map, v uint64) []byte {
	if !m.IsPercpu() {
		b := make([]byte, m.ValueSize)
		binary.LittleEndian.PutUint64(b[:8], v)
		return b
	}
	b := make([]byte, m.SyscallValueSize())
	for c := 0; c < m.World().PossibleCPUs(); c++ {
		binary.LittleEndian.PutUint64(b[c*m.PercpuValueSize():], v+uint64(c))
	}
	return b
}

func htExpect(t testing.TB, what string, got, want sim.Errno) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}

// htWalk is a get_next_key walk from NULL; it fails the test if the walk
// does not end within limit steps.
func htWalk(t testing.TB, m *sim.Map, limit int) [][]byte {
	t.Helper()
	var keys [][]byte
	k, e := m.GetNextKey(nil)
	for e == sim.OK {
		keys = append(keys, k)
		if len(keys) > limit {
			t.Fatalf("walk did not end after %d keys", limit)
		}
		k, e = m.GetNextKey(k)
	}
	if e != sim.ENOENT {
		t.Fatalf("walk ended with %v", e)
	}
	return keys
}

// htWalkU decodes a walk of u32 or u64 keys.
func htWalkU(t testing.TB, m *sim.Map) []uint64 {
	t.Helper()
	var out []uint64
	for _, k := range htWalk(t, m, int(m.MaxEntries)+1) {
		switch len(k) {
		case 4:
			out = append(out, uint64(binary.LittleEndian.Uint32(k)))
		case 8:
			out = append(out, binary.LittleEndian.Uint64(k))
		default:
			out = append(out, uint64(k[0]))
		}
	}
	return out
}

func htSet(t testing.TB, m *sim.Map) []uint64 {
	t.Helper()
	s := htWalkU(t, m)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s
}

func htRange(lo, hi uint64) []uint64 {
	var s []uint64
	for i := lo; i <= hi; i++ {
		s = append(s, i)
	}
	return s
}

func htKey(ks uint32, v uint64) []byte {
	switch ks {
	case 4:
		return htU32(uint32(v))
	case 8:
		return htU64(v)
	}
	k := make([]byte, ks)
	k[0] = byte(v)
	return k
}

func htInsert(t testing.TB, m *sim.Map, keys ...uint64) {
	t.Helper()
	for _, k := range keys {
		if e := m.Update(htKey(m.KeySize, k), htVal(m, k), sim.UpdateAny); e != sim.OK {
			t.Fatalf("insert %d: %v", k, e)
		}
	}
}

// TestHashBucketVectors is kernel-semantics §3.3 (bucket placement) and the
// §3.4 table of live walk orders.
func TestHashBucketVectors(t *testing.T) {
	w := htWorld(t, 1)
	m := htHash(t, w, sim.MapHash, 4, 8, 0)
	h := m.Ops().(*sim.Hashtab)
	for k, want := range []uint32{0, 3, 2, 7, 1, 6, 6, 2} {
		if got := h.BucketOf(htU32(uint32(k))); got != want {
			t.Errorf("bucket of %d = %d, want %d", k, got, want)
		}
	}
	if h.NBuckets() != 8 || h.Seed() != 0 {
		t.Errorf("n_buckets %d seed %d", h.NBuckets(), h.Seed())
	}

	type vec struct {
		name  string
		ty    sim.MapType
		ks    uint32
		max   uint32
		flags uint32
		do    func(m *sim.Map)
		want  []uint64
	}
	ins := func(lo, hi uint64) func(m *sim.Map) { return func(m *sim.Map) { htInsert(t, m, htRange(lo, hi)...) } }
	vecs := []vec{
		{"u32 max8 insert 0..7", sim.MapHash, 4, 8, 0, ins(0, 7), []uint64{0, 4, 7, 2, 1, 6, 5, 3}},
		{"then update(2) moves to head", sim.MapHash, 4, 8, 0, func(m *sim.Map) { ins(0, 7)(m); htInsert(t, m, 2) }, []uint64{0, 4, 2, 7, 1, 6, 5, 3}},
		{"delete 7, insert 8", sim.MapHash, 4, 8, 0, func(m *sim.Map) {
			ins(0, 7)(m)
			htExpect(t, "delete 7", m.Delete(htU32(7)), sim.OK)
			htInsert(t, m, 8)
		}, []uint64{0, 4, 2, 1, 8, 6, 5, 3}},
		{"percpu update in place", sim.MapPercpuHash, 4, 8, 0, func(m *sim.Map) { ins(0, 7)(m); htInsert(t, m, 2) }, []uint64{0, 4, 7, 2, 1, 6, 5, 3}},
		{"key_size 3", sim.MapHash, 3, 8, 0, ins(0, 7), []uint64{4, 7, 6, 5, 2, 3, 1, 0}},
		{"u64 max16", sim.MapHash, 8, 16, 0, ins(0, 15), []uint64{7, 4, 12, 3, 13, 8, 14, 11, 15, 9, 2, 10, 6, 5, 1, 0}},
		{"u32 max5", sim.MapHash, 4, 5, 0, ins(10, 14), []uint64{10, 14, 13, 12, 11}},
		{"no_prealloc", sim.MapHash, 4, 8, sim.FlagNoPrealloc, ins(0, 7), []uint64{0, 4, 7, 2, 1, 6, 5, 3}},
		{"lru_hash", sim.MapLRUHash, 4, 8, 0, ins(0, 7), []uint64{0, 4, 7, 2, 1, 6, 5, 3}},
		{"percpu_hash", sim.MapPercpuHash, 4, 8, 0, ins(0, 7), []uint64{0, 4, 7, 2, 1, 6, 5, 3}},
		// kernel-oracle.md §2.
		{"u32 max32 insert 1..20", sim.MapHash, 4, 32, 0, ins(1, 20), []uint64{18, 16, 15, 17, 2, 8, 9, 3, 10, 4, 5, 19, 14, 7, 13, 1, 20, 12, 11, 6}},
		{"u32 max20 insert 1..20", sim.MapHash, 4, 20, 0, ins(1, 20), []uint64{18, 16, 15, 17, 2, 8, 9, 3, 10, 4, 5, 19, 14, 7, 13, 1, 20, 12, 11, 6}},
		{"percpu max32", sim.MapPercpuHash, 4, 32, 0, ins(1, 20), []uint64{18, 16, 15, 17, 2, 8, 9, 3, 10, 4, 5, 19, 14, 7, 13, 1, 20, 12, 11, 6}},
		{"lru max32", sim.MapLRUHash, 4, 32, 0, ins(1, 20), []uint64{18, 16, 15, 17, 2, 8, 9, 3, 10, 4, 5, 19, 14, 7, 13, 1, 20, 12, 11, 6}},
	}
	for _, v := range vecs {
		t.Run(v.name, func(t *testing.T) {
			w := htWorld(t, 1)
			m := htHash(t, w, v.ty, v.ks, v.max, v.flags)
			v.do(m)
			if got := htWalkU(t, m); !slices.Equal(got, v.want) {
				t.Errorf("walk %v, want %v", got, v.want)
			}
		})
	}

	// max 8: keys 9..20 get E2BIG (kernel-oracle §2).
	w = htWorld(t, 1)
	m = htHash(t, w, sim.MapHash, 4, 8, 0)
	for k := uint32(1); k <= 20; k++ {
		want := sim.OK
		if k > 8 {
			want = sim.E2BIG
		}
		htExpect(t, fmt.Sprintf("insert %d", k), m.Update(htU32(k), htVal(m, 0), sim.UpdateAny), want)
	}
	if got := htWalkU(t, m); !slices.Equal(got, []uint64{4, 7, 2, 1, 8, 6, 5, 3}) {
		t.Errorf("max8 walk %v", got)
	}
}

// TestHashRestartVector is kernel-oracle §2: deleting key 2 when the walk
// reaches it and asking for next(2) restarts from the first key.
func TestHashRestartVector(t *testing.T) {
	w := htWorld(t, 1)
	m := htHash(t, w, sim.MapHash, 4, 32, 0)
	htInsert(t, m, htRange(1, 20)...)
	var seen []uint64
	var events []sim.Event
	w.SetSink(func(e sim.Event) { events = append(events, e) })
	k, e := m.GetNextKey(nil)
	deleted := false
	for e == sim.OK && len(seen) < 100 {
		v := uint64(binary.LittleEndian.Uint32(k))
		seen = append(seen, v)
		if v == 2 && !deleted {
			deleted = true
			htExpect(t, "delete 2", m.Delete(k), sim.OK)
		}
		k, e = m.GetNextKey(k)
	}
	want := []uint64{18, 16, 15, 17, 2, 18, 16, 15, 17, 8, 9, 3, 10, 4, 5, 19, 14, 7, 13, 1, 20, 12, 11, 6}
	if !slices.Equal(seen, want) {
		t.Errorf("walk %v\nwant %v", seen, want)
	}
	restarts := 0
	for _, ev := range events {
		if ev.Kind() == "hash.restart" {
			restarts++
		}
	}
	if restarts != 1 {
		t.Errorf("%d hash.restart events, want 1", restarts)
	}
}

// h1 is §13.1 H1 / H2 (test_hashmap, test_hashmap_percpu).
func h1(t *testing.T, ty sim.MapType, flags uint32, ncpu int) {
	w := htWorld(t, ncpu)
	m := htCreate(t, w, sim.MapAttr{Type: ty, KeySize: 8, ValueSize: 8, MaxEntries: 2, Flags: flags})
	val := func(v uint64) []byte { return htVal(m, v) }
	k := htU64
	htExpect(t, "U1 A", m.Update(k(1), val(1234), sim.UpdateAny), sim.OK)
	htExpect(t, "U1 N", m.Update(k(1), val(1234), sim.UpdateNoExist), sim.EEXIST)
	htExpect(t, "U1 -1", m.Update(k(1), val(1234), ^uint64(0)), sim.EINVAL)
	v, e := m.Lookup(k(1), 0)
	htExpect(t, "L1", e, sim.OK)
	if !bytes.Equal(v, val(1234)) {
		t.Fatalf("L1 = %x", v)
	}
	htExpect(t, "U2 A", m.Update(k(2), val(1234), sim.UpdateAny), sim.OK)
	v, e = m.LookupAndDelete(k(2), 0)
	htExpect(t, "LD2", e, sim.OK)
	if !bytes.Equal(v, val(1234)) {
		t.Fatalf("LD2 = %x", v)
	}
	if ty == sim.MapPercpuHash && binary.LittleEndian.Uint64(v) != 1234 {
		t.Fatalf("LD2 cpu0 value %d", binary.LittleEndian.Uint64(v))
	}
	_, e = m.Lookup(k(2), 0)
	htExpect(t, "L2", e, sim.ENOENT)
	htExpect(t, "U2 E", m.Update(k(2), val(1234), sim.UpdateExist), sim.ENOENT)
	htExpect(t, "U2 N", m.Update(k(2), val(1234), sim.UpdateNoExist), sim.OK)
	htExpect(t, "U0 N full", m.Update(k(0), val(0), sim.UpdateNoExist), sim.E2BIG)
	htExpect(t, "U0 A full", m.Update(k(0), val(0), sim.UpdateAny), sim.E2BIG)
	htExpect(t, "U0 E full", m.Update(k(0), val(0), sim.UpdateExist), sim.ENOENT)
	htExpect(t, "U1 E", m.Update(k(1), val(1), sim.UpdateExist), sim.OK)
	htExpect(t, "U2 A", m.Update(k(2), val(2), sim.UpdateAny), sim.OK)
	htExpect(t, "U3 N", m.Update(k(3), val(3), sim.UpdateNoExist), sim.E2BIG)
	htExpect(t, "D0", m.Delete(k(0)), sim.ENOENT)

	first, e := m.GetNextKey(nil)
	htExpect(t, "next(NULL)", e, sim.OK)
	f := binary.LittleEndian.Uint64(first)
	if f != 1 && f != 2 {
		t.Fatalf("first key %d", f)
	}
	again, e := m.GetNextKey(k(0))
	htExpect(t, "next(missing 0)", e, sim.OK)
	if !bytes.Equal(again, first) {
		t.Fatalf("next(0) = %x, want the first key %x", again, first)
	}
	second, e := m.GetNextKey(first)
	htExpect(t, "next(first)", e, sim.OK)
	if s := binary.LittleEndian.Uint64(second); s+f != 3 {
		t.Fatalf("second key %d", s)
	}
	// The walk checks every CPU's value.
	for _, key := range [][]byte{first, second} {
		v, _ := m.Lookup(key, 0)
		if !bytes.Equal(v, val(binary.LittleEndian.Uint64(key))) {
			t.Fatalf("value of %x = %x", key, v)
		}
	}
	_, e = m.GetNextKey(second)
	htExpect(t, "next(last)", e, sim.ENOENT)

	htExpect(t, "D1", m.Delete(k(1)), sim.OK)
	htExpect(t, "D2", m.Delete(k(2)), sim.OK)
	htExpect(t, "D2 again", m.Delete(k(2)), sim.ENOENT)
	_, e = m.GetNextKey(nil)
	htExpect(t, "next(NULL) empty", e, sim.ENOENT)
	_, e = m.GetNextKey(k(0))
	htExpect(t, "next(0) empty", e, sim.ENOENT)
	if m.Len() != 0 {
		t.Fatalf("len %d", m.Len())
	}
}

func TestHashH1H2(t *testing.T) {
	for _, fl := range []uint32{0, sim.FlagNoPrealloc} {
		for _, ncpu := range []int{1, 2, 3} {
			t.Run(fmt.Sprintf("hash flags %d cpus %d", fl, ncpu), func(t *testing.T) { h1(t, sim.MapHash, fl, ncpu) })
			t.Run(fmt.Sprintf("percpu flags %d cpus %d", fl, ncpu), func(t *testing.T) { h1(t, sim.MapPercpuHash, fl, ncpu) })
		}
	}
}

// TestHashH3Walk is test_hashmap_walk: 10000 keys; a walk that rewrites each
// value with BPF_EXIST (next key fetched first) visits all of them.
func TestHashH3Walk(t *testing.T) {
	for _, fl := range []uint32{0, sim.FlagNoPrealloc} {
		w := htWorld(t, 1)
		const n = 10000
		m := htCreate(t, w, sim.MapAttr{Type: sim.MapHash, KeySize: 8, ValueSize: 8, MaxEntries: n, Flags: fl})
		for i := uint64(0); i < n; i++ {
			htExpect(t, "insert", m.Update(htU64(i), htU64(i), sim.UpdateAny), sim.OK)
		}
		if got := len(htWalk(t, m, n)); got != n {
			t.Fatalf("first walk %d keys", got)
		}
		steps := 0
		key, e := m.GetNextKey(nil)
		for e == sim.OK {
			next, e2 := m.GetNextKey(key)
			v, _ := m.Lookup(key, 0)
			binary.LittleEndian.PutUint64(v, binary.LittleEndian.Uint64(v)+1)
			htExpect(t, "rewrite", m.Update(key, v, sim.UpdateExist), sim.OK)
			steps++
			if steps > n {
				t.Fatal("second walk does not end")
			}
			key, e = next, e2
		}
		if steps != n {
			t.Fatalf("second walk %d steps", steps)
		}
		for _, k := range htWalk(t, m, n) {
			v, _ := m.Lookup(k, 0)
			if binary.LittleEndian.Uint64(v)-1 != binary.LittleEndian.Uint64(k) {
				t.Fatalf("key %x value %x", k, v)
			}
		}
	}
}

// TestHashH4ZeroSeed: two ZERO_SEED maps filled the same way walk the same.
func TestHashH4ZeroSeed(t *testing.T) {
	w := htWorld(t, 1)
	a := htHash(t, w, sim.MapHash, 8, 3, 0)
	b := htHash(t, w, sim.MapHash, 8, 3, 0)
	htInsert(t, a, 0, 1, 2)
	htInsert(t, b, 0, 1, 2)
	if wa, wb := htWalkU(t, a), htWalkU(t, b); !slices.Equal(wa, wb) || len(wa) != 3 {
		t.Fatalf("walks differ: %v %v", wa, wb)
	}
	// Without ZERO_SEED each map draws its own seed from the World's PRNG.
	c := htCreate(t, w, sim.MapAttr{Type: sim.MapHash, KeySize: 4, ValueSize: 4, MaxEntries: 4})
	d := htCreate(t, w, sim.MapAttr{Type: sim.MapHash, KeySize: 4, ValueSize: 4, MaxEntries: 4})
	if c.Seed == d.Seed {
		t.Errorf("two random seeds are equal: %#x", c.Seed)
	}
}

// TestHashH5Large is test_map_large at full size: 4112-byte keys, 32768
// entries.
func TestHashH5Large(t *testing.T) {
	if testing.Short() {
		t.Skip("32768 keys of 4112 bytes")
	}
	const n = 32768
	w := htWorld(t, 1)
	m := htCreate(t, w, sim.MapAttr{Type: sim.MapHash, KeySize: 4112, ValueSize: 4, MaxEntries: n})
	key := func(a int32, c int64) []byte {
		k := make([]byte, 4112)
		binary.LittleEndian.PutUint32(k[0:], uint32(a))
		binary.LittleEndian.PutUint64(k[4104:], uint64(c))
		return k
	}
	for i := 0; i < n; i++ {
		htExpect(t, "insert", m.Update(key(0, int64(i)), htU32(uint32(i)), sim.UpdateNoExist), sim.OK)
	}
	htExpect(t, "one more", m.Update(key(0, -1), htU32(0), sim.UpdateNoExist), sim.E2BIG)
	_, e := m.GetNextKey(nil)
	htExpect(t, "next(NULL)", e, sim.OK)
	k := key(0, -1)
	for i := 0; i < n; i++ {
		k, e = m.GetNextKey(k)
		htExpect(t, fmt.Sprintf("step %d", i), e, sim.OK)
	}
	_, e = m.GetNextKey(k)
	htExpect(t, "end", e, sim.ENOENT)
	v, e := m.Lookup(key(0, 0), 0)
	htExpect(t, "L{c=0}", e, sim.OK)
	if binary.LittleEndian.Uint32(v) != 0 {
		t.Fatalf("value %x", v)
	}
	_, e = m.Lookup(key(1, 0), 0)
	htExpect(t, "L{a=1,c=0}", e, sim.ENOENT)
}

// TestHashH6Access is test_map_rdonly / test_map_wronly, plus freeze.
func TestHashH6Access(t *testing.T) {
	w := htWorld(t, 1)
	ro := htHash(t, w, sim.MapHash, 8, 2, sim.FlagRdonly)
	htExpect(t, "rdonly U", ro.Update(htU64(1), htU64(1), 0), sim.EPERM)
	_, e := ro.Lookup(htU64(1), 0)
	htExpect(t, "rdonly L", e, sim.ENOENT)
	_, e = ro.GetNextKey(htU64(1))
	htExpect(t, "rdonly next", e, sim.ENOENT)
	htExpect(t, "rdonly D", ro.Delete(htU64(1)), sim.EPERM)

	wo := htHash(t, w, sim.MapHash, 8, 2, sim.FlagWronly)
	htExpect(t, "wronly U", wo.Update(htU64(1), htU64(1), 0), sim.OK)
	_, e = wo.Lookup(htU64(1), 0)
	htExpect(t, "wronly L", e, sim.EPERM)
	_, e = wo.GetNextKey(htU64(1))
	htExpect(t, "wronly next", e, sim.EPERM)
	_, e = wo.LookupAndDelete(htU64(1), 0)
	htExpect(t, "wronly LD", e, sim.EPERM)
	// A program is not bound by the fd's permissions.
	if v, e := wo.ProgLookup(htU64(1)); e != sim.OK || binary.LittleEndian.Uint64(v) != 1 {
		t.Fatalf("prog lookup on a wronly map: %x %v", v, e)
	}

	// Freeze: user space loses write access, lookups still work; a second
	// freeze is EPERM; programs still write.
	fz := htHash(t, w, sim.MapHash, 8, 2, 0)
	htInsert(t, fz, 1)
	htExpect(t, "freeze", fz.Freeze(), sim.OK)
	htExpect(t, "freeze again", fz.Freeze(), sim.EPERM)
	htExpect(t, "frozen U", fz.Update(htU64(2), htU64(2), 0), sim.EPERM)
	htExpect(t, "frozen D", fz.Delete(htU64(1)), sim.EPERM)
	_, e = fz.Lookup(htU64(1), 0)
	htExpect(t, "frozen L", e, sim.OK)
	htExpect(t, "frozen prog U", fz.ProgUpdate(htU64(2), htU64(2), 0), sim.OK)
}

// TestHashH7Sizes is test_hashmap_sizes: key sizes 1..512 and value sizes
// 1..2^18 (powers of two), max 2, all create.
func TestHashH7Sizes(t *testing.T) {
	w := htWorld(t, 2)
	for ks := uint32(1); ks <= 512; ks <<= 1 {
		for vs := uint32(1); vs <= 1<<18; vs <<= 1 {
			if _, e := w.CreateMap(sim.MapAttr{Type: sim.MapHash, KeySize: ks, ValueSize: vs, MaxEntries: 2}); e != sim.OK {
				t.Errorf("key %d value %d: %v", ks, vs, e)
			}
		}
	}
}

// TestHashCreateErrnos is §2.2's hash rows and kernel-oracle §1.
func TestHashCreateErrnos(t *testing.T) {
	type row struct {
		name string
		a    sim.MapAttr
		want sim.Errno
		max  uint32 // expected MaxEntries after create, if non-zero
	}
	h := func(ks, vs, max, flags uint32) sim.MapAttr {
		return sim.MapAttr{Type: sim.MapHash, KeySize: ks, ValueSize: vs, MaxEntries: max, Flags: flags}
	}
	with := func(a sim.MapAttr, ty sim.MapType) sim.MapAttr { a.Type = ty; return a }
	rows := []row{
		{"ok", h(4, 8, 1, 0), sim.OK, 0},
		{"key 0", h(0, 8, 1, 0), sim.EINVAL, 0},
		{"value 0", h(4, 0, 1, 0), sim.EINVAL, 0},
		{"max 0", h(4, 8, 0, 0), sim.EINVAL, 0},
		{"flag 1<<30", h(4, 8, 1, 1<<30), sim.EINVAL, 0},
		{"mmapable", h(4, 8, 1, sim.FlagMmapable), sim.EINVAL, 0},
		{"rdonly|wronly", h(4, 8, 1, sim.FlagRdonly|sim.FlagWronly), sim.EINVAL, 0},
		{"rdonly_prog|wronly_prog", h(4, 8, 1, sim.FlagRdonlyProg|sim.FlagWronlyProg), sim.EINVAL, 0},
		{"no_common_lru on hash", h(4, 8, 1, sim.FlagNoCommonLRU), sim.EINVAL, 0},
		{"map_extra", sim.MapAttr{Type: sim.MapHash, KeySize: 4, ValueSize: 8, MaxEntries: 1, MapExtra: 1}, sim.EINVAL, 0},
		{"inner_map flag", h(4, 8, 1, sim.FlagInnerMap), sim.EINVAL, 0},
		{"key 512", h(512, 8, 1, 0), sim.OK, 0},
		{"key 513", h(513, 8, 1, 0), sim.OK, 0},
		{"largest value with key 4", h(4, 4194251, 1, 0), sim.OK, 0},
		{"key+value 4194256", h(4, 4194252, 1, 0), sim.E2BIG, 0},
		{"no_prealloc 2^27", h(4, 8, 1<<27, sim.FlagNoPrealloc), sim.OK, 0},
		{"no_prealloc 2^27+1", h(4, 8, 1<<27+1, sim.FlagNoPrealloc), sim.E2BIG, 0},
		{"prealloc 2^31", h(4, 8, 1<<31, 0), sim.E2BIG, 0},
		{"max 0xffffffff", h(4, 8, 0xffffffff, 0), sim.E2BIG, 0},
		{"percpu value 32768", with(h(4, 32768, 1, 0), sim.MapPercpuHash), sim.OK, 0},
		{"percpu value 32769", with(h(4, 32769, 1, 0), sim.MapPercpuHash), sim.E2BIG, 0},
		{"lru_percpu value 32769", with(h(4, 32769, 1, 0), sim.MapLRUPercpuHash), sim.E2BIG, 0},
		{"lru no_prealloc", with(h(4, 8, 4, sim.FlagNoPrealloc), sim.MapLRUHash), sim.ENOTSUPP, 0},
		{"lru_percpu no_prealloc", with(h(4, 8, 4, sim.FlagNoPrealloc), sim.MapLRUPercpuHash), sim.ENOTSUPP, 0},
		{"numa on percpu", with(h(4, 8, 4, sim.FlagNumaNode), sim.MapPercpuHash), sim.EINVAL, 0},
		{"numa on percpu lru", with(h(4, 8, 4, sim.FlagNumaNode|sim.FlagNoCommonLRU), sim.MapLRUHash), sim.EINVAL, 0},
		{"numa on hash", h(4, 8, 4, sim.FlagNumaNode), sim.OK, 0},
		{"numa on common lru", with(h(4, 8, 4, sim.FlagNumaNode), sim.MapLRUHash), sim.OK, 0},
		{"zero_seed", h(4, 8, 4, sim.FlagZeroSeed), sim.OK, 0},
		{"bad name", sim.MapAttr{Name: "a-b", Type: sim.MapHash, KeySize: 4, ValueSize: 4, MaxEntries: 1}, sim.EINVAL, 0},
		{"good name", sim.MapAttr{Name: "good_name.x", Type: sim.MapHash, KeySize: 4, ValueSize: 4, MaxEntries: 1}, sim.OK, 0},
		// The flag check comes before the size checks.
		{"flag before key 0", h(0, 8, 1, sim.FlagMmapable), sim.EINVAL, 0},
		{"lru no_prealloc before key 0", with(h(0, 8, 1, sim.FlagNoPrealloc), sim.MapLRUHash), sim.ENOTSUPP, 0},
	}
	for _, r := range rows {
		w := htWorld(t, 2)
		m, e := w.CreateMap(r.a)
		if e != r.want {
			t.Errorf("%s: got %v, want %v", r.name, e, r.want)
			continue
		}
		if e == sim.OK && r.max != 0 && m.MaxEntries != r.max {
			t.Errorf("%s: max_entries %d, want %d", r.name, m.MaxEntries, r.max)
		}
	}
	// NO_COMMON_LRU rounds max_entries up to a multiple of the CPU count
	// (kernel-oracle §3: 9 -> 10 and 1 -> 2 on 2 CPUs).
	for _, c := range []struct{ in, want uint32 }{{9, 10}, {1, 2}, {8, 8}} {
		w := htWorld(t, 2)
		m := htCreate(t, w, sim.MapAttr{Type: sim.MapLRUHash, KeySize: 4, ValueSize: 4, MaxEntries: c.in, Flags: sim.FlagNoCommonLRU})
		if m.MaxEntries != c.want {
			t.Errorf("no_common_lru max %d -> %d, want %d", c.in, m.MaxEntries, c.want)
		}
	}
	// Every failing create explains itself.
	w := htWorld(t, 1)
	var reasons []string
	w.SetSink(func(e sim.Event) {
		if ee, ok := e.(sim.ErrnoEvent); ok {
			reasons = append(reasons, ee.Reason)
		}
	})
	w.CreateMap(h(4, 8, 0, 0))
	if len(reasons) != 1 || reasons[0] == "" {
		t.Errorf("reasons %q", reasons)
	}
}

// TestHashElementErrnos is kernel-oracle §2's element-op errnos.
func TestHashElementErrnos(t *testing.T) {
	w := htWorld(t, 1)
	m := htHash(t, w, sim.MapHash, 4, 2, 0)
	for _, f := range []uint64{3, 8, sim.UpdateLock, 1 << 32} {
		htExpect(t, fmt.Sprintf("flags %#x", f), m.Update(htU32(1), htU64(1), f), sim.EINVAL)
	}
	_, e := m.Lookup(htU32(1), sim.UpdateLock)
	htExpect(t, "lookup F_LOCK", e, sim.EINVAL)
	_, e = m.Lookup(htU32(1), 1)
	htExpect(t, "lookup flags 1", e, sim.EINVAL)
	htExpect(t, "delete missing", m.Delete(htU32(1)), sim.ENOENT)
	_, e = m.LookupAndDelete(htU32(1), 0)
	htExpect(t, "LD missing", e, sim.ENOENT)
	_, e = m.LookupAndDelete(htU32(1), sim.UpdateLock)
	htExpect(t, "LD F_LOCK", e, sim.EINVAL)
	htExpect(t, "NULL key", m.Update(nil, htU64(1), 0), sim.EFAULT)
	htExpect(t, "short value", m.Update(htU32(1), htU32(1), 0), sim.EFAULT)
	// Per-CPU hashes refuse BPF_F_LOCK with EINVAL as well.
	p := htHash(t, w, sim.MapPercpuHash, 4, 2, 0)
	htExpect(t, "percpu F_LOCK", p.Update(htU32(1), htVal(p, 1), sim.UpdateLock), sim.EINVAL)
	// Program helpers return the same codes.
	full := htHash(t, w, sim.MapHash, 4, 1, 0)
	htExpect(t, "prog insert", full.ProgUpdate(htU32(1), htU64(1), 0), sim.OK)
	htExpect(t, "prog full", full.ProgUpdate(htU32(2), htU64(1), 0), sim.E2BIG)
	htExpect(t, "prog noexist", full.ProgUpdate(htU32(1), htU64(1), sim.UpdateNoExist), sim.EEXIST)
	htExpect(t, "prog exist missing", full.ProgUpdate(htU32(2), htU64(1), sim.UpdateExist), sim.ENOENT)
	htExpect(t, "prog delete missing", full.ProgDelete(htU32(2)), sim.ENOENT)
}

// TestHashSpinLock: with a bpf_spin_lock in the value BPF_F_LOCK is
// accepted, updates in place (no move to the head) and never copies the
// lock word; the lock reads back as zero.
func TestHashSpinLock(t *testing.T) {
	w := htWorld(t, 1)
	m := htCreate(t, w, sim.MapAttr{Type: sim.MapHash, KeySize: 4, ValueSize: 8, MaxEntries: 8, Flags: sim.FlagZeroSeed, SpinLock: true, SpinLockOff: 0})
	for k := uint32(0); k < 8; k++ {
		htExpect(t, "insert", m.Update(htU32(k), []byte{0xff, 0xff, 0xff, 0xff, byte(k), 0, 0, 0}, sim.UpdateAny), sim.OK)
	}
	htExpect(t, "F_LOCK update", m.Update(htU32(2), []byte{1, 1, 1, 1, 42, 0, 0, 0}, sim.UpdateLock), sim.OK)
	if got := htWalkU(t, m); !slices.Equal(got, []uint64{0, 4, 7, 2, 1, 6, 5, 3}) {
		t.Errorf("F_LOCK moved the key: %v", got)
	}
	v, e := m.Lookup(htU32(2), sim.UpdateLock)
	htExpect(t, "F_LOCK lookup", e, sim.OK)
	if !bytes.Equal(v, []byte{0, 0, 0, 0, 42, 0, 0, 0}) {
		t.Errorf("value %x", v)
	}
	htExpect(t, "F_LOCK|NOEXIST on existing", m.Update(htU32(2), make([]byte, 8), sim.UpdateLock|sim.UpdateNoExist), sim.EEXIST)
	htExpect(t, "F_LOCK|EXIST on missing", m.Update(htU32(9), make([]byte, 8), sim.UpdateLock|sim.UpdateExist), sim.ENOENT)
}

// TestPercpuHashProgSemantics is §4.3: a program's update of a new element
// sets only the current CPU's copy and zeroes the others; an update of an
// existing one changes only the current CPU's copy; program lookups return
// the live copy of the current CPU; lookup_percpu_elem takes any CPU and
// returns NULL past the possible CPUs.
func TestPercpuHashProgSemantics(t *testing.T) {
	for _, ty := range []sim.MapType{sim.MapPercpuHash, sim.MapLRUPercpuHash} {
		w := htWorld(t, 3)
		m := htCreate(t, w, sim.MapAttr{Type: ty, KeySize: 4, ValueSize: 4, MaxEntries: 4})
		if m.SyscallValueSize() != 24 {
			t.Fatalf("syscall value size %d", m.SyscallValueSize())
		}
		// A syscall update sets every CPU's copy, padding included.
		buf := []byte{1, 0, 0, 0, 0xaa, 0xbb, 0xcc, 0xdd, 2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0}
		htExpect(t, "syscall update", m.Update(htU32(1), buf, 0), sim.OK)
		v, _ := m.Lookup(htU32(1), 0)
		if !bytes.Equal(v, buf) {
			t.Fatalf("%v: syscall lookup %x", ty, v)
		}
		must := func(err error) {}
		must(w.SetCPU(1))
		htExpect(t, "prog update existing", m.ProgUpdate(htU32(1), []byte{9, 0, 0, 0}, 0), sim.OK)
		v, _ = m.Lookup(htU32(1), 0)
		want := []byte{1, 0, 0, 0, 0xaa, 0xbb, 0xcc, 0xdd, 9, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0}
		if !bytes.Equal(v, want) {
			t.Fatalf("%v: after prog update of existing %x", ty, v)
		}
		htExpect(t, "prog update new", m.ProgUpdate(htU32(2), []byte{7, 0, 0, 0}, 0), sim.OK)
		v, _ = m.Lookup(htU32(2), 0)
		want = []byte{0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
		if !bytes.Equal(v, want) {
			t.Fatalf("%v: new element from a program %x", ty, v)
		}
		live, e := m.ProgLookup(htU32(2))
		htExpect(t, "prog lookup", e, sim.OK)
		if len(live) != 4 || live[0] != 7 {
			t.Fatalf("live %x", live)
		}
		live[0] = 8 // writes through the pointer change the map
		v, _ = m.Lookup(htU32(2), 0)
		if v[8] != 8 {
			t.Fatalf("write through the live value not visible: %x", v)
		}
		c2, e := m.ProgLookupPercpu(htU32(1), 2)
		htExpect(t, "lookup_percpu cpu 2", e, sim.OK)
		if c2[0] != 3 {
			t.Fatalf("cpu 2 copy %x", c2)
		}
		_, e = m.ProgLookupPercpu(htU32(1), 3)
		htExpect(t, "lookup_percpu cpu 3 of 3", e, sim.ENOENT)
	}
	w := htWorld(t, 1)
	m := htHash(t, w, sim.MapHash, 4, 2, 0)
	_, e := m.ProgLookupPercpu(htU32(1), 0)
	htExpect(t, "lookup_percpu on a plain hash", e, sim.EINVAL)
}

// TestHashLiveValueSurvivesGrowth: a value pointer from a program lookup
// stays live while the map grows (slab storage never moves).
func TestHashLiveValueSurvivesGrowth(t *testing.T) {
	w := htWorld(t, 1)
	m := htCreate(t, w, sim.MapAttr{Type: sim.MapHash, KeySize: 4, ValueSize: 8, MaxEntries: 5000, Flags: sim.FlagNoPrealloc})
	htExpect(t, "insert", m.Update(htU32(0), htU64(5), 0), sim.OK)
	live, _ := m.ProgLookup(htU32(0))
	for k := uint32(1); k < 5000; k++ {
		m.Update(htU32(k), htU64(uint64(k)), 0)
	}
	live[0] = 99
	v, _ := m.Lookup(htU32(0), 0)
	if v[0] != 99 {
		t.Fatalf("write through an old pointer lost: %x", v)
	}
}

// TestHashEvents checks the event stream of a lookup, a replace and a
// full insert, and that nothing is built without a sink.
func TestHashEvents(t *testing.T) {
	w := htWorld(t, 1)
	m := htHash(t, w, sim.MapHash, 4, 2, 0)
	htInsert(t, m, 6, 7)
	var kinds []string
	var evs []sim.Event
	w.SetSink(func(e sim.Event) { kinds = append(kinds, e.Kind()); evs = append(evs, e) })
	// Keys 6 and 7 share bucket 0 of 2... use the view to find a shared bucket.
	m.Update(htU32(6), htU64(1), 0)
	m.Update(htU32(9), htU64(1), sim.UpdateNoExist)
	want := []string{"hash.computed", "hash.walk", "hash.walk", "hash.move"}
	h := m.Ops().(*sim.Hashtab)
	if h.BucketOf(htU32(6)) != h.BucketOf(htU32(7)) {
		t.Skip("6 and 7 are in different buckets")
	}
	if len(kinds) < 4 || !slices.Equal(kinds[:4], want) && !slices.Equal(kinds[:3], []string{"hash.computed", "hash.walk", "hash.move"}) {
		t.Errorf("replace events %v", kinds)
	}
	last := evs[len(evs)-1]
	if ee, ok := last.(sim.ErrnoEvent); !ok || ee.Errno != sim.E2BIG {
		t.Errorf("full insert ends with %v", last)
	}
	for _, e := range evs {
		if _, err := sim.MarshalEvent(e); err != nil || e.String() == "" {
			t.Errorf("event %v: %v", e, err)
		}
	}
}

// TestHashViews checks the read-only views.
func TestHashViews(t *testing.T) {
	w := htWorld(t, 1)
	m := htHash(t, w, sim.MapHash, 4, 8, 0)
	htInsert(t, m, 0, 1, 2, 3, 4, 5, 6, 7)
	h := m.Ops().(*sim.Hashtab)
	if h.Count() != 8 {
		t.Fatalf("count %d", h.Count())
	}
	// §3.3: buckets 0,3,2,7,1,6,6,2: bucket 6 holds 6 (newest) then 5.
	b6 := h.Bucket(6)
	if len(b6) != 2 || b6[0].Key[0] != 6 || b6[1].Key[0] != 5 {
		t.Fatalf("bucket 6 %+v", b6)
	}
	lens := h.BucketLens(nil)
	if !slices.Equal(lens, []uint32{1, 1, 2, 1, 0, 0, 2, 1}) {
		t.Fatalf("lens %v", lens)
	}
	if ne := h.NonEmptyBuckets(); !slices.Equal(ne, []uint32{0, 1, 2, 3, 6, 7}) {
		t.Fatalf("non-empty %v", ne)
	}
	if h.LRU() != nil {
		t.Fatal("LRU view on a plain hash")
	}

	// A 65536-entry map: lens without allocation once the buffer exists.
	big := htHash(t, w, sim.MapHash, 4, 65536, sim.FlagNoPrealloc)
	for k := uint32(0); k < 65536; k++ {
		big.Update(htU32(k), htU64(1), 0)
	}
	bh := big.Ops().(*sim.Hashtab)
	buf := bh.BucketLens(nil)
	total := 0
	for _, n := range buf {
		total += int(n)
	}
	if total != 65536 {
		t.Fatalf("total %d", total)
	}
	if a := testing.AllocsPerRun(3, func() { bh.BucketLens(buf) }); a != 0 {
		t.Errorf("BucketLens allocates %v", a)
	}
}

// TestHashClone: a cloned World's map is independent.
func TestHashClone(t *testing.T) {
	for _, ty := range []sim.MapType{sim.MapHash, sim.MapPercpuHash, sim.MapLRUHash, sim.MapLRUPercpuHash} {
		w := htWorld(t, 2)
		m := htHash(t, w, ty, 4, 8, 0)
		htInsert(t, m, 1, 2, 3)
		c := w.Clone()
		cm, _ := c.MapByID(m.ID)
		htInsert(t, cm, 4)
		cm.Delete(htU32(1))
		if got := htSet(t, m); !slices.Equal(got, []uint64{1, 2, 3}) {
			t.Errorf("%v: original changed: %v", ty, got)
		}
		if got := htSet(t, cm); !slices.Equal(got, []uint64{2, 3, 4}) {
			t.Errorf("%v: clone %v", ty, got)
		}
		htInsert(t, m, 5, 6, 7)
		if got := htSet(t, cm); !slices.Equal(got, []uint64{2, 3, 4}) {
			t.Errorf("%v: clone changed by the original: %v", ty, got)
		}
	}
}

// TestHtabJhashFastPath: the unrolled 4- and 8-byte hash equals Jhash, seen
// through bucket placement with a large table and many seeds.
func TestHtabJhashFastPath(t *testing.T) {
	for seed := uint32(0); seed < 50; seed++ {
		s := seed * 0x9e3779b9
		w := htWorld(t, 1)
		for _, ks := range []uint32{4, 8} {
			m := htCreate(t, w, sim.MapAttr{Type: sim.MapHash, KeySize: ks, ValueSize: 4, MaxEntries: 1 << 20, Seed: &s, Flags: sim.FlagNoPrealloc})
			h := m.Ops().(*sim.Hashtab)
			for k := uint64(0); k < 200; k++ {
				key := htKey(ks, k*0x12345679+uint64(seed))
				if got, want := h.BucketOf(key), sim.Jhash(key, s)&(1<<20-1); got != want {
					t.Fatalf("key %x seed %#x: bucket %d, want %d", key, s, got, want)
				}
			}
		}
	}
}

// TestSpinLockCreate is §2.2 step 10 for the SpinLock stand-in: EACCES with
// program access flags, EOPNOTSUPP outside HASH and ARRAY.
func TestSpinLockCreate(t *testing.T) {
	for _, c := range []struct {
		ty    sim.MapType
		flags uint32
		off   uint32
		want  sim.Errno
	}{
		{sim.MapHash, 0, 0, sim.OK}, {sim.MapArray, 0, 4, sim.OK},
		{sim.MapHash, sim.FlagRdonlyProg, 0, sim.EACCES}, {sim.MapArray, sim.FlagWronlyProg, 0, sim.EACCES},
		{sim.MapPercpuHash, 0, 0, sim.EOPNOTSUPP}, {sim.MapLRUHash, 0, 0, sim.EOPNOTSUPP},
		{sim.MapLRUPercpuHash, 0, 0, sim.EOPNOTSUPP}, {sim.MapPercpuArray, 0, 0, sim.EOPNOTSUPP},
	} {
		w := htWorld(t, 1)
		ks := uint32(4)
		_, e := w.CreateMap(sim.MapAttr{Type: c.ty, KeySize: ks, ValueSize: 8, MaxEntries: 2, Flags: c.flags, SpinLock: true, SpinLockOff: c.off})
		if e != c.want {
			t.Errorf("%v flags %#x: %v, want %v", c.ty, c.flags, e, c.want)
		}
	}
}

// TestPercpuProgUpdateKeepsPadding: a program update of an existing per-CPU
// element writes value_size bytes; the slot's padding keeps the bytes the
// syscall stored (pcpu_copy_value copies the true value_size).
func TestPercpuProgUpdateKeepsPadding(t *testing.T) {
	for _, ty := range []sim.MapType{sim.MapPercpuHash, sim.MapLRUPercpuHash, sim.MapPercpuArray} {
		w := htWorld(t, 2)
		m := htCreate(t, w, sim.MapAttr{Type: ty, KeySize: 4, ValueSize: 1, MaxEntries: 4})
		full := []byte{0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf}
		htExpect(t, "update", m.Update(htU32(1), full, 0), sim.OK)
		htExpect(t, "prog update", m.ProgUpdate(htU32(1), []byte{0x55}, sim.UpdateExist), sim.OK)
		v, _ := m.Lookup(htU32(1), 0)
		want := append([]byte{0x55}, full[1:]...)
		if !bytes.Equal(v, want) {
			t.Errorf("%v: %x, want %x", ty, v, want)
		}
	}
}
