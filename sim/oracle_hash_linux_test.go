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

// oracleGen builds random statements for one map from a key pool.
type oracleGen struct {
	r        *rand.Rand
	attr     sim.MapAttr
	valueBuf int
	pool     [][]byte
	// valueFn, when set, draws values instead of random bytes.
	valueFn func() []byte
	// zeroPad keeps the padding of per-CPU slots (value_size up to the
	// next multiple of 8) zero, as libbpf users' buffers usually are.
	zeroPad bool
}

func newOracleGen(r *rand.Rand, a sim.MapAttr, pool [][]byte) *oracleGen {
	vb := int(a.ValueSize)
	switch a.Type {
	case sim.MapPercpuHash, sim.MapPercpuArray, sim.MapLRUPercpuHash:
		vb = int((a.ValueSize+7)/8*8) * kernel.PossibleCPUs()
	}
	return &oracleGen{r: r, attr: a, valueBuf: vb, pool: pool}
}

func (g *oracleGen) key() []byte {
	if g.r.IntN(50) == 0 {
		return nil // a NULL key pointer
	}
	return g.pool[g.r.IntN(len(g.pool))]
}

func (g *oracleGen) value() []byte {
	if g.valueFn != nil {
		return g.valueFn()
	}
	v := make([]byte, g.valueBuf)
	for i := range v {
		v[i] = byte(g.r.UintN(256))
	}
	if stride := int((g.attr.ValueSize + 7) / 8 * 8); g.zeroPad && g.valueBuf != int(g.attr.ValueSize) {
		for i := range v {
			if i%stride >= int(g.attr.ValueSize) {
				v[i] = 0
			}
		}
	}
	return v
}

func (g *oracleGen) updateFlags() uint64 {
	switch n := g.r.IntN(20); {
	case n < 8:
		return sim.UpdateAny
	case n < 13:
		return sim.UpdateNoExist
	case n < 18:
		return sim.UpdateExist
	default:
		return []uint64{3, 4, 5, 8, 1 << 32}[g.r.IntN(5)]
	}
}

func (g *oracleGen) lookupFlags() uint64 {
	if g.r.IntN(25) == 0 {
		return []uint64{1, 2, 4, 8}[g.r.IntN(4)]
	}
	return 0
}

// ops draws n statements: updates, lookups, deletes, lookup_and_deletes,
// get_next_key with present, missing and NULL keys, walks every few
// statements, and rarely a freeze. The last statement is always a walk.
func (g *oracleGen) ops(n int, withLookupAndDelete bool) []oracleOp {
	var ops []oracleOp
	walkEvery := 3 + g.r.IntN(8)
	for i := 0; i < n; i++ {
		var op oracleOp
		switch x := g.r.IntN(100); {
		case x < 42:
			op = oracleOp{Kind: opUpdate, Key: g.key(), Val: g.value(), Flags: g.updateFlags()}
		case x < 57:
			op = oracleOp{Kind: opLookup, Key: g.key(), Flags: g.lookupFlags()}
		case x < 69:
			op = oracleOp{Kind: opDelete, Key: g.key()}
		case x < 77:
			if withLookupAndDelete {
				op = oracleOp{Kind: opLookupAndDelete, Key: g.key(), Flags: g.lookupFlags()}
			} else {
				op = oracleOp{Kind: opLookup, Key: g.key()}
			}
		case x < 92:
			if g.r.IntN(4) == 0 {
				op = oracleOp{Kind: opNextKey} // NULL: the first key
			} else {
				op = oracleOp{Kind: opNextKey, Key: g.pool[g.r.IntN(len(g.pool))]}
			}
		case x < 99:
			op = oracleOp{Kind: opWalk}
		default:
			if i > n/2 {
				op = oracleOp{Kind: opFreeze}
			} else {
				op = oracleOp{Kind: opWalk}
			}
		}
		ops = append(ops, op)
		if i%walkEvery == walkEvery-1 {
			ops = append(ops, oracleOp{Kind: opWalk})
		}
	}
	return append(ops, oracleOp{Kind: opWalk})
}

// hashKeyPool draws distinct random keys of size ks.
func hashKeyPool(r *rand.Rand, ks int, n int) [][]byte {
	seen := map[string]bool{}
	var pool [][]byte
	for tries := 0; len(pool) < n && tries < n*20; tries++ {
		k := make([]byte, ks)
		for i := range k {
			// Few distinct byte values make keys that share prefixes.
			if r.IntN(3) == 0 {
				k[i] = byte(r.UintN(256))
			} else {
				k[i] = byte(r.UintN(4))
			}
		}
		if !seen[string(k)] {
			seen[string(k)] = true
			pool = append(pool, k)
		}
	}
	return pool
}

