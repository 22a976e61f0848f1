package scenario_test

// Instructions per second of a `run` statement executed through
// scenario.Run, i.e. with the playground's trace recording (a World
// checkpoint, the step's result and its first DefaultMaxEvents events; the
// listener then detaches and instruction-level state is rebuilt by replay,
// Trace.MachineAt), next to the same program through vm.Run without any
// recording, in the same invocation. BENCHMARKS.md has the numbers.
//
//	go test -run '^$' -bench . -count 5 ./sim/scenario/
//	PATH="$PATH:$(go env GOROOT)/lib/wasm" GOOS=js GOARCH=wasm go test -run '^$' -bench . -count 5 ./sim/scenario/
//
// Rows of each benchmark (each paired with vm.Run of the same program, no
// recording, alternating run by run; see pairedRuns):
//
//	long       scenario.Run of the whole script (parse excluded): a new
//	           World, map create, prog load, the recorded run step
//	short      the same with a run short enough that its events are all kept
//	budget     (ALU) a run of 4.8 M instructions, near vm.DefaultBudget (5 M)
//	machineat  Trace.MachineAt(step, all): the instruction-level replay
//	           (Machine.Step per instruction on a clone) behind step-into

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bpfplay/bpfplay/sim"
	"github.com/bpfplay/bpfplay/sim/bpfasm"
	"github.com/bpfplay/bpfplay/sim/scenario"
	"github.com/bpfplay/bpfplay/sim/vm"
)

// The same programs as sim/vm/bench_test.go.
const benchALU = `r0 = 0
r1 = %d
r2 = 12345
loop:
r0 += r1
r2 *= 31
r0 ^= r2
r2 >>= 3
r1 -= 1
if r1 != 0 goto loop
exit`

const benchLookup = `r6 = %d
r7 = 0
loop:
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map[arr]
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = *(u64 *)(r0 + 0)
r1 += 1
*(u64 *)(r0 + 0) = r1
r7 += r1
r6 -= 1
if r6 != 0 goto loop
out:
r0 = r7
exit`

const benchArr = "map arr type=array key=4 value=8 max=1\n"

type benchProg struct {
	maps string // scenario map statements
	body string // assembly with one %d: the loop count
}

// script is the scenario: the maps, the program, and one run statement
// (the last step).
func (bp benchProg) script(b *testing.B, iters int) *scenario.Script {
	var sb strings.Builder
	sb.WriteString(bp.maps)
	sb.WriteString("prog p type=socket_filter\n")
	for _, l := range strings.Split(fmt.Sprintf(bp.body, iters), "\n") {
		sb.WriteString("\t" + l + "\n")
	}
	sb.WriteString("end\nrun p\n")
	s, err := scenario.Parse("bench.bpfs", sb.String())
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// direct loads the program into a World of its own for vm.Run.
func (bp benchProg) direct(b *testing.B, iters int) (*sim.World, *vm.Program) {
	w := sim.NewWorld(sim.Config{})
	if bp.maps != "" {
		if _, e := w.CreateMap(sim.MapAttr{Name: "arr", Type: sim.MapArray, KeySize: 4, ValueSize: 8, MaxEntries: 1}); e != sim.OK {
			b.Fatal(e)
		}
	}
	insns, err := bpfasm.Assemble(fmt.Sprintf(bp.body, iters))
	if err != nil {
		b.Fatal(err)
	}
	resolve := func(name string) (*sim.Map, bool) {
		for _, m := range w.Maps() {
			if m.Name == name {
				return m, true
			}
		}
		return nil, false
	}
	p, err := vm.Load(w, "p", sim.ProgSocketFilter, insns, resolve)
	if err != nil {
		b.Fatal(err)
	}
	return w, p
}

// insnsOf is the instruction count of one run (the program is deterministic).
func (bp benchProg) insnsOf(b *testing.B, iters int) int {
	w, p := bp.direct(b, iters)
	r := vm.Run(w, p, vm.Options{})
	if r.Err != nil {
		b.Fatal(r.Err)
	}
	return r.Insns
}

// pairedRuns alternates one run of each side, timing both, and reports the
// median rate of each in instructions per second and their ratio
// (vm/recorded: how many times slower the recorded side is). Both sides see
// the same load, which on a shared machine makes the ratio trustworthy
// where two separate rows are not. The benchmark's ns/op is the sum of both.
func pairedRuns(b *testing.B, name string, insns int, recorded, direct func()) {
	var tr, td []float64
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		recorded()
		t1 := time.Now()
		direct()
		t2 := time.Now()
		tr = append(tr, float64(insns)/t1.Sub(t0).Seconds()/1e6)
		td = append(td, float64(insns)/t2.Sub(t1).Seconds()/1e6)
	}
	b.StopTimer()
	slices.Sort(tr)
	slices.Sort(td)
	mr, md := tr[len(tr)/2], td[len(td)/2]
	b.ReportMetric(mr, name+"-Minsn/s")
	b.ReportMetric(md, "vm-Minsn/s")
	b.ReportMetric(md/mr, "vm/"+name)
	b.ReportMetric(float64(insns), "insns/run")
}

