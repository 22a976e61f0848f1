package vm

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/bpfplay/bpfplay/sim"
)

// Tail-call acceptance cases of kernel-semantics §13.6 (selftests
// prog_tests/tailcalls.c, lib/test_bpf.c, and the live TL probe).

// tc is a tail call through map[table] with a constant index; R6 keeps ctx.
func tc(table string, idx int) string {
	return fmt.Sprintf("r1 = r6\nr2 = map[%s]\nr3 = %d\ncall bpf_tail_call\n", table, idx)
}

// count increments the u64 at index 0 of map[count].
const countInc = `*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map[count]
call bpf_map_lookup_elem
if r0 == 0 goto +2
r1 = 1
lock *(u64 *)(r0 + 0) += r1
`

type tcEnv struct {
	t     *testing.T
	w     *sim.World
	table *sim.Map
	count *sim.Map
	progs []*Program
}

func newTCEnv(t *testing.T, slots uint32) *tcEnv {
	w := newWorld()
	e := &tcEnv{t: t, w: w}
	e.table = mkMap(t, w, sim.MapAttr{Name: "jmp_table", Type: sim.MapProgArray, KeySize: 4, ValueSize: 4, MaxEntries: slots})
	e.count = mkMap(t, w, sim.MapAttr{Name: "count", Type: sim.MapArray, KeySize: 4, ValueSize: 8, MaxEntries: 1})
	return e
}

func (e *tcEnv) load(name, body string) *Program {
	return load(e.t, e.w, name, sim.ProgSchedCLS, "r6 = r1\n"+body)
}

func key(i uint32) []byte { return binary.LittleEndian.AppendUint32(nil, i) }

func (e *tcEnv) set(i uint32, p *Program) {
	e.t.Helper()
	if errno := e.table.Update(key(i), binary.LittleEndian.AppendUint32(nil, uint32(p.FD())), 0); errno != sim.OK {
		e.t.Fatalf("slot %d: %v", i, errno)
	}
}

func (e *tcEnv) del(i uint32, want sim.Errno) {
	e.t.Helper()
	if errno := e.table.Delete(key(i)); errno != want {
		e.t.Fatalf("delete slot %d: %v, want %v", i, errno, want)
	}
}

func (e *tcEnv) run(p *Program, want uint64, what string) Result {
	e.t.Helper()
	r := Run(e.w, p, Options{})
	if r.Err != nil {
		e.t.Fatalf("%s: %v", what, r.Err)
	}
	if r.R0 != want {
		e.t.Errorf("%s: returned %d, want %d", what, r.R0, want)
	}
	return r
}

func (e *tcEnv) counter() uint64 {
	v, _ := e.count.Lookup(key(0), 0)
	c := binary.LittleEndian.Uint64(v)
	e.count.Update(key(0), make([]byte, 8), 0)
	return c
}

func TestTailcall1(t *testing.T) {
	e := newTCEnv(t, 3)
	var body strings.Builder
	for i := 0; i < 3; i++ {
		for j := 0; j < 4; j++ {
			body.WriteString(tc("jmp_table", i))
		}
	}
	entry := e.load("entry", body.String()+"r0 = 3\nexit")
	cls := make([]*Program, 3)
	for i := range cls {
		cls[i] = e.load(fmt.Sprintf("classifier_%d", i), fmt.Sprintf("r0 = %d\nexit", i))
	}
	for i := uint32(0); i < 3; i++ {
		e.set(i, cls[i])
	}
	for i := uint32(0); i < 3; i++ {
		e.run(entry, uint64(i), fmt.Sprintf("filled from %d", i))
		e.del(i, sim.OK)
	}
	e.run(entry, 3, "all empty")
	for i := uint32(0); i < 3; i++ {
		e.set(i, cls[i])
	}
	e.run(entry, 0, "refilled")
	for i := uint32(0); i < 3; i++ {
		e.set(i, cls[2-i])
	}
	for i := uint32(0); i < 3; i++ {
		e.run(entry, uint64(2-i), fmt.Sprintf("reversed, from %d", i))
		e.del(i, sim.OK)
	}
	e.run(entry, 3, "empty again")
	for i := uint32(0); i < 3; i++ {
		e.del(i, sim.ENOENT)
		e.run(entry, 3, "still empty")
	}
}

