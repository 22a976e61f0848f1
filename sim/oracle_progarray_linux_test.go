//go:build linux

package sim_test

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"

	"github.com/bpfplay/bpfplay/internal/kernel"
	"github.com/bpfplay/bpfplay/sim"
)

// oracleProg stands for a loaded program in the simulated World.
type oracleProg struct {
	name string
	typ  sim.ProgType
}

func (p *oracleProg) ProgName() string       { return p.name }
func (p *oracleProg) ProgType() sim.ProgType { return p.typ }

// loadReturnProg loads `r0 = ret; exit` of the given type (through
// kernel.LoadProgram, like every load).
func loadReturnProg(t *testing.T, typ ebpf.ProgramType, ret int32) *ebpf.Program {
	t.Helper()
	p, err := kernel.LoadProgram(&ebpf.ProgramSpec{Type: typ, License: "GPL",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, ret), asm.Return()}})
	if err != nil {
		t.Fatalf("load program: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func progID(t *testing.T, p *ebpf.Program) uint32 {
	t.Helper()
	info, err := p.Info()
	if err != nil {
		t.Fatal(err)
	}
	id, ok := info.ID()
	if !ok {
		t.Fatal("no program ID")
	}
	return uint32(id)
}

// Symbolic prog_array values: 0..2 are programs (two XDP, one
// socket_filter), 3 is the fd of the array itself (not a program), 4 is a
// closed fd. Lookups give IDs,
// which are turned back into these symbols.
const progSymbols = 5

// TestOracleProgArray runs random PROG_ARRAY scenarios: slot updates with
// programs of the owner type and of another type, with a map fd and a closed
// fd, lookups (program IDs compared as "same program"), deletes, walks.
func TestOracleProgArray(t *testing.T) {
	kernel.Require(t)
	requireSimulated(t, sim.MapProgArray)
	kprogs := []*ebpf.Program{
		loadReturnProg(t, ebpf.XDP, 1), loadReturnProg(t, ebpf.XDP, 2), loadReturnProg(t, ebpf.SocketFilter, 3),
	}
	kids := map[uint32]uint32{}
	for i, p := range kprogs {
		kids[progID(t, p)] = uint32(i)
	}
	n := 1500
	if testing.Short() {
		n = 60
	}
	u32 := func(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
	var st oracleStats
	for seed := uint64(1); seed <= uint64(n); seed++ {
		r := rand.New(rand.NewPCG(seed, 3))
		max := uint32(1 + r.IntN(8))
		flags := uint32(0)
		if r.IntN(20) == 0 {
			flags = []uint32{sim.FlagRdonly, sim.FlagWronly}[r.IntN(2)]
		}
		a := sim.MapAttr{Name: "jmp", Type: sim.MapProgArray, KeySize: 4, ValueSize: 4, MaxEntries: max, Flags: flags}
		var kfd, sfd int
		var sids map[uint32]uint32
		var sfds []int
		env := &oracleEnv{
			before: func(w *sim.World) (int, int, error) {
				sids, sfds = map[uint32]uint32{}, nil
				for i, typ := range []sim.ProgType{sim.ProgXDP, sim.ProgXDP, sim.ProgSocketFilter} {
					id, fd := w.AddProgram(&oracleProg{name: fmt.Sprintf("p%d", i), typ: typ})
					sids[id] = uint32(i)
					sfds = append(sfds, fd)
				}
				return 0, 0, nil
			},
			setup: func(km *kernel.Map, sm *sim.Map) error { kfd, sfd = km.FD, sm.FD; return nil },
			kernelVal: func(v []byte) []byte {
				switch s := binary.LittleEndian.Uint32(v); s {
				case 0, 1, 2:
					return u32(uint32(kprogs[s].FD()))
				case 3:
					return u32(uint32(kfd))
				case 4:
					return u32(9999)
				}
				return u32(0)
			},
			simVal: func(v []byte) []byte {
				switch s := binary.LittleEndian.Uint32(v); s {
				case 0, 1, 2:
					return u32(uint32(sfds[s]))
				case 3:
					return u32(uint32(sfd))
				case 4:
					return u32(9999)
				}
				return u32(0)
			},
			kernelOut: func(v []byte) []byte { return symOf(kids, v) },
			simOut:    func(v []byte) []byte { return symOf(sids, v) },
		}
		g := newOracleGen(r, a, arrayKeyPool(max))
		g.valueFn = func() []byte { return u32(uint32(r.IntN(progSymbols))) }
		ops := g.ops(10+r.IntN(40), true)
		// prog arrays take only BPF_ANY: keep some invalid flags, mostly 0.
		for i := range ops {
			if ops[i].Kind == opUpdate && r.IntN(3) != 0 {
				ops[i].Flags = 0
			}
		}
		st.check(t, oracleScenario{Name: fmt.Sprintf("prog_array seed %d", seed), Attr: a, Ops: ops}, env)
	}
	st.summary(t, "prog_array")
}

func symOf(ids map[uint32]uint32, v []byte) []byte {
	if len(v) != 4 {
		return v
	}
	if s, ok := ids[binary.LittleEndian.Uint32(v)]; ok {
		return binary.LittleEndian.AppendUint32(nil, s)
	}
	return []byte("unknown id")
}
