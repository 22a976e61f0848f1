//go:build linux

package sim_test

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/bpfplay/bpfplay/internal/kernel"
	"github.com/bpfplay/bpfplay/sim"
)

var lruMaxEntries = []uint32{1, 2, 3, 4, 5, 7, 8, 9, 12, 16, 17, 31, 32, 33, 64, 100, 128, 200, 257}

func randomLRUScenario(seed uint64, t sim.MapType, flags uint32) oracleScenario {
	r := rand.New(rand.NewPCG(seed, uint64(t)<<8|uint64(flags)))
	ks := []uint32{1, 3, 4, 8, 16, 40}[r.IntN(6)]
	vs := []uint32{1, 8, 20}[r.IntN(3)]
	max := lruMaxEntries[r.IntN(len(lruMaxEntries))]
	a := sim.MapAttr{Name: "lru", Type: t, KeySize: ks, ValueSize: vs, MaxEntries: max, Flags: flags | sim.FlagZeroSeed}
	npool := int(max)*3/2 + 3
	if ks == 1 && npool > 256 {
		npool = 256
	}
	pool := hashKeyPool(r, int(ks), npool)
	g := newOracleGen(r, a, pool)
	// Program updates write value_size bytes of one CPU's slot; the padding
	// behaviour is checked by the "percpu padding" vector instead.
	g.zeroPad = true
	n := 30 + r.IntN(int(max)*3+30)
	if n > 500 {
		n = 500
	}
	var ops []oracleOp
	walkEvery := 4 + r.IntN(12)
	switchCPUs := r.IntN(3) == 0 // a third of the scenarios also run on other CPUs
	for i := 0; i < n; i++ {
		var op oracleOp
		switch x := r.IntN(100); {
		case x < 45:
			op = oracleOp{Kind: opUpdate, Key: g.key(), Val: g.value(), Flags: g.updateFlags()}
		case x < 70:
			op = oracleOp{Kind: opProgLookup, Key: pool[r.IntN(len(pool))]}
		case x < 78:
			op = oracleOp{Kind: opLookup, Key: g.key(), Flags: g.lookupFlags()}
		case x < 85:
			op = oracleOp{Kind: opDelete, Key: g.key()}
		case x < 89:
			op = oracleOp{Kind: opLookupAndDelete, Key: g.key(), Flags: g.lookupFlags()}
		case x < 93:
			op = oracleOp{Kind: opNextKey, Key: pool[r.IntN(len(pool))]}
		case x < 95:
			op = oracleOp{Kind: opWalk}
		default:
			// From a program: update (one CPU's value) or delete.
			if r.IntN(3) == 0 {
				op = oracleOp{Kind: opProgDelete, Key: pool[r.IntN(len(pool))]}
			} else {
				op = oracleOp{Kind: opProgUpdate, Key: pool[r.IntN(len(pool))], Val: g.value()[:vs], Flags: g.updateFlags() & 7}
			}
		}
		if t == sim.MapLRUPercpuHash && r.IntN(10) == 0 {
			// bpf_map_lookup_percpu_elem: any CPU's copy; sets the ref bit.
			ops = append(ops, oracleOp{Kind: opProgLookupPercpu, Key: pool[r.IntN(len(pool))], Flags: uint64(r.IntN(kernel.PossibleCPUs() + 1))})
		}
		if switchCPUs && r.IntN(12) == 0 {
			ops = append(ops, oracleOp{Kind: opCPU, Flags: uint64(r.IntN(kernel.PossibleCPUs()))})
		}
		ops = append(ops, op)
		if i%walkEvery == walkEvery-1 {
			ops = append(ops, oracleOp{Kind: opWalk})
		}
	}
	ops = append(ops, oracleOp{Kind: opWalk})
	return oracleScenario{Name: fmt.Sprintf("%s flags %s seed %d", t, sim.FormatMapFlags(a.Flags), seed), Attr: a, Ops: ops}
}