func TestTailcall2(t *testing.T) {
	e := newTCEnv(t, 5)
	f := []*Program{
		e.load("f0", tc("jmp_table", 1)+"r0 = 0\nexit"),
		e.load("f1", tc("jmp_table", 2)+"r0 = 1\nexit"),
		e.load("f2", "r0 = 2\nexit"),
		e.load("f3", tc("jmp_table", 4)+"r0 = 3\nexit"),
		e.load("f4", tc("jmp_table", 3)+"r0 = 4\nexit"),
	}
	entry := e.load("entry", tc("jmp_table", 0)+tc("jmp_table", 2)+tc("jmp_table", 3)+"r0 = 3\nexit")
	for i, p := range f {
		e.set(uint32(i), p)
	}
	e.run(entry, 2, "all filled")
	e.del(2, sim.OK)
	e.run(entry, 1, "slot 2 deleted")
	e.del(0, sim.OK)
	r := e.run(entry, 3, "slot 0 deleted: 3 and 4 ping-pong until the limit")
	if r.TailCalls != MaxTailCalls {
		t.Errorf("%d tail calls, want %d", r.TailCalls, MaxTailCalls)
	}
}

// tailcall_3 and tailcall_6 (direct and indirect calls in the JIT) are the
// same program to an interpreter.
func TestTailcall3And6(t *testing.T) {
	for _, indirect := range []bool{false, true} {
		e := newTCEnv(t, 1)
		call := tc("jmp_table", 0)
		if indirect {
			// The index comes from a register the program computes.
			call = "r1 = r6\nr2 = map[jmp_table]\nr3 = r7\ncall bpf_tail_call\n"
		}
		c0 := e.load("classifier_0", "r7 = 0\n"+countInc+call+"r0 = 1\nexit")
		entry := e.load("entry", "r7 = 0\n"+call+"r0 = 0\nexit")
		e.set(0, c0)
		e.run(entry, 1, "self loop")
		if c := e.counter(); c != 33 {
			t.Errorf("indirect=%v: classifier_0 ran %d times, want 33", indirect, c)
		}
		e.del(0, sim.OK)
		e.run(entry, 0, "slot deleted")
	}
}

func TestTailcall4And5(t *testing.T) {
	for _, variant := range []string{"selector", "branches"} {
		e := newTCEnv(t, 3)
		sel := mkMap(t, e.w, sim.MapAttr{Name: "sel", Type: sim.MapArray, KeySize: 4, ValueSize: 4, MaxEntries: 1})
		// Read the selector into r7.
		read := "*(u32 *)(r10 - 4) = 0\nr2 = r10\nr2 += -4\nr1 = map[sel]\ncall bpf_map_lookup_elem\nr7 = 0\nif r0 == 0 goto +1\nr7 = *(u32 *)(r0 + 0)\n"
		var body string
		selectors := []uint32{0, 1, 2}
		if variant == "selector" {
			body = read + "r1 = r6\nr2 = map[jmp_table]\nr3 = r7\ncall bpf_tail_call\nr0 = 3\nexit"
		} else {
			// tailcall_5: constants chosen by comparisons.
			selectors = []uint32{1111, 1234, 5678}
			body = read + "r3 = -1\nif r7 != 1111 goto +1\nr3 = 0\nif r7 != 1234 goto +1\nr3 = 1\nif r7 != 5678 goto +1\nr3 = 2\n" +
				"r1 = r6\nr2 = map[jmp_table]\ncall bpf_tail_call\nr0 = 3\nexit"
		}
		entry := e.load("entry", body)
		for i := uint32(0); i < 3; i++ {
			e.set(i, e.load(fmt.Sprintf("classifier_%d", i), fmt.Sprintf("r0 = %d\nexit", i)))
		}
		for i := uint32(0); i < 3; i++ {
			sel.Update(key(0), key(selectors[i]), 0)
			e.run(entry, uint64(i), fmt.Sprintf("%s %d", variant, i))
		}
		for i := uint32(0); i < 3; i++ {
			sel.Update(key(0), key(selectors[i]), 0)
			e.del(i, sim.OK)
			e.run(entry, 3, fmt.Sprintf("%s %d deleted", variant, i))
		}
	}
}

