package scenario

import (
	"fmt"
	"strings"
	"testing"
)

func runClean(t *testing.T, src string) *Trace {
	t.Helper()
	tr := Run(mustParse(t, src), Options{})
	requireClean(t, tr)
	return tr
}

// The ring-buffer statements, on the live vector of kernel-semantics §9.4
// (S = 4096): positions after each step.
func TestRingbufLiveVector(t *testing.T) {
	var b strings.Builder
	b.WriteString(`map rb type=ringbuf max=4096
bpf reserve rb 16 => #1
bpf submit rb #1
bpf ringbuf_query rb prod_pos => 24
bpf reserve rb 10 => #2
bpf discard rb #2
bpf ringbuf_query rb prod_pos => 48
bpf output rb hex:010203
bpf ringbuf_query rb prod_pos => 64
`)
	for i := 0; i < 167; i++ {
		b.WriteString("bpf reserve rb 16 => OK\n")
	}
	b.WriteString(`bpf ringbuf_query rb prod_pos => 4072
# the next one fails (the helper returns NULL)
bpf reserve rb 16 => ENOMEM
bpf output rb hex:010203 => OK
bpf ringbuf_query rb prod_pos => 4088
consumer rb 24
bpf reserve rb 16 => OK
bpf ringbuf_query rb prod_pos => 4112
consumer rb 48
bpf reserve rb 16 => OK
bpf ringbuf_query rb prod_pos => 4136
bpf ringbuf_query rb ring_size => 4096
`)
	runClean(t, b.String())
}

// consume reads committed records in order, skips discarded ones and stops
// at a BUSY one (kernel-semantics §9.3).
func TestConsume(t *testing.T) {
	tr := runClean(t, `map rb type=ringbuf max=4096
bpf reserve rb 4 => #1
bpf submit rb #1 u32:7
bpf reserve rb 2 => #2
bpf discard rb #2
bpf output rb str:hi
bpf reserve rb 8 => #3
bpf output rb u64:9
consume rb => u32:7 str:hi
bpf submit rb #3 u64:8
consume rb => u64:8 u64:9
consume rb => OK
bpf submit rb #3 => EINVAL
`)
	if got := string(tr.Steps[8].JSON(false)); got != `{"line":9,"op":"consume","errno":"OK","records":["07000000","6869"]}` {
		t.Errorf("consume JSON: %s", got)
	}
	if got := string(tr.Steps[11].JSON(false)); got != `{"line":12,"op":"consume","errno":"OK","records":[]}` {
		t.Errorf("empty consume JSON: %s", got)
	}
}

// Per-CPU values: a plain literal fills every CPU's copy, a full-buffer
// literal gives each CPU its own; programs see the current CPU's copy.
func TestPercpuValues(t *testing.T) {
	tr := runClean(t, `cpus 3
map p type=percpu_array key=4 value=4 max=2
update p 0 5
lookup p 0 => 5
lookup p 0 => hex:050000000000000005000000000000000500000000000000
update p 1 hex:010000000000000002000000000000000300000000000000
cpu 2
bpf lookup p 1 => 3
bpf lookup_percpu p 1 0 => 1
bpf lookup_percpu p 1 3 => ENOENT
bpf update p 0 9
lookup p 0 => hex:050000000000000005000000000000000900000000000000
`)
	if got := tr.Steps[3].Result(); got != "OK [5 5 5]" {
		t.Errorf("per-CPU display %q", got)
	}
}

// Queue and stack statements, with the live examples of kernel-oracle §5
// and kernel-semantics §8.
func TestQueueStack(t *testing.T) {
	runClean(t, `map q type=queue value=4 max=2
push q 5
push q 6
push q 7 => E2BIG
push q 7 exist => OK
peek q => 6
pop q => 6
pop q => 7
pop q => ENOENT
map s type=stack value=4 max=3
push s 1
push s 2
push s 3
push s 4 exist
pop s => 4
pop s => 3
pop s => 2
pop s => ENOENT
push s 1 noexist => EINVAL
bpf push s 8 => OK
bpf peek s => 8
bpf pop s => 8
bpf pop s => ENOENT
delete s 1 => EINVAL
`)
}