func arrayKeyPool(max uint32) [][]byte {
	var pool [][]byte
	for i := uint32(0); i < max+3; i++ {
		pool = append(pool, binary.LittleEndian.AppendUint32(nil, i))
	}
	return append(pool, binary.LittleEndian.AppendUint32(nil, 0xffffffff), binary.LittleEndian.AppendUint32(nil, 1<<31))
}

var smallMaxEntries = []uint32{1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 16, 17, 31, 33}

func randomHashScenario(seed uint64, t sim.MapType, withProg bool) oracleScenario {
	r := rand.New(rand.NewPCG(seed, uint64(t)))
	ks := uint32(1 + r.IntN(40))
	vs := uint32(1 + r.IntN(40))
	if r.IntN(10) == 0 {
		vs = uint32(41 + r.IntN(200))
	}
	max := smallMaxEntries[r.IntN(len(smallMaxEntries))]
	if r.IntN(10) == 0 {
		max = []uint32{64, 100, 257}[r.IntN(3)] // more buckets than keys
	}
	flags := sim.FlagZeroSeed
	if r.IntN(2) == 0 {
		flags |= sim.FlagNoPrealloc
	}
	switch r.IntN(40) {
	case 0:
		flags |= sim.FlagRdonly
	case 1:
		flags |= sim.FlagWronly
	case 2:
		flags |= sim.FlagRdonlyProg
	case 3:
		flags |= sim.FlagWronlyProg
	}
	if withProg {
		flags &^= sim.FlagRdonlyProg | sim.FlagWronlyProg // programs must be able to write
		// Few shapes, so that few programs are loaded (one per shape).
		ks = []uint32{1, 4, 5, 8, 16, 40}[r.IntN(6)]
		vs = []uint32{1, 4, 8, 12, 20}[r.IntN(5)]
	}
	a := sim.MapAttr{Name: "h", Type: t, KeySize: ks, ValueSize: vs, MaxEntries: max, Flags: flags}
	pool := hashKeyPool(r, int(ks), int(max)*2+2)
	g := newOracleGen(r, a, pool)
	g.zeroPad = withProg
	ops := g.ops(20+r.IntN(100), true)
	if withProg {
		ops = g.withProgOps(ops)
	}
	return oracleScenario{Name: fmt.Sprintf("%s seed %d", t, seed), Attr: a, Ops: ops}
}

// withProgOps mixes program-side lookups, updates (one CPU's value) and
// deletes, and moves between CPUs, into ops.
func (g *oracleGen) withProgOps(ops []oracleOp) []oracleOp {
	var out []oracleOp
	vs := int(g.attr.ValueSize)
	for _, op := range ops {
		out = append(out, op)
		switch x := g.r.IntN(100); {
		case x < 8:
			out = append(out, oracleOp{Kind: opProgLookup, Key: g.pool[g.r.IntN(len(g.pool))]})
		case x < 18:
			out = append(out, oracleOp{Kind: opProgUpdate, Key: g.pool[g.r.IntN(len(g.pool))], Val: g.value()[:vs], Flags: g.updateFlags() & 7})
		case x < 22:
			out = append(out, oracleOp{Kind: opProgDelete, Key: g.pool[g.r.IntN(len(g.pool))]})
		case x < 26:
			out = append(out, oracleOp{Kind: opCPU, Flags: uint64(g.r.IntN(kernel.PossibleCPUs()))})
		case x < 32:
			switch g.attr.Type {
			case sim.MapPercpuHash, sim.MapPercpuArray, sim.MapLRUPercpuHash:
				cpu := uint64(g.r.IntN(kernel.PossibleCPUs() + 2))
				if g.r.IntN(8) == 0 {
					cpu = []uint64{1 << 20, 0xffffffff, 1 << 32}[g.r.IntN(3)]
				}
				out = append(out, oracleOp{Kind: opProgLookupPercpu, Key: g.pool[g.r.IntN(len(g.pool))], Flags: cpu})
			}
		}
	}
	return out
}

