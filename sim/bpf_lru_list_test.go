package sim_test

// LRU tests: the selftest cases of kernel-semantics §13.4 (test_lru_map.c,
// one CPU, u64 keys and values), the §5.7 table (1 and 2 CPUs) and the live
// LRU observations of kernel-oracle.md §3 (2 CPUs).

import (
	"fmt"
	"slices"
	"testing"

	"github.com/bpfplay/bpfplay/sim"
)

type lruCase struct {
	ty    sim.MapType
	flags uint32
}

func (c lruCase) String() string {
	return fmt.Sprintf("%v/%s", c.ty, sim.FormatMapFlags(c.flags))
}

func (c lruCase) noCommon() bool { return c.flags&sim.FlagNoCommonLRU != 0 }

var lruAll = []lruCase{
	{sim.MapLRUHash, 0}, {sim.MapLRUHash, sim.FlagNoCommonLRU},
	{sim.MapLRUPercpuHash, 0}, {sim.MapLRUPercpuHash, sim.FlagNoCommonLRU},
}

// lruT wraps one LRU map with the selftest's shorthand.
type lruT struct {
	t *testing.T
	m *sim.Map
}

func newLRU(t *testing.T, w *sim.World, c lruCase, size uint32) *lruT {
	t.Helper()
	m := htCreate(t, w, sim.MapAttr{Type: c.ty, KeySize: 8, ValueSize: 8, MaxEntries: size, Flags: c.flags | sim.FlagZeroSeed})
	return &lruT{t, m}
}

// U updates key k with flags f and value k (1234 for key 1, as the selftest's
// first insert) and checks the errno.
func (l *lruT) U(k uint64, f uint64, want sim.Errno) {
	l.t.Helper()
	htExpect(l.t, fmt.Sprintf("U%d flags %d", k, f), l.m.Update(htU64(k), htVal(l.m, k), f), want)
}

func (l *lruT) ins(lo, hi uint64) {
	l.t.Helper()
	for k := lo; k <= hi; k++ {
		l.U(k, sim.UpdateNoExist, sim.OK)
	}
}

// L is a syscall lookup (never sets the ref bit).
func (l *lruT) L(k uint64, want sim.Errno) {
	l.t.Helper()
	v, e := l.m.Lookup(htU64(k), 0)
	htExpect(l.t, fmt.Sprintf("L%d", k), e, want)
	if e == sim.OK && htValNum(v) != k {
		l.t.Fatalf("L%d value %x", k, v)
	}
}

// P is a program lookup (sets the ref bit).
func (l *lruT) P(k uint64, want sim.Errno) {
	l.t.Helper()
	v, e := l.m.ProgLookup(htU64(k))
	htExpect(l.t, fmt.Sprintf("P%d", k), e, want)
	if e == sim.OK && htValNum(v) != k {
		l.t.Fatalf("P%d value %x", k, v)
	}
}

func (l *lruT) D(k uint64, want sim.Errno) {
	l.t.Helper()
	htExpect(l.t, fmt.Sprintf("D%d", k), l.m.Delete(htU64(k)), want)
}

func (l *lruT) expect(want []uint64) {
	l.t.Helper()
	if got := htSet(l.t, l.m); !slices.Equal(got, want) {
		l.t.Fatalf("keys %v\nwant %v", got, want)
	}
}

func htValNum(v []byte) uint64 {
	var x uint64
	for i := 0; i < 8 && i < len(v); i++ {
		x |= uint64(v[i]) << (8 * i)
	}
	return x
}

func lruRun(t *testing.T, cases []lruCase, f func(t *testing.T, w *sim.World, c lruCase)) {
	for _, c := range cases {
		t.Run(c.String(), func(t *testing.T) { f(t, htWorld(t, 1), c) })
	}
}

func union(parts ...[]uint64) []uint64 {
	var s []uint64
	for _, p := range parts {
		s = append(s, p...)
	}
	slices.Sort(s)
	return s
}