func TestLPMLiterals(t *testing.T) {
	// kernel-oracle §4: lookups against 192.168.0.0/16, /24 and 192.168.1.0/24.
	tr := runClean(t, `map l type=lpm_trie key=8 value=8 max=8 flags=no_prealloc
update l ip:192.168.0.0/16 16
update l ip:192.168.0.0/24 24
update l ip:192.168.1.0/24 124
lookup l ip:192.168.1.1/32 => 124
lookup l ip:192.168.0.5 => 24
lookup l ip:192.168.2.1 => 16
lookup l ip:10.0.0.1 => ENOENT
lookup l ip:192.168.1.1/16 => 16
lookup l ip:192.168.1.1/15 => ENOENT
lookup l ip:192.168.1.1/33 => ENOENT
update l ip:10.0.0.1/33 1 => EINVAL
walk l => ip:192.168.0.0/24 ip:192.168.1.0/24 ip:192.168.0.0/16
`)
	if got := tr.Steps[len(tr.Steps)-1].Display; got != "ip:192.168.0.0/24 ip:192.168.1.0/24 ip:192.168.0.0/16" {
		t.Errorf("walk display %q", got)
	}
}

// Programs: load, prog_array slots by name, tail calls, run options and
// runtime errors (kernel-semantics §10 and §13.6 tailcall_1, shortened).
func TestPrograms(t *testing.T) {
	var b strings.Builder
	b.WriteString("map jt type=prog_array key=4 value=4 max=3\n")
	for i := 0; i < 3; i++ {
		fmt.Fprintf(&b, "prog c%d type=sched_cls\n  r0 = %d\n  exit\nend\n", i, i)
	}
	b.WriteString(`prog entry type=sched_cls
  r6 = r1
  r1 = r6
  r2 = map[jt]
  r3 = 0
  call bpf_tail_call
  r1 = r6
  r2 = map[jt]
  r3 = 1
  call bpf_tail_call
  r1 = r6
  r2 = map[jt]
  r3 = 2
  call bpf_tail_call
  r0 = 3
  exit
end
update jt 0 c0
update jt 1 c1
update jt 2 c2
run entry => 0
delete jt 0
run entry => 1
delete jt 1
run entry => 2
delete jt 2
run entry => 3
delete jt 0 => ENOENT
update jt 0 c2
run entry packet=hex:000000000000000000000000000000 => 2
prog xdp1 type=xdp
  r0 = 1
  exit
end
update jt 1 xdp1 => EINVAL
prog bad type=xdp
  r0 = *(u32 *)(r1 + 1000)
  exit
end
run bad => EACCES
run bad packet=13 => EINVAL
run bad packet=hex: => EINVAL
prog loop type=xdp
  r0 = 0
loop:
  r0 += 1
  if r0 != 0 goto loop
  exit
end
run loop => E2BIG
prog noexit type=xdp
  r0 = 0
end
`)
	tr := Run(mustParse(t, b.String()), Options{})
	for _, st := range tr.Steps[:len(tr.Steps)-1] {
		if st.Err != nil || st.Failed {
			t.Fatalf("line %d %s: %v %s", st.Line, st.Text, st.Err, st.Got)
		}
	}
	last := tr.Steps[len(tr.Steps)-1]
	if last.Op != "prog" || last.Errno != 22 {
		t.Errorf("a program without exit: %s", last.Result())
	}
	if m, _ := tr.MapAt(len(tr.Steps)-1, "noexit"); m != nil {
		t.Errorf("noexit is bound to a map")
	}
	for _, n := range tr.ProgNames() {
		if n == "noexit" {
			t.Errorf("a refused program stays defined")
		}
	}
}

func TestWorldSetup(t *testing.T) {
	tr := Run(mustParse(t, `cpus 4
seed 9
knob lru_fixed_target_free
knob lru_update_no_evict
knob lru_update_no_evict off
knob tail_call_count_failed on
cpu 3
advance 100
advance 23
cpu 4
map h type=hash key=4 value=4 max=2
knob lru_update_no_evict
seed 1
cpu 0
`), Options{})
	w := tr.WorldAt(9)
	k := w.Knobs()
	if w.PossibleCPUs() != 4 || w.Config().RandomSeed != 9 || !k.LRUFixedTargetFree || k.LRUUpdateNoEvict || !k.TailCallCountFailed {
		t.Errorf("config %+v", w.Config())
	}
	if w.CPU() != 3 || w.Now() != 123 {
		t.Errorf("cpu %d now %d", w.CPU(), w.Now())
	}
	for i, wantErr := range []bool{false, false, false, false, false, false, false, false, false, true, false, true, true, false} {
		if got := tr.Steps[i].Err != nil; got != wantErr {
			t.Errorf("line %d: error %v, want an error: %v", tr.Steps[i].Line, tr.Steps[i].Err, wantErr)
		}
	}
	if w := tr.WorldAt(len(tr.Steps) - 1); w.CPU() != 0 || w.Now() != 123 || w.PossibleCPUs() != 4 {
		t.Errorf("final cpu %d now %d", w.CPU(), w.Now())
	}
}
