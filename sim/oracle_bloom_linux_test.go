//go:build linux

package sim_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/bpfplay/bpfplay/internal/kernel"
	"github.com/bpfplay/bpfplay/sim"
)

// randomBloomScenario: pushes with every flag, then peeks of pushed and
// never-pushed values (every peek result must match, false positives
// included), pop, delete and get_next_key errors. ZERO_SEED always: the
// kernel seeds bloom filters randomly otherwise.
func randomBloomScenario(seed uint64, withProg bool) oracleScenario {
	r := rand.New(rand.NewPCG(seed, 31))
	vs := uint32(1 + r.IntN(16))
	if r.IntN(8) == 0 {
		vs = uint32(17 + r.IntN(60))
	}
	max := []uint32{1, 2, 3, 5, 8, 16, 31, 64, 100, 255, 1000}[r.IntN(11)]
	flags := sim.FlagZeroSeed
	switch r.IntN(30) {
	case 0:
		flags |= sim.FlagRdonly
	case 1:
		flags |= sim.FlagWronly
	}
	if withProg {
		vs = []uint32{1, 4, 8, 13, 24}[r.IntN(5)]
	}
	a := sim.MapAttr{Name: "bloom", Type: sim.MapBloomFilter, ValueSize: vs, MaxEntries: max, Flags: flags, MapExtra: uint64(r.IntN(16))}
	g := newOracleGen(r, a, nil)
	npool := int(max)*2 + 8
	if npool > 300 {
		npool = 300
	}
	pool := make([][]byte, npool)
	for i := range pool {
		pool[i] = g.value()
		if vs >= 2 && r.IntN(2) == 0 { // small values: nearby bit patterns
			for j := range pool[i] {
				pool[i][j] = byte(r.IntN(3))
			}
		}
	}
	var ops []oracleOp
	pushes := r.IntN(int(max)*2 + 4)
	for i := 0; i < pushes+npool; i++ {
		var op oracleOp
		switch x := r.IntN(100); {
		case x < 45:
			op = oracleOp{Kind: opUpdate, Val: pool[r.IntN(npool)], Flags: g.updateFlags()}
		case x < 90:
			op = oracleOp{Kind: opPeekValue, Val: pool[r.IntN(npool)], Flags: g.lookupFlags()}
		case x < 93:
			op = oracleOp{Kind: opLookupAndDelete}
		case x < 96:
			op = oracleOp{Kind: opDelete}
		case x < 98:
			op = oracleOp{Kind: opNextKey}
		case x < 99:
			op = oracleOp{Kind: opUpdate, Key: []byte{1, 2, 3, 4}, Val: pool[0]}
		default:
			op = oracleOp{Kind: opFreeze}
		}
		ops = append(ops, op)
		if withProg {
			switch x := r.IntN(100); {
			case x < 15:
				ops = append(ops, oracleOp{Kind: opProgPush, Val: pool[r.IntN(npool)], Flags: g.updateFlags() & 7})
			case x < 35:
				ops = append(ops, oracleOp{Kind: opProgPeek, Val: pool[r.IntN(npool)]})
			}
		}
	}
	for _, v := range pool { // every value is peeked at the end
		ops = append(ops, oracleOp{Kind: opPeekValue, Val: v})
	}
	return oracleScenario{Name: fmt.Sprintf("bloom_filter seed %d", seed), Attr: a, Ops: ops}
}

// TestOracleBloom runs random bloom filter scenarios on both sides.
func TestOracleBloom(t *testing.T) {
	kernel.Require(t)
	requireSimulated(t, sim.MapBloomFilter)
	n := 1000
	if testing.Short() {
		n = 40
	}
	ps := newProgProbers(t)
	var st oracleStats
	for seed := uint64(1); seed <= uint64(n); seed++ {
		// Every third scenario also pushes and peeks from a program.
		withProg := seed%3 == 0
		s := randomBloomScenario(seed, withProg)
		env := &oracleEnv{noValueCheck: true}
		if withProg {
			var err error
			if env, err = ps.env(s.Attr); err != nil {
				t.Fatal(err)
			}
			env.noValueCheck = true
		}
		st.check(t, s, env)
	}
	st.summary(t, "bloom_filter")
}