func TestLRUSanity0(t *testing.T) {
	lruRun(t, lruAll, func(t *testing.T, w *sim.World, c lruCase) {
		l := newLRU(t, w, c, 2)
		l.U(1, sim.UpdateNoExist, sim.OK)
		l.U(1, sim.UpdateNoExist, sim.EEXIST)
		l.U(1, ^uint64(0), sim.EINVAL)
		l.L(2, sim.ENOENT)
		l.U(2, sim.UpdateExist, sim.ENOENT)
		l.U(2, sim.UpdateNoExist, sim.OK)
		l.L(3, sim.ENOENT)
		l.P(1, sim.OK)
		l.U(3, sim.UpdateNoExist, sim.OK)
		l.L(2, sim.ENOENT)
		v, e := l.m.LookupAndDelete(htU64(1), 0)
		htExpect(t, "LD1", e, sim.OK)
		if htValNum(v) != 1 {
			t.Fatalf("LD1 value %x", v)
		}
		l.expect([]uint64{3})
	})
}

func TestLRUSanity1(t *testing.T) {
	lruRun(t, []lruCase{{sim.MapLRUHash, 0}, {sim.MapLRUPercpuHash, 0}}, func(t *testing.T, w *sim.World, c lruCase) {
		l := newLRU(t, w, c, 320)
		l.ins(1, 256)
		for k := uint64(1); k <= 64; k++ {
			l.P(k, sim.OK)
		}
		l.ins(257, 512)
		l.expect(union(htRange(1, 64), htRange(257, 512)))
	})
}

func TestLRUSanity2(t *testing.T) {
	lruRun(t, []lruCase{{sim.MapLRUHash, 0}, {sim.MapLRUPercpuHash, 0}}, func(t *testing.T, w *sim.World, c lruCase) {
		l := newLRU(t, w, c, 320)
		l.ins(1, 256)
		// The update pops a node first; the refill evicts keys 1..64.
		if c.ty == sim.MapLRUPercpuHash {
			l.U(1, sim.UpdateNoExist, sim.OK)
			l.D(1, sim.OK)
		} else if e := l.m.Update(htU64(1), htVal(l.m, 1), sim.UpdateExist); e == sim.OK {
			t.Fatal("U1 EXIST succeeded; the pop should have evicted key 1")
		}
		for k := uint64(1); k <= 64; k++ {
			l.L(k, sim.ENOENT)
			l.U(k, sim.UpdateNoExist, sim.OK)
			l.P(k, sim.OK)
		}
		l.ins(257, 320)
		l.ins(321, 576)
		l.expect(union(htRange(1, 64), htRange(321, 576)))
	})
}

func TestLRUSanity3(t *testing.T) {
	lruRun(t, []lruCase{{sim.MapLRUHash, 0}, {sim.MapLRUPercpuHash, 0}}, func(t *testing.T, w *sim.World, c lruCase) {
		l := newLRU(t, w, c, 128)
		l.ins(1, 128)
		for k := uint64(1); k <= 64; k++ {
			l.P(k, sim.OK)
		}
		l.ins(129, 192)
		l.expect(union(htRange(1, 64), htRange(129, 192)))
	})
}

func TestLRUSanity4(t *testing.T) {
	lruRun(t, lruAll, func(t *testing.T, w *sim.World, c lruCase) {
		tgt, size := uint64(128), uint32(768)
		if c.noCommon() {
			tgt, size = 4, 12
		}
		l := newLRU(t, w, c, size)
		l.ins(1, 2*tgt)
		l.U(1, sim.UpdateNoExist, sim.EEXIST)
		for k := uint64(1); k <= tgt; k++ {
			l.P(k, sim.OK)
		}
		for k := tgt + 1; k <= 2*tgt; k++ {
			l.D(k, sim.OK)
			l.D(k, sim.ENOENT)
		}
		l.ins(2*tgt+1, 4*tgt)
		l.expect(union(htRange(1, tgt), htRange(2*tgt+1, 4*tgt)))
	})
}

func TestLRUSanity5(t *testing.T) {
	lruRun(t, []lruCase{{sim.MapLRUHash, 0}, {sim.MapLRUPercpuHash, 0}}, func(t *testing.T, w *sim.World, c lruCase) {
		l := newLRU(t, w, c, 1)
		l.U(0, sim.UpdateNoExist, sim.OK)
		l.P(0, sim.OK)
		l.U(1, sim.UpdateNoExist, sim.OK)
		l.P(1, sim.OK)
		l.L(0, sim.ENOENT)
	})
}