// benchScenario pairs scenario.Run of the whole script (parse excluded; a
// new World, map create, prog load and the recorded run step) with vm.Run
// of the same program on a prepared World without a sink.
func benchScenario(b *testing.B, bp benchProg, iters int, opt scenario.Options) {
	s := bp.script(b, iters)
	insns := bp.insnsOf(b, iters)
	w, p := bp.direct(b, iters)
	last := len(s.Stmts) - 1
	var t *scenario.Trace
	pairedRuns(b, "scenario", insns, func() {
		t = scenario.Run(s, opt)
	}, func() {
		if r := vm.Run(w, p, vm.Options{}); r.Err != nil {
			b.Fatal(r.Err)
		}
	})
	st := t.Steps[last]
	if st.Err != nil || st.Ret == nil {
		b.Fatalf("run step: %v %v", st.Err, st.Errno)
	}
	b.ReportMetric(float64(len(st.Events)), "events/run")
}

// benchMachineAt pairs Trace.MachineAt(step, all) -- the instruction-level
// replay behind stepping into a run: Machine.Step once per instruction on a
// clone of the World before the step, no sink -- with vm.Run.
func benchMachineAt(b *testing.B, bp benchProg, iters int) {
	s := bp.script(b, iters)
	insns := bp.insnsOf(b, iters)
	w, p := bp.direct(b, iters)
	t := scenario.Run(s, scenario.Options{})
	last := len(s.Stmts) - 1
	pairedRuns(b, "machineat", insns, func() {
		if m, _ := t.MachineAt(last, insns); m == nil || !m.Done() {
			b.Fatal("MachineAt did not finish the run")
		}
	}, func() {
		if r := vm.Run(w, p, vm.Options{}); r.Err != nil {
			b.Fatal(r.Err)
		}
	})
}

const (
	longALU     = 100000 // 600,004 instructions
	longLookup  = 20000  // 240,004 instructions
	shortALU    = 3000   // 18,004 instructions: every event is kept
	budgetALU   = 800000 // 4,800,004 instructions, just under vm.DefaultBudget
	shortLookup = 1000   // 12,004 instructions: every event is kept
)

func BenchmarkScenarioALULoop(b *testing.B) {
	bp := benchProg{body: benchALU}
	b.Run("long", func(b *testing.B) { benchScenario(b, bp, longALU, scenario.Options{}) })
	b.Run("short", func(b *testing.B) { benchScenario(b, bp, shortALU, scenario.Options{}) })
	b.Run("budget", func(b *testing.B) { benchScenario(b, bp, budgetALU, scenario.Options{}) })
	b.Run("machineat", func(b *testing.B) { benchMachineAt(b, bp, longALU) })
}

func BenchmarkScenarioMapLookupLoop(b *testing.B) {
	bp := benchProg{maps: benchArr, body: benchLookup}
	b.Run("long", func(b *testing.B) { benchScenario(b, bp, longLookup, scenario.Options{}) })
	b.Run("short", func(b *testing.B) { benchScenario(b, bp, shortLookup, scenario.Options{}) })
	b.Run("machineat", func(b *testing.B) { benchMachineAt(b, bp, longLookup) })
}
