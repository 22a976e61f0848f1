package vm

import (
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/bpfplay/bpfplay/sim"
)

// Benchmarks report instructions per second of the interpreter, without
// and with event recording (a sink that appends every event), next to a
// plain Go loop doing the same work in the same run.
//
//	go test -run '^$' -bench . ./sim/vm/
//	PATH=$PATH:$(go env GOROOT)/lib/wasm GOOS=js GOARCH=wasm go test -run '^$' -bench . ./sim/vm/

const aluLoop = `
r0 = 0
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

// goALU is the same arithmetic as aluLoop.
func goALU(n uint64) uint64 {
	var r0 uint64
	r2 := uint64(12345)
	for r1 := n; r1 != 0; r1-- {
		r0 += r1
		r2 *= 31
		r0 ^= r2
		r2 >>= 3
	}
	return r0
}

const lookupLoop = `
r6 = %d
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

func benchVM(b *testing.B, src string, iters int, record bool, setup func(w *sim.World)) {
	w := newWorld()
	if setup != nil {
		setup(w)
	}
	p := load(b, w, "bench", sim.ProgSocketFilter, fmt.Sprintf(src, iters))
	var events []sim.Event
	if record {
		w.SetSink(func(e sim.Event) { events = append(events, e) })
	}
	total := 0
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		events = events[:0]
		r := Run(w, p, Options{Budget: 1 << 30})
		if r.Err != nil {
			b.Fatal(r.Err)
		}
		total += r.Insns
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds()/1e6, "Minsn/s")
	reportCPU(b, cpu0, float64(total))
	if record {
		b.ReportMetric(float64(len(events))/float64(total/b.N), "events/insn")
	}
}

// reportCPU adds instructions per CPU-second where the OS tells CPU time.
func reportCPU(b *testing.B, cpu0 time.Duration, insns float64) {
	if d := cpuTime() - cpu0; d > 0 && cpu0 > 0 {
		b.ReportMetric(insns/d.Seconds()/1e6, "Minsn/cpu-s")
	}
}

func BenchmarkALULoop(b *testing.B) {
	const iters = 100000
	b.Run("vm", func(b *testing.B) { benchVM(b, aluLoop, iters, false, nil) })
	b.Run("vm-recording", func(b *testing.B) { benchVM(b, aluLoop, iters/100, true, nil) })
	b.Run("go", func(b *testing.B) {
		var sink uint64
		cpu0 := cpuTime()
		for i := 0; i < b.N; i++ {
			sink += goALU(iters)
		}
		reportCPU(b, cpu0, float64(b.N)*iters*6)
		// The VM runs 6 instructions per iteration: report the Go loop in
		// the same unit ("instruction equivalents" per second).
		b.ReportMetric(float64(b.N)*iters*6/b.Elapsed().Seconds()/1e6, "Minsn/s")
		_ = sink
	})
}

func BenchmarkMapLookupLoop(b *testing.B) {
	const iters = 20000
	setup := func(w *sim.World) {
		mkMap(b, w, sim.MapAttr{Name: "arr", Type: sim.MapArray, KeySize: 4, ValueSize: 8, MaxEntries: 1})
	}
	b.Run("vm", func(b *testing.B) { benchVM(b, lookupLoop, iters, false, setup) })
	b.Run("vm-recording", func(b *testing.B) { benchVM(b, lookupLoop, iters/100, true, setup) })
	b.Run("go", func(b *testing.B) {
		w := newWorld()
		setup(w)
		m := w.Maps()[0]
		key := make([]byte, 4)
		var sink uint64
		cpu0 := cpuTime()
		for i := 0; i < b.N; i++ {
			for n := 0; n < iters; n++ {
				v, e := m.ProgLookup(key)
				if e != sim.OK {
					b.Fatal(e)
				}
				c := binary.LittleEndian.Uint64(v) + 1
				binary.LittleEndian.PutUint64(v, c)
				sink += c
			}
		}
		reportCPU(b, cpu0, float64(b.N)*iters*13)
		// 13 VM instructions per iteration.
		b.ReportMetric(float64(b.N)*iters*13/b.Elapsed().Seconds()/1e6, "Minsn/s")
		_ = sink
	})
}