func TestLRUSanity6(t *testing.T) {
	lruRun(t, []lruCase{{sim.MapLRUHash, sim.FlagNoCommonLRU}, {sim.MapLRUPercpuHash, sim.FlagNoCommonLRU}}, func(t *testing.T, w *sim.World, c lruCase) {
		l := newLRU(t, w, c, 8)
		l.ins(1, 4)
		for k := uint64(5); k <= 8; k++ {
			for p := uint64(1); p <= 4; p++ {
				l.P(p, sim.OK)
			}
			l.U(k, sim.UpdateNoExist, sim.OK)
		}
		l.ins(9, 12)
		l.expect(union(htRange(1, 4), htRange(9, 12)))
	})
}

func lruSanity78(t *testing.T, w *sim.World, c lruCase, progKey, sysKey uint64) {
	l := newLRU(t, w, c, 2)
	l.U(1, sim.UpdateNoExist, sim.OK)
	l.U(1, sim.UpdateNoExist, sim.EEXIST)
	l.L(2, sim.ENOENT)
	l.U(2, sim.UpdateExist, sim.ENOENT)
	l.U(2, sim.UpdateNoExist, sim.OK)
	l.L(3, sim.ENOENT)
	l.P(progKey, sim.OK) // datapath: sets ref
	l.L(sysKey, sim.OK)  // syscall: does not
	l.U(3, sim.UpdateNoExist, sim.OK)
	l.L(sysKey, sim.ENOENT)
	l.expect(union([]uint64{progKey, 3}))
}

func TestLRUSanity7(t *testing.T) {
	lruRun(t, lruAll, func(t *testing.T, w *sim.World, c lruCase) { lruSanity78(t, w, c, 1, 2) })
}

func TestLRUSanity8(t *testing.T) {
	lruRun(t, lruAll, func(t *testing.T, w *sim.World, c lruCase) { lruSanity78(t, w, c, 2, 1) })
}

// TestLRUTable is the §5.7 table (LRU_HASH): 1 CPU common, 1 CPU
// NO_COMMON_LRU, 2 CPUs common, 2 CPUs NO_COMMON_LRU, always on CPU 0.
func TestLRUTable(t *testing.T) {
	type res struct {
		errno sim.Errno // of the last step, when it is checked
		keys  []uint64
	}
	type row struct {
		name string
		max  uint32
		do   func(l *lruT) sim.Errno
		want [4]res
	}
	ins := func(l *lruT, lo, hi uint64) {
		for k := lo; k <= hi; k++ {
			l.U(k, sim.UpdateAny, sim.OK)
		}
	}
	rows := []row{
		{"insert 1..5", 4, func(l *lruT) sim.Errno { ins(l, 1, 5); return sim.OK },
			[4]res{{0, []uint64{3, 4, 5}}, {0, []uint64{5}}, {0, []uint64{2, 3, 4, 5}}, {0, []uint64{5}}}},
		{"prog lookup 1", 4, func(l *lruT) sim.Errno { ins(l, 1, 4); l.m.ProgLookup(htU64(1)); ins(l, 5, 5); return sim.OK },
			[4]res{{0, []uint64{1, 4, 5}}, {0, []uint64{1, 5}}, {0, []uint64{1, 3, 4, 5}}, {0, []uint64{5}}}},
		{"syscall lookup 1", 4, func(l *lruT) sim.Errno { ins(l, 1, 4); l.m.Lookup(htU64(1), 0); ins(l, 5, 5); return sim.OK },
			[4]res{{0, []uint64{3, 4, 5}}, {0, []uint64{5}}, {0, []uint64{2, 3, 4, 5}}, {0, []uint64{5}}}},
		{"update(2, EXIST)", 4, func(l *lruT) sim.Errno {
			ins(l, 1, 4)
			return l.m.Update(htU64(2), htVal(l.m, 2), sim.UpdateExist)
		}, [4]res{{sim.ENOENT, []uint64{3, 4}}, {sim.ENOENT, nil}, {sim.OK, []uint64{2, 3, 4}}, {sim.ENOENT, nil}}},
		{"delete 3; insert 5, 6", 4, func(l *lruT) sim.Errno { ins(l, 1, 4); l.D(3, sim.OK); ins(l, 5, 6); return sim.OK },
			[4]res{{0, []uint64{4, 5, 6}}, {0, []uint64{6}}, {0, []uint64{2, 4, 5, 6}}, {0, []uint64{6}}}},
		{"max 8; prog lookup 1..6; insert 9", 8, func(l *lruT) sim.Errno {
			ins(l, 1, 8)
			for k := uint64(1); k <= 6; k++ {
				l.m.ProgLookup(htU64(k)) // some are gone on 2 CPUs without a common LRU
			}
			ins(l, 9, 9)
			return sim.OK
		}, [4]res{{0, []uint64{1, 2, 3, 4, 5, 6, 9}}, {0, []uint64{1, 2, 3, 4, 5, 6, 8, 9}}, {0, []uint64{1, 2, 3, 4, 5, 6, 9}}, {0, []uint64{5, 6, 9}}}},
	}
	cols := []struct {
		ncpu  int
		flags uint32
	}{{1, 0}, {1, sim.FlagNoCommonLRU}, {2, 0}, {2, sim.FlagNoCommonLRU}}
	for _, r := range rows {
		for i, col := range cols {
			t.Run(fmt.Sprintf("%s/cpus %d/%s", r.name, col.ncpu, sim.FormatMapFlags(col.flags)), func(t *testing.T) {
				w := htWorld(t, col.ncpu)
				l := newLRU(t, w, lruCase{sim.MapLRUHash, col.flags}, r.max)
				e := r.do(l)
				htExpect(t, "last step", e, r.want[i].errno)
				got := htSet(t, l.m)
				if !slices.Equal(got, r.want[i].keys) && !(len(got) == 0 && len(r.want[i].keys) == 0) {
					t.Fatalf("keys %v, want %v", got, r.want[i].keys)
				}
			})
		}
	}
}