// randomBigLRUScenario fills a large LRU (batch eviction with target_free
// up to 128, local free lists, rotation over many nodes) with about twice
// its size of inserts, program lookups of recent keys and a few deletes.
func randomBigLRUScenario(seed uint64, t sim.MapType, flags uint32) oracleScenario {
	r := rand.New(rand.NewPCG(seed, uint64(t)<<8|uint64(flags)|1<<40))
	size := []uint32{300, 512, 1000, 1500}[r.IntN(4)]
	a := sim.MapAttr{Name: "big", Type: t, KeySize: 4, ValueSize: 8, MaxEntries: size, Flags: flags | sim.FlagZeroSeed}
	g := newOracleGen(r, a, nil)
	g.zeroPad = true
	key := func(i int) []byte { return binary.LittleEndian.AppendUint32(nil, uint32(i)*2654435761) }
	var ops []oracleOp
	next := 0
	total := int(size) * 2
	for i := 0; i < total; i++ {
		switch x := r.IntN(100); {
		case x < 60:
			ops = append(ops, oracleOp{Kind: opUpdate, Key: key(next), Val: g.value(), Flags: []uint64{0, 0, 1, 2}[r.IntN(4)]})
			next++
		case x < 90:
			back := 1 + r.IntN(int(size))
			ops = append(ops, oracleOp{Kind: opProgLookup, Key: key(max(0, next-back))})
		case x < 95:
			ops = append(ops, oracleOp{Kind: opDelete, Key: key(r.IntN(next + 1))})
		default:
			ops = append(ops, oracleOp{Kind: opLookup, Key: key(r.IntN(next + 1))})
		}
		if i%(total/4) == total/4-1 {
			ops = append(ops, oracleOp{Kind: opKeySet})
		}
	}
	ops = append(ops, oracleOp{Kind: opWalk})
	return oracleScenario{Name: fmt.Sprintf("big %s flags %s seed %d", t, sim.FormatMapFlags(a.Flags), seed), Attr: a, Ops: ops}
}

// TestOracleLRU runs random LRU_HASH and LRU_PERCPU_HASH scenarios, with
// the common LRU and with NO_COMMON_LRU, pinned to CPU 0, with possible
// CPUs = the host's. Reference bits are set by real program lookups.
func TestOracleLRU(t *testing.T) {
	kernel.Require(t)
	kernel.PinCPU0(t)
	ps := newProgProbers(t)
	n := 1000
	if testing.Short() {
		n = 60
	}
	for _, ty := range []sim.MapType{sim.MapLRUHash, sim.MapLRUPercpuHash} {
		for _, fl := range []uint32{0, sim.FlagNoCommonLRU} {
			name := ty.String()
			if fl != 0 {
				name += "_no_common"
			}
			t.Run(name, func(t *testing.T) {
				requireSimulated(t, ty)
				kernel.PinCPU0(t) // a subtest runs on its own goroutine
				var st oracleStats
				big := n / 25
				for seed := uint64(1); seed <= uint64(big); seed++ {
					s := randomBigLRUScenario(seed, ty, fl)
					env, err := ps.env(s.Attr)
					if err != nil {
						t.Fatal(err)
					}
					st.check(t, s, env)
				}
				for seed := uint64(1); seed <= uint64(n); seed++ {
					s := randomLRUScenario(seed, ty, fl)
					env, err := ps.env(s.Attr)
					if err != nil {
						t.Fatal(err)
					}
					st.check(t, s, env)
				}
				st.summary(t, name)
			})
		}
	}
	t.Logf("program loads in this process: %d", kernel.Loads())
}

