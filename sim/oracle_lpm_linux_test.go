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

// lpmKey is {u32 prefixlen (host order); data}.
func lpmKey(plen uint32, data []byte) []byte {
	return append(binary.LittleEndian.AppendUint32(nil, plen), data...)
}

// lpmKeyPool draws prefixes that share leading bits (so the trie gets
// intermediate nodes and nested prefixes), full-length addresses, and a few
// keys with prefixlen beyond the maximum.
func lpmKeyPool(r *rand.Rand, ds int, n int) [][]byte {
	maxPlen := uint32(8 * ds)
	bases := make([][]byte, 1+r.IntN(3))
	for i := range bases {
		bases[i] = make([]byte, ds)
		for j := range bases[i] {
			bases[i][j] = byte(r.UintN(256))
		}
	}
	seen := map[string]bool{}
	var pool [][]byte
	for tries := 0; len(pool) < n && tries < n*20; tries++ {
		data := append([]byte(nil), bases[r.IntN(len(bases))]...)
		// Flip a few bits, mostly late ones, to get siblings and cousins.
		for f := r.IntN(3); f > 0; f-- {
			bit := r.IntN(int(maxPlen))
			data[bit/8] ^= 0x80 >> (bit % 8)
		}
		var plen uint32
		switch x := r.IntN(20); {
		case x < 2:
			plen = maxPlen
		case x < 3:
			plen = maxPlen + 1 + uint32(r.IntN(3))
		case x < 4:
			plen = 0
		default:
			plen = uint32(r.IntN(int(maxPlen) + 1))
		}
		k := lpmKey(plen, data)
		if !seen[string(k)] {
			seen[string(k)] = true
			pool = append(pool, k)
		}
	}
	return pool
}

func randomLPMScenario(seed uint64, withProg bool) oracleScenario {
	r := rand.New(rand.NewPCG(seed, 11))
	ds := []int{1, 2, 3, 4, 4, 4, 5, 8, 16, 16, 32, 256}[r.IntN(12)]
	vs := uint32(1 + r.IntN(16))
	max := smallMaxEntries[r.IntN(len(smallMaxEntries))]
	flags := sim.FlagNoPrealloc
	switch r.IntN(40) {
	case 0:
		flags |= sim.FlagRdonly
	case 1:
		flags |= sim.FlagWronly
	}
	if withProg {
		ds = []int{1, 4, 16}[r.IntN(3)]
		vs = []uint32{1, 4, 8}[r.IntN(3)]
	}
	a := sim.MapAttr{Name: "lpm", Type: sim.MapLPMTrie, KeySize: uint32(4 + ds), ValueSize: vs, MaxEntries: max, Flags: flags}
	pool := lpmKeyPool(r, ds, int(max)*3+4)
	g := newOracleGen(r, a, pool)
	ops := g.ops(20+r.IntN(100), true)
	if withProg {
		ops = g.withProgOps(ops)
	}
	return oracleScenario{Name: fmt.Sprintf("lpm_trie seed %d", seed), Attr: a, Ops: ops}
}

// TestOracleLPM runs random LPM scenarios (v4 and other data sizes) on the
// kernel and the simulator: updates, lookups, deletes, get_next_key and
// walks (the post-order walk is compared in order).
func TestOracleLPM(t *testing.T) {
	kernel.Require(t)
	requireSimulated(t, sim.MapLPMTrie)
	n := 2500
	if testing.Short() {
		n = 150
	}
	kernel.PinCPU0(t)
	ps := newProgProbers(t)
	var st oracleStats
	for seed := uint64(1); seed <= uint64(n); seed++ {
		// Every fourth scenario also looks up, updates and deletes from a program.
		withProg := seed%4 == 0
		s := randomLPMScenario(seed, withProg)
		var env *oracleEnv
		if withProg {
			var err error
			if env, err = ps.env(s.Attr); err != nil {
				t.Fatal(err)
			}
		}
		st.check(t, s, env)
	}
	st.summary(t, "lpm_trie")
}