// lib/test_bpf: a self-tail-calling program runs MAX_TAIL_CALL_CNT + 1
// times, with or without helper calls before the tail call; a NULL target
// or an out-of-range index runs once and continues after the call.
func TestTestBPFCounts(t *testing.T) {
	for _, helper := range []bool{false, true} {
		e := newTCEnv(t, 1)
		pre := ""
		if helper {
			pre = "call bpf_ktime_get_ns\ncall bpf_get_prandom_u32\n"
		}
		self := e.load("self", countInc+pre+tc("jmp_table", 0)+"r0 = 42\nexit")
		e.set(0, self)
		e.run(self, 42, "self loop")
		if c := e.counter(); c != MaxTailCalls+1 {
			t.Errorf("helper=%v: %d runs, want %d", helper, c, MaxTailCalls+1)
		}
	}
	e := newTCEnv(t, 2)
	nullTarget := e.load("null", countInc+tc("jmp_table", 1)+"r0 = 7\nexit")
	e.set(0, nullTarget)
	e.run(nullTarget, 7, "NULL target")
	if c := e.counter(); c != 1 {
		t.Errorf("NULL target: %d runs, want 1", c)
	}
	oob := e.load("oob", countInc+tc("jmp_table", 100)+"r0 = 8\nexit")
	e.run(oob, 8, "index out of range")
	if c := e.counter(); c != 1 {
		t.Errorf("out of range: %d runs, want 1", c)
	}
}

// TL (live 6.18 JIT): failed attempts before a self loop do not count, so
// the self program runs 33 times; the legacy knob counts empty slots.
func TestTailcallTL(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		for _, empty := range []int{0, 5, 10} {
			for _, oob := range []int{0, 5} {
				w := sim.NewWorld(sim.Config{Knobs: sim.Knobs{TailCallCountFailed: legacy}})
				e := &tcEnv{t: t, w: w}
				e.table = mkMap(t, w, sim.MapAttr{Name: "jmp_table", Type: sim.MapProgArray, KeySize: 4, ValueSize: 4, MaxEntries: 4})
				e.count = mkMap(t, w, sim.MapAttr{Name: "count", Type: sim.MapArray, KeySize: 4, ValueSize: 8, MaxEntries: 1})
				self := e.load("self", countInc+tc("jmp_table", 0)+"r0 = 1\nexit")
				body := strings.Repeat(tc("jmp_table", 1), empty) + strings.Repeat(tc("jmp_table", 100), oob) + tc("jmp_table", 0) + "r0 = 0\nexit"
				entry := e.load("entry", body)
				e.set(0, self)
				e.run(entry, 1, "TL")
				want := uint64(33)
				if legacy {
					want -= uint64(empty) // empty slots used up the budget
				}
				if c := e.counter(); c != want {
					t.Errorf("legacy=%v empty=%d oob=%d: self ran %d times, want %d", legacy, empty, oob, c, want)
				}
			}
		}
	}
}

func TestTailcallEventsAndOwner(t *testing.T) {
	e := newTCEnv(t, 2)
	p := e.load("p", tc("jmp_table", 1)+tc("jmp_table", 5)+"r0 = 0\nexit")
	var evs []TailCallEvent
	e.w.SetSink(func(ev sim.Event) {
		if tce, ok := ev.(TailCallEvent); ok {
			evs = append(evs, tce)
		}
	})
	Run(e.w, p, Options{})
	e.w.SetSink(nil)
	if len(evs) != 2 || evs[0].Taken || !strings.Contains(evs[0].Reason, "empty") || !strings.Contains(evs[1].Reason, "max_entries") {
		t.Errorf("events %+v", evs)
	}
	// The table's owner is sched_cls now (the loader claimed it): an XDP
	// program is refused with EINVAL (kernel-oracle §6).
	x := load(t, e.w, "x", sim.ProgXDP, "r0 = 0\nexit")
	if errno := e.table.Update(key(0), binary.LittleEndian.AppendUint32(nil, uint32(x.FD())), 0); errno != sim.EINVAL {
		t.Errorf("XDP program into a sched_cls table: %v, want EINVAL", errno)
	}
	// Mixing tail calls and BPF-to-BPF calls is refused.
	_, err := Load(e.w, "mix", sim.ProgSchedCLS, assemble(t, "r6 = r1\n"+tc("jmp_table", 0)+"call f\nexit\nf:\nr0 = 0\nexit"), resolver(e.w))
	if err == nil {
		t.Error("tail call + bpf2bpf accepted")
	}
}