// TestLRUOracleObservations are the live 2-CPU observations of
// kernel-oracle.md §3 (common LRU unless stated).
func TestLRUOracleObservations(t *testing.T) {
	// max 8; before each insert i = 1..16, touch keys 1 and 2.
	type touch int
	const (
		none touch = iota
		syscallLookup
		progLookup
		updateExist
	)
	run := func(how touch, check map[uint64][]uint64) {
		w := htWorld(t, 2)
		l := newLRU(t, w, lruCase{sim.MapLRUHash, 0}, 8)
		for i := uint64(1); i <= 16; i++ {
			for _, k := range []uint64{1, 2} {
				switch how {
				case syscallLookup:
					l.m.Lookup(htU64(k), 0)
				case progLookup:
					l.m.ProgLookup(htU64(k))
				case updateExist:
					l.m.Update(htU64(k), htVal(l.m, k), sim.UpdateExist)
				}
			}
			l.U(i, sim.UpdateAny, sim.OK)
			if want, ok := check[i]; ok {
				if got := htSet(t, l.m); !slices.Equal(got, want) {
					t.Errorf("touch %d: after insert %d: %v, want %v", how, i, got, want)
				}
			}
		}
	}
	plain := map[uint64][]uint64{9: htRange(3, 9), 11: htRange(5, 11), 16: htRange(9, 16)}
	run(none, plain)
	run(syscallLookup, plain)
	run(progLookup, map[uint64][]uint64{9: {1, 2, 5, 6, 7, 8, 9}, 16: union([]uint64{1, 2}, htRange(11, 16))})
	run(updateExist, map[uint64][]uint64{16: union([]uint64{1, 2}, htRange(12, 16))})

	// The first eviction takes target_free = clamp(max/2/2, 1, 128) nodes.
	for _, c := range []struct{ max, batch uint32 }{{8, 2}, {16, 4}, {32, 8}, {64, 16}, {100, 25}, {128, 32}, {512, 128}, {4096, 128}} {
		w := htWorld(t, 2)
		l := newLRU(t, w, lruCase{sim.MapLRUHash, 0}, c.max)
		l.ins(1, uint64(c.max))
		if l.m.Len() != int(c.max) {
			t.Fatalf("max %d: %d after filling", c.max, l.m.Len())
		}
		l.ins(uint64(c.max)+1, uint64(c.max)+1)
		if got := int(c.max) + 1 - l.m.Len(); got != int(c.batch) {
			t.Errorf("max %d: first eviction removed %d, want %d", c.max, got, c.batch)
		}
	}
	// Eviction can start before the map is full.
	for _, c := range []struct{ max, at uint32 }{{9, 9}, {31, 29}, {1000, 897}} {
		w := htWorld(t, 2)
		l := newLRU(t, w, lruCase{sim.MapLRUHash, 0}, c.max)
		first := uint32(0)
		for i := uint32(1); i <= c.max && first == 0; i++ {
			l.U(uint64(i), sim.UpdateAny, sim.OK)
			if l.m.Len() < int(i) {
				first = i
			}
		}
		if first != c.at {
			t.Errorf("max %d: first eviction at insert %d, want %d", c.max, first, c.at)
		}
	}
	// NO_COMMON_LRU on 2 CPUs: CPU 0 owns half of the nodes.
	w := htWorld(t, 2)
	l := newLRU(t, w, lruCase{sim.MapLRUHash, sim.FlagNoCommonLRU}, 8)
	l.ins(1, 8)
	l.expect([]uint64{5, 6, 7, 8})
	l.ins(9, 9)
	l.expect([]uint64{9})
}

