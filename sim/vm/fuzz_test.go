package vm

import (
	"strings"
	"testing"

	"github.com/bpfplay/bpfplay/sim"
	"github.com/bpfplay/bpfplay/sim/bpfasm"
)

// fuzzWorld has one map of each family the helpers reach, at fds 3..8.
func fuzzWorld(t testing.TB) *sim.World {
	w := sim.NewWorld(sim.Config{RandomSeed: 3, PossibleCPUs: 2})
	for _, a := range []sim.MapAttr{
		{Name: "h", Type: sim.MapHash, KeySize: 4, ValueSize: 8, MaxEntries: 4},
		{Name: "a", Type: sim.MapArray, KeySize: 4, ValueSize: 16, MaxEntries: 2, SpinLock: true},
		{Name: "jmp", Type: sim.MapProgArray, KeySize: 4, ValueSize: 4, MaxEntries: 2},
		{Name: "rb", Type: sim.MapRingbuf, MaxEntries: 4096},
		{Name: "q", Type: sim.MapQueue, ValueSize: 8, MaxEntries: 2},
		{Name: "pa", Type: sim.MapPercpuArray, KeySize: 4, ValueSize: 8, MaxEntries: 2},
	} {
		mkMap(t, w, a)
	}
	return w
}

var fuzzSeeds = []string{
	"r0 = 0\nexit",
	lookupPrelude + "if r0 == 0 goto +1\nr0 = *(u64 *)(r0 + 0)\nexit",
	"r6 = r1\nr1 = r6\nr2 = map[fd:5]\nr3 = 0\ncall bpf_tail_call\nr0 = 1\nexit",
	"r1 = map[fd:6]\nr2 = 8\nr3 = 0\ncall bpf_ringbuf_reserve\nif r0 == 0 goto +3\nr1 = r0\nr2 = 0\ncall bpf_ringbuf_submit\nr0 = 0\nexit",
	"r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += 8\nif r4 > r3 goto +1\nr0 = *(u64 *)(r2 + 0)\nexit",
	"r1 = 10\nr0 = 0\nr0 += r1\nr1 -= 1\nif r1 != 0 goto -3\nexit",
	"call pc+2\nr0 = 0\nexit\nr0 = 1\nexit",
	"r6 = r1\nr0 = *(u16 *)skb[12]\nexit",
	"*(u64 *)(r10 - 8) = 5\nr1 = 9\nr1 = xchg_64(r10 - 8, r1)\nr0 = cmpxchg_64(r10 - 8, r0, r1)\nexit",
}

// FuzzVM runs random instruction streams: the interpreter never panics,
// the budget always ends a run, stepping gives the same result as Run, and
// nothing touches memory outside the simulated regions (every access goes
// through bounds-checked region slices; an escape would be a Go panic,
// reported as an internal error).
func FuzzVM(f *testing.F) {
	for i, s := range fuzzSeeds {
		insns, err := bpfasm.Assemble(strings.ReplaceAll(s, "map[flows]", "map[fd:3]"))
		if err != nil {
			f.Fatalf("seed %d: %v", i, err)
		}
		b, err := bpfasm.Encode(insns)
		if err != nil {
			f.Fatalf("seed %d: %v", i, err)
		}
		f.Add(byte(i), b)
	}
	types := []sim.ProgType{sim.ProgSocketFilter, sim.ProgXDP, sim.ProgSchedCLS, sim.ProgKprobe}
	f.Fuzz(func(t *testing.T, sel byte, code []byte) {
		if len(code) > 8*512 {
			return
		}
		insns, err := bpfasm.Decode(code)
		if err != nil || len(insns) == 0 {
			return
		}
		w := fuzzWorld(t)
		typ := types[int(sel)%len(types)]
		p, err := Load(w, "fuzz", typ, insns, nil)
		if err != nil {
			if _, ok := err.(*LoadError); !ok {
				t.Fatalf("Load error of type %T: %v", err, err)
			}
			return
		}
		// Let tail calls find the program itself.
		w.Maps()[2].Update([]byte{0, 0, 0, 0}, []byte{byte(p.FD()), 0, 0, 0}, 0)
		const budget = 5000
		pkt := make([]byte, 64)
		c := w.Clone()
		r := Run(w, p, Options{Packet: pkt, Budget: budget, Repeat: 2})
		if r.Insns > budget {
			t.Fatalf("%d instructions over a budget of %d", r.Insns, budget)
		}
		if r.Err != nil && strings.HasPrefix(r.Err.Verifier, "internal simulator error") {
			t.Fatalf("%v\n%s", r.Err, r.Err.Explain)
		}
		// Stepping on a clone gives the same outcome.
		var events int
		c.SetSink(func(sim.Event) { events++ })
		m := NewMachine(c, p, Options{Packet: pkt, Budget: budget, Repeat: 2})
		for n := 0; !m.Step(); n++ {
			if n > 2*budget {
				t.Fatal("Step never finishes")
			}
		}
		s := m.Result()
		if s.R0 != r.R0 || s.Insns != r.Insns || (s.Err == nil) != (r.Err == nil) || s.Err != nil && s.Err.Verifier != r.Err.Verifier {
			t.Fatalf("Run %+v, Step %+v", r, s)
		}
		_ = m.State()
	})
}