// TestOracleLRUVectors runs the §5.7 table and the §13.4 sanity cases for
// this host's CPU count on both sides.
func TestOracleLRUVectors(t *testing.T) {
	kernel.Require(t)
	kernel.PinCPU0(t)
	ps := newProgProbers(t)
	u64 := func(v uint64) []byte {
		return []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24), byte(v >> 32), byte(v >> 40), byte(v >> 48), byte(v >> 56)}
	}
	ncpu := kernel.PossibleCPUs()
	var st oracleStats
	for _, ty := range []sim.MapType{sim.MapLRUHash, sim.MapLRUPercpuHash} {
		if !sim.Simulated(ty) {
			t.Logf("%s not simulated yet; skipped", ty)
			continue
		}
		val := func(v uint64) []byte {
			if ty == sim.MapLRUPercpuHash {
				var b []byte
				for c := 0; c < ncpu; c++ {
					b = append(b, u64(v)...)
				}
				return b
			}
			return u64(v)
		}
		for _, fl := range []uint32{0, sim.FlagNoCommonLRU} {
			U := func(k uint64, f uint64) oracleOp { return oracleOp{Kind: opUpdate, Key: u64(k), Val: val(k), Flags: f} }
			P := func(k uint64) oracleOp { return oracleOp{Kind: opProgLookup, Key: u64(k)} }
			L := func(k uint64) oracleOp { return oracleOp{Kind: opLookup, Key: u64(k)} }
			D := func(k uint64) oracleOp { return oracleOp{Kind: opDelete, Key: u64(k)} }
			K := oracleOp{Kind: opKeySet}
			ins := func(from, to uint64) []oracleOp {
				var ops []oracleOp
				for k := from; k <= to; k++ {
					ops = append(ops, U(k, 0))
				}
				return ops
			}
			cat := func(parts ...[]oracleOp) []oracleOp {
				var ops []oracleOp
				for _, p := range parts {
					ops = append(ops, p...)
				}
				return append(ops, K, oracleOp{Kind: opWalk})
			}
			attr := func(max uint32) sim.MapAttr {
				return sim.MapAttr{Type: ty, KeySize: 8, ValueSize: 8, MaxEntries: max, Flags: fl | sim.FlagZeroSeed}
			}
			var pl16 []oracleOp
			for k := uint64(1); k <= 6; k++ {
				pl16 = append(pl16, P(k))
			}
			var pl64 []oracleOp
			for k := uint64(1); k <= 64; k++ {
				pl64 = append(pl64, P(k))
			}
			cases := []oracleScenario{
				{Name: "5.7 insert 1..5", Attr: attr(4), Ops: cat(ins(1, 5))},
				{Name: "5.7 prog lookup", Attr: attr(4), Ops: cat(ins(1, 4), []oracleOp{P(1)}, ins(5, 5))},
				{Name: "5.7 syscall lookup", Attr: attr(4), Ops: cat(ins(1, 4), []oracleOp{L(1)}, ins(5, 5))},
				{Name: "5.7 update exist", Attr: attr(4), Ops: cat(ins(1, 4), []oracleOp{U(2, 2)})},
				{Name: "5.7 delete", Attr: attr(4), Ops: cat(ins(1, 4), []oracleOp{D(3)}, ins(5, 6))},
				{Name: "5.7 max 8", Attr: attr(8), Ops: cat(ins(1, 8), pl16, ins(9, 9))},
				{Name: "sanity0", Attr: attr(2), Ops: cat([]oracleOp{U(1, 1), U(1, 1), {Kind: opUpdate, Key: u64(1), Val: val(1), Flags: ^uint64(0)},
					L(2), U(2, 2), U(2, 1), L(3), P(1), U(3, 1), L(2), {Kind: opLookupAndDelete, Key: u64(1)}})},
				{Name: "sanity1", Attr: attr(320), Ops: cat(ins(1, 256), pl64, ins(257, 512))},
				{Name: "sanity3", Attr: attr(128), Ops: cat(ins(1, 128), pl64, ins(129, 192))},
				{Name: "sanity7", Attr: attr(2), Ops: cat([]oracleOp{U(1, 1), U(1, 1), L(2), U(2, 2), U(2, 1), L(3), P(1), L(2), U(3, 1), L(2)})},
				{Name: "sanity8", Attr: attr(2), Ops: cat([]oracleOp{U(1, 1), U(1, 1), L(2), U(2, 2), U(2, 1), L(3), L(1), P(2), U(3, 1), L(1)})},
			}
			if ty == sim.MapLRUPercpuHash {
				// A syscall update writes whole 8-byte slots (padding
				// included); a program update of an existing element
				// writes value_size bytes of the current CPU's slot.
				pad := sim.MapAttr{Type: ty, KeySize: 4, ValueSize: 1, MaxEntries: 4, Flags: fl | sim.FlagZeroSeed}
				full := make([]byte, 8*ncpu)
				for i := range full {
					full[i] = byte(0xa0 + i)
				}
				k := []byte{1, 0, 0, 0}
				cases = append(cases, oracleScenario{Name: "percpu padding after prog update", Attr: pad, Ops: []oracleOp{
					{Kind: opUpdate, Key: k, Val: full}, {Kind: opProgUpdate, Key: k, Val: []byte{0x55}, Flags: sim.UpdateExist}, {Kind: opLookup, Key: k},
				}})
			}
			for _, c := range cases {
				c.Name = fmt.Sprintf("%s %s %s", c.Name, ty, sim.FormatMapFlags(c.Attr.Flags))
				env, err := ps.env(c.Attr)
				if err != nil {
					t.Fatal(err)
				}
				st.check(t, c, env)
			}
		}
	}
	st.summary(t, "lru vectors")
}