// TestLRUKnobs: the fixed target_free of older kernels and the proposed
// no-evict update.
func TestLRUKnobs(t *testing.T) {
	// Fixed 128: a map of 8 on one CPU refills all 8 nodes at once, so the
	// first overflow evicts every unreferenced node.
	w := sim.NewWorld(sim.Config{PossibleCPUs: 1, Knobs: sim.Knobs{LRUFixedTargetFree: true}})
	l := newLRU(t, w, lruCase{sim.MapLRUHash, 0}, 8)
	if v := l.m.Ops().(*sim.Hashtab).LRU(); v.TargetFree != 128 {
		t.Fatalf("target_free %d", v.TargetFree)
	}
	l.ins(1, 9)
	l.expect([]uint64{9})

	// Proposed fix: updating an existing key in a full map evicts nothing.
	w = sim.NewWorld(sim.Config{PossibleCPUs: 1, Knobs: sim.Knobs{LRUUpdateNoEvict: true}})
	for _, c := range []lruCase{{sim.MapLRUHash, 0}, {sim.MapLRUHash, sim.FlagNoCommonLRU}, {sim.MapLRUPercpuHash, 0}} {
		l = newLRU(t, w, c, 4)
		l.ins(1, 4)
		l.U(2, sim.UpdateExist, sim.OK)
		l.U(2, sim.UpdateAny, sim.OK)
		l.U(2, sim.UpdateNoExist, sim.EEXIST)
		l.expect([]uint64{1, 2, 3, 4})
	}
	// ...and without the knob the same update evicts (§5.7 row 4).
	w = htWorld(t, 1)
	l = newLRU(t, w, lruCase{sim.MapLRUHash, 0}, 4)
	l.ins(1, 4)
	l.U(2, sim.UpdateExist, sim.ENOENT)
}

// TestLRUPercpuExistPopsNothing: LRU_PERCPU with BPF_EXIST takes no node, so
// it never evicts; with BPF_ANY it pops first (§5.6).
func TestLRUPercpuExistPopsNothing(t *testing.T) {
	w := htWorld(t, 1)
	l := newLRU(t, w, lruCase{sim.MapLRUPercpuHash, 0}, 4)
	l.ins(1, 4)
	l.U(2, sim.UpdateExist, sim.OK)
	l.expect([]uint64{1, 2, 3, 4})
	l.U(2, sim.UpdateAny, sim.OK) // pops: evicts 1 and 3 (target_free 2), 2 has its ref bit
	l.expect([]uint64{2, 4})
}