func randomArrayScenario(seed uint64, t sim.MapType, withProg bool) oracleScenario {
	r := rand.New(rand.NewPCG(seed, uint64(t)+100))
	vs := uint32(1 + r.IntN(48))
	max := uint32(1 + r.IntN(20))
	var flags uint32
	switch r.IntN(30) {
	case 0:
		flags = sim.FlagRdonly
	case 1:
		flags = sim.FlagWronly
	case 2:
		if t == sim.MapArray {
			flags = sim.FlagMmapable
		}
	case 3:
		flags = sim.FlagRdonlyProg
	}
	if withProg {
		// Programs reach the array through an ARRAY_OF_MAPS whose template
		// has another max_entries: BPF_F_INNER_MAP allows that for ARRAY;
		// PERCPU_ARRAY refuses the flag, so its shapes include max_entries.
		flags &^= sim.FlagRdonlyProg | sim.FlagWronlyProg | sim.FlagMmapable
		vs = []uint32{1, 4, 8, 13, 24}[r.IntN(5)]
		if t == sim.MapArray {
			flags |= sim.FlagInnerMap
		} else {
			max = []uint32{1, 3, 8}[r.IntN(3)]
		}
	}
	a := sim.MapAttr{Name: "a", Type: t, KeySize: 4, ValueSize: vs, MaxEntries: max, Flags: flags}
	g := newOracleGen(r, a, arrayKeyPool(max))
	g.zeroPad = withProg
	ops := g.ops(20+r.IntN(60), true)
	if withProg {
		ops = g.withProgOps(ops)
	}
	return oracleScenario{Name: fmt.Sprintf("%s seed %d", t, seed), Attr: a, Ops: ops}
}

func requireSimulated(t *testing.T, types ...sim.MapType) {
	t.Helper()
	for _, ty := range types {
		if !sim.Simulated(ty) {
			t.Skipf("map type %s is not simulated yet", ty)
		}
	}
}

// TestOracleHashArray runs thousands of random scenarios on HASH,
// PERCPU_HASH, ARRAY and PERCPU_ARRAY on the kernel and the simulator.
func TestOracleHashArray(t *testing.T) {
	kernel.Require(t)
	n := 1500
	if testing.Short() {
		n = 100
	}
	ps := newProgProbers(t) // program-side helpers through one program per shape
	for _, ty := range []sim.MapType{sim.MapHash, sim.MapPercpuHash, sim.MapArray, sim.MapPercpuArray} {
		t.Run(ty.String(), func(t *testing.T) {
			requireSimulated(t, ty)
			kernel.PinCPU0(t) // program updates of per-CPU maps write the current CPU
			var st oracleStats
			for seed := uint64(1); seed <= uint64(n); seed++ {
				// Every third scenario also runs program-side helpers.
				withProg := seed%3 == 0
				var s oracleScenario
				if ty == sim.MapHash || ty == sim.MapPercpuHash {
					s = randomHashScenario(seed, ty, withProg)
				} else {
					s = randomArrayScenario(seed, ty, withProg)
				}
				var env *oracleEnv
				if withProg {
					var err error
					if env, err = ps.env(s.Attr); err != nil {
						t.Fatal(err)
					}
				}
				st.check(t, s, env)
			}
			st.summary(t, ty.String())
		})
	}
	t.Logf("program loads in this process: %d", kernel.Loads())
}