// TestOracleLPMVectors runs the §13.5 lpm_delete, get_next_key,
// update_flags and update_full_map cases on both sides.
func TestOracleLPMVectors(t *testing.T) {
	kernel.Require(t)
	requireSimulated(t, sim.MapLPMTrie)
	v4 := func(plen uint32, a, b, c, d byte) []byte { return lpmKey(plen, []byte{a, b, c, d}) }
	u32 := func(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
	be := func(plen, v uint32) []byte { return lpmKey(plen, binary.BigEndian.AppendUint32(nil, v)) }
	U := func(k, v []byte, f uint64) oracleOp { return oracleOp{Kind: opUpdate, Key: k, Val: v, Flags: f} }
	L := func(k []byte) oracleOp { return oracleOp{Kind: opLookup, Key: k} }
	D := func(k []byte) oracleOp { return oracleOp{Kind: opDelete, Key: k} }
	N := func(k []byte) oracleOp { return oracleOp{Kind: opNextKey, Key: k} }
	W := oracleOp{Kind: opWalk}
	attr := func(max uint32) sim.MapAttr {
		return sim.MapAttr{Type: sim.MapLPMTrie, KeySize: 8, ValueSize: 4, MaxEntries: max, Flags: sim.FlagNoPrealloc}
	}
	cases := []oracleScenario{
		{Name: "lpm_delete", Attr: attr(16), Ops: []oracleOp{
			U(v4(16, 192, 168, 0, 0), u32(1), 0), U(v4(24, 192, 168, 0, 0), u32(2), 0), U(v4(24, 192, 168, 128, 0), u32(3), 0), U(v4(24, 192, 168, 1, 0), u32(4), 0),
			L(v4(32, 10, 0, 0, 1)), D(v4(30, 192, 255, 0, 0)), D(v4(16, 192, 255, 0, 0)), L(v4(32, 192, 168, 0, 1)),
			D(v4(24, 192, 168, 0, 0)), L(v4(32, 192, 168, 0, 1)), D(v4(24, 192, 168, 1, 0)), L(v4(32, 192, 168, 1, 1)),
			D(v4(16, 192, 168, 0, 0)), L(v4(32, 192, 168, 128, 1)), D(v4(24, 192, 168, 128, 0)), L(v4(32, 192, 168, 128, 1)), W,
		}},
		{Name: "lpm_get_next_key", Attr: attr(16), Ops: []oracleOp{
			N(nil), U(v4(16, 192, 168, 0, 0), u32(1), 0), N(v4(16, 192, 168, 0, 0)), N(nil), W,
			U(v4(24, 192, 168, 128, 0), u32(2), 0), W, U(v4(24, 192, 168, 0, 0), u32(3), 0), W,
			U(v4(24, 192, 168, 1, 0), u32(4), 0), W, U(v4(28, 192, 168, 1, 128), u32(5), 0), W,
			N(v4(22, 192, 168, 1, 0)), U(v4(23, 192, 168, 0, 0), u32(6), 0), W, U(v4(0, 0, 0, 0, 0), u32(7), 0), W,
			N(v4(33, 1, 2, 3, 4)), L(v4(33, 192, 168, 0, 0)), U(v4(33, 1, 2, 3, 4), u32(1), 0), D(v4(33, 1, 2, 3, 4)),
			U(v4(8, 10, 1, 2, 3), u32(8), 0), U(v4(8, 10, 9, 9, 9), u32(9), 0), W, D(v4(8, 10, 7, 7, 7)), W,
			oracleOp{Kind: opLookupAndDelete, Key: v4(16, 192, 168, 0, 0)},
		}},
		{Name: "update_flags", Attr: attr(3), Ops: []oracleOp{
			U(be(32, 0), u32(1), 4), U(be(32, 0), u32(1), 3), U(be(32, 0), u32(1), 2),
			U(be(16, 0), u32(2), 1), U(be(16, 0), u32(3), 1), U(be(16, 0), u32(4), 2), U(be(16, 0), u32(5), 0),
			U(be(8, 0), u32(6), 2), U(be(8, 0), u32(7), 1), U(be(9, 0x00800000), u32(8), 1), U(be(9, 0x00800000), u32(9), 0),
			D(be(8, 0)), U(be(8, 0), u32(10), 2), W,
		}},
		{Name: "update_full_map", Attr: attr(3), Ops: []oracleOp{
			U(be(16, 0), u32(1), 1), U(be(8, 0), u32(2), 1), U(be(9, 0x00800000), u32(3), 1),
			U(be(32, 0), u32(4), 0), U(be(32, 0), u32(4), 2), U(be(16, 0), u32(5), 2), U(be(9, 0x00800000), u32(6), 0), W,
		}},
	}
	var st oracleStats
	for _, c := range cases {
		st.check(t, c, nil)
	}
	st.summary(t, "lpm vectors")
}