// TestLRUViewsAndEvents checks the list view and the eviction reasons.
func TestLRUViewsAndEvents(t *testing.T) {
	w := htWorld(t, 1)
	l := newLRU(t, w, lruCase{sim.MapLRUHash, 0}, 4)
	l.ins(1, 4)
	l.P(1, sim.OK)
	v := l.m.Ops().(*sim.Hashtab).LRU()
	if !v.Common || v.TargetFree != 2 || len(v.Locals) != 1 {
		t.Fatalf("view %+v", v)
	}
	// Inserts 1,2 were flushed to inactive by the refill for 3; 3 and 4
	// are pending on CPU 0 (newest first).
	keys := func(ns []sim.LRUNodeView) []uint64 {
		var out []uint64
		for _, n := range ns {
			out = append(out, htValNum(n.Key))
		}
		return out
	}
	if got := keys(v.Lists[0].Inactive); !slices.Equal(got, []uint64{2, 1}) {
		t.Errorf("inactive %v", got)
	}
	if got := keys(v.Locals[0].Pending); !slices.Equal(got, []uint64{4, 3}) {
		t.Errorf("pending %v", got)
	}
	if !v.Lists[0].Inactive[1].Ref {
		t.Errorf("key 1 has no ref bit after a program lookup")
	}
	var evicts []sim.LRUEvictEvent
	kinds := map[string]int{}
	w.SetSink(func(e sim.Event) {
		kinds[e.Kind()]++
		if ev, ok := e.(sim.LRUEvictEvent); ok {
			evicts = append(evicts, ev)
		}
	})
	l.ins(5, 5)
	// Refill: flush 3, 4; rotation promotes 1; shrink evicts 2 and 3.
	if len(evicts) != 2 || evicts[0].Reason != sim.LRUReasonRefill || evicts[0].Key != "0200000000000000" {
		t.Errorf("evictions %+v", evicts)
	}
	for _, k := range []string{"lru.move", "lru.rotate", "lru.shrink", "lru.evict", "lru.refill", "hash.insert"} {
		if kinds[k] == 0 {
			t.Errorf("no %s event", k)
		}
	}
	l.expect([]uint64{1, 4, 5})

	// Forced shrink: every inactive node referenced and no free node.
	w = htWorld(t, 1)
	l = newLRU(t, w, lruCase{sim.MapLRUHash, sim.FlagNoCommonLRU}, 2)
	l.ins(1, 2)
	l.P(1, sim.OK)
	l.P(2, sim.OK)
	evicts = nil
	w.SetSink(func(e sim.Event) {
		if ev, ok := e.(sim.LRUEvictEvent); ok {
			evicts = append(evicts, ev)
		}
	})
	l.ins(3, 3)
	if len(evicts) != 1 || evicts[0].Reason != sim.LRUReasonForced {
		t.Errorf("forced shrink evictions %+v", evicts)
	}
}

// TestLRUSteal is the steal path of §5.5: with 4 CPUs and a common LRU of
// 3 nodes (target_free 1), CPUs 0..2 each insert a key, so every node is on
// a pending list and the global lists are empty. CPU 3's insert finds
// nothing to refill or shrink and steals, starting from its own lists
// (next_steal = 3), then CPU 0's oldest unreferenced pending node (key 1).
func TestLRUSteal(t *testing.T) {
	w := htWorld(t, 4)
	l := newLRU(t, w, lruCase{sim.MapLRUHash, 0}, 3)
	for c := 0; c < 3; c++ {
		if err := w.SetCPU(c); err != nil {
			t.Fatal(err)
		}
		l.ins(uint64(c+1), uint64(c+1))
	}
	var steals []sim.LRUStealEvent
	var evicts []sim.LRUEvictEvent
	w.SetSink(func(e sim.Event) {
		switch ev := e.(type) {
		case sim.LRUStealEvent:
			steals = append(steals, ev)
		case sim.LRUEvictEvent:
			evicts = append(evicts, ev)
		}
	})
	if err := w.SetCPU(3); err != nil {
		t.Fatal(err)
	}
	l.ins(4, 4)
	l.expect([]uint64{2, 3, 4})
	if len(steals) != 1 || steals[0].From != 0 || steals[0].CPU != 3 {
		t.Errorf("steals %+v", steals)
	}
	if len(evicts) != 1 || evicts[0].Reason != sim.LRUReasonSteal || evicts[0].Key != "0100000000000000" {
		t.Errorf("evictions %+v", evicts)
	}
	v := l.m.Ops().(*sim.Hashtab).LRU()
	if v.Locals[3].NextSteal != 1 || len(v.Locals[3].Pending) != 1 {
		t.Errorf("cpu 3 locals %+v", v.Locals[3])
	}
}