// TestOracleHashVectors runs the fixed cases of kernel-semantics §13.1 and
// §13.2 (H1, H2, H6, A1, A2) and the §3.4 order vector on both sides.
func TestOracleHashVectors(t *testing.T) {
	kernel.Require(t)
	u64 := func(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }
	u32 := func(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
	ncpu := kernel.PossibleCPUs()
	pcpu := func(v uint64) []byte {
		var b []byte
		for c := 0; c < ncpu; c++ {
			b = append(b, u64(v+uint64(c))...)
		}
		return b
	}
	U := func(k, v []byte, f uint64) oracleOp { return oracleOp{Kind: opUpdate, Key: k, Val: v, Flags: f} }
	L := func(k []byte) oracleOp { return oracleOp{Kind: opLookup, Key: k} }
	D := func(k []byte) oracleOp { return oracleOp{Kind: opDelete, Key: k} }
	LD := func(k []byte) oracleOp { return oracleOp{Kind: opLookupAndDelete, Key: k} }
	N := func(k []byte) oracleOp { return oracleOp{Kind: opNextKey, Key: k} }
	W := oracleOp{Kind: opWalk}
	h1 := func(val func(uint64) []byte) []oracleOp {
		return []oracleOp{
			U(u64(1), val(1234), 0), U(u64(1), val(1234), 1), U(u64(1), val(1234), ^uint64(0)), L(u64(1)),
			U(u64(2), val(1234), 0), LD(u64(2)), L(u64(2)),
			U(u64(2), val(1234), 2), U(u64(2), val(1234), 1),
			U(u64(0), val(0), 1),
			U(u64(1), val(1), 2), U(u64(2), val(2), 0), U(u64(3), val(3), 1), D(u64(0)),
			N(nil), N(u64(0)), N(u64(1)), N(u64(2)), W,
			D(u64(1)), D(u64(2)), D(u64(2)), N(nil), N(u64(0)), W,
		}
	}
	var insert20 []oracleOp
	for i := uint32(1); i <= 20; i++ {
		insert20 = append(insert20, U(u32(i), u32(i), 0))
	}
	insert20 = append(insert20, W)
	var st oracleStats
	cases := []oracleScenario{}
	for _, fl := range []uint32{0, sim.FlagNoPrealloc} {
		fl |= sim.FlagZeroSeed
		cases = append(cases,
			oracleScenario{Name: "H1", Attr: sim.MapAttr{Type: sim.MapHash, KeySize: 8, ValueSize: 8, MaxEntries: 2, Flags: fl}, Ops: h1(u64)},
			oracleScenario{Name: "H2", Attr: sim.MapAttr{Type: sim.MapPercpuHash, KeySize: 8, ValueSize: 8, MaxEntries: 2, Flags: fl}, Ops: h1(pcpu)},
			oracleScenario{Name: "H6 rdonly", Attr: sim.MapAttr{Type: sim.MapHash, KeySize: 8, ValueSize: 8, MaxEntries: 2, Flags: fl | sim.FlagRdonly}, Ops: []oracleOp{U(u64(1), u64(1), 0), L(u64(1)), N(nil), W}},
			oracleScenario{Name: "H6 wronly", Attr: sim.MapAttr{Type: sim.MapHash, KeySize: 8, ValueSize: 8, MaxEntries: 2, Flags: fl | sim.FlagWronly}, Ops: []oracleOp{U(u64(1), u64(1), 0), L(u64(1)), N(nil), LD(u64(1)), D(u64(1))}},
			oracleScenario{Name: "order max32", Attr: sim.MapAttr{Type: sim.MapHash, KeySize: 4, ValueSize: 4, MaxEntries: 32, Flags: fl}, Ops: insert20},
			oracleScenario{Name: "order max8", Attr: sim.MapAttr{Type: sim.MapHash, KeySize: 4, ValueSize: 4, MaxEntries: 8, Flags: fl}, Ops: insert20},
		)
	}
	a1 := func(val func(uint64) []byte) []oracleOp {
		return []oracleOp{
			U(u32(1), val(1234), 0), U(u32(1), val(1234), 1), L(u32(1)), L(u32(0)),
			U(u32(2), val(1), 2), L(u32(2)),
			N(nil), N(u32(2)), N(u32(0)), N(u32(1)), D(u32(1)), LD(u32(1)), W,
		}
	}
	cases = append(cases,
		oracleScenario{Name: "A1", Attr: sim.MapAttr{Type: sim.MapArray, KeySize: 4, ValueSize: 8, MaxEntries: 2}, Ops: a1(u64)},
		oracleScenario{Name: "A2", Attr: sim.MapAttr{Type: sim.MapPercpuArray, KeySize: 4, ValueSize: 8, MaxEntries: 2}, Ops: a1(pcpu)},
	)
	kernel.PinCPU0(t)
	ps := newProgProbers(t)
	var progCases []oracleScenario
	for _, ty := range []sim.MapType{sim.MapPercpuHash, sim.MapPercpuArray} {
		// A syscall update writes whole 8-byte slots (padding included); a
		// program update of an existing element writes value_size bytes of
		// the current CPU's slot.
		pad := sim.MapAttr{Type: ty, KeySize: 4, ValueSize: 1, MaxEntries: 4, Flags: sim.FlagZeroSeed}
		if ty == sim.MapPercpuArray {
			pad.Flags = 0
		}
		full := make([]byte, 8*ncpu)
		for i := range full {
			full[i] = byte(0xa0 + i)
		}
		k := u32(1)
		progCases = append(progCases, oracleScenario{Name: "percpu padding after prog update", Attr: pad, Ops: []oracleOp{
			U(k, full, 0), {Kind: opProgUpdate, Key: k, Val: []byte{0x55}, Flags: sim.UpdateExist}, L(k),
		}})
	}
	for _, c := range progCases {
		if !sim.Simulated(c.Attr.Type) {
			continue
		}
		env, err := ps.env(c.Attr)
		if err != nil {
			t.Fatal(err)
		}
		st.check(t, c, env)
	}
	for _, c := range cases {
		if !sim.Simulated(c.Attr.Type) {
			t.Logf("%s: %s not simulated yet; skipped", c.Name, c.Attr.Type)
			continue
		}
		st.check(t, c, nil)
	}
	st.summary(t, "hash/array vectors")
}
