//go:build linux

package sim_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/bpfplay/bpfplay/internal/kernel"
	"github.com/bpfplay/bpfplay/sim"
)

// randomQueueScenario: pushes with every flag (ANY, NOEXIST, EXIST and
// invalid ones), pops (some with flags), peeks, non-NULL keys, delete and
// get_next_key, rarely a freeze; it ends by draining the map.
func randomQueueScenario(seed uint64, t sim.MapType, withProg bool) oracleScenario {
	r := rand.New(rand.NewPCG(seed, uint64(t)+7))
	vs := uint32(1 + r.IntN(24))
	max := uint32(1 + r.IntN(10))
	var flags uint32
	switch r.IntN(30) {
	case 0:
		flags = sim.FlagRdonly
	case 1:
		flags = sim.FlagWronly
	case 2:
		flags = sim.FlagRdonlyProg
	}
	if withProg {
		flags &^= sim.FlagRdonlyProg
		vs = []uint32{1, 4, 8, 13, 24}[r.IntN(5)]
	}
	a := sim.MapAttr{Name: "q", Type: t, KeySize: 0, ValueSize: vs, MaxEntries: max, Flags: flags}
	g := newOracleGen(r, a, nil)
	var ops []oracleOp
	key := func() []byte {
		if r.IntN(30) == 0 {
			return []byte{1, 2, 3, 4} // a non-NULL key
		}
		return nil
	}
	n := 10 + r.IntN(60)
	for i := 0; i < n; i++ {
		var op oracleOp
		switch x := r.IntN(100); {
		case x < 45:
			op = oracleOp{Kind: opUpdate, Key: key(), Val: g.value(), Flags: g.updateFlags()}
		case x < 70:
			op = oracleOp{Kind: opLookupAndDelete, Key: key(), Flags: g.lookupFlags()}
		case x < 90:
			op = oracleOp{Kind: opLookup, Key: key(), Flags: g.lookupFlags()}
		case x < 94:
			op = oracleOp{Kind: opDelete, Key: key()}
		case x < 98:
			op = oracleOp{Kind: opNextKey, Key: key()}
		case x < 99:
			op = oracleOp{Kind: opWalk}
		default:
			op = oracleOp{Kind: opFreeze}
		}
		ops = append(ops, op)
		if withProg {
			switch x := r.IntN(100); {
			case x < 15:
				ops = append(ops, oracleOp{Kind: opProgPush, Val: g.value(), Flags: g.updateFlags() & 7})
			case x < 25:
				ops = append(ops, oracleOp{Kind: opProgPop})
			case x < 35:
				ops = append(ops, oracleOp{Kind: opProgPeek})
			}
		}
	}
	for i := uint32(0); i < max+2; i++ {
		ops = append(ops, oracleOp{Kind: opLookupAndDelete})
	}
	return oracleScenario{Name: fmt.Sprintf("%s seed %d", t, seed), Attr: a, Ops: ops}
}

// TestOracleQueueStack runs random QUEUE and STACK scenarios on both sides.
func TestOracleQueueStack(t *testing.T) {
	kernel.Require(t)
	n := 3000
	if testing.Short() {
		n = 100
	}
	ps := newProgProbers(t)
	for _, ty := range []sim.MapType{sim.MapQueue, sim.MapStack} {
		t.Run(ty.String(), func(t *testing.T) {
			requireSimulated(t, ty)
			var st oracleStats
			for seed := uint64(1); seed <= uint64(n); seed++ {
				// Every third scenario also pushes, pops and peeks from a program.
				withProg := seed%3 == 0
				s := randomQueueScenario(seed, ty, withProg)
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
			st.summary(t, ty.String())
		})
	}
}
