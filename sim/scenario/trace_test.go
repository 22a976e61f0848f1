package scenario

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpfplay/bpfplay/sim"
)

// traceScript touches every family the simulator has, with CPU switches,
// the clock, evictions, per-CPU copies, deletes and failures, so that a
// World rebuilt from a checkpoint has plenty of state to get wrong.
const traceScript = `cpus 2
seed 7
map h type=hash key=4 value=8 max=8
map z type=hash key=4 value=8 max=4 flags=zero_seed|no_prealloc
map lru type=lru_hash key=8 value=8 max=8
map nlru type=lru_hash key=8 value=8 max=8 flags=no_common_lru
map pc type=percpu_hash key=4 value=4 max=4
map a type=array key=4 value=8 max=4
map pa type=percpu_array key=4 value=4 max=2
map lpm type=lpm_trie key=8 value=4 max=8 flags=no_prealloc
map q type=queue value=4 max=3
map s type=stack value=4 max=3
map bl type=bloom_filter value=4 max=16 extra=3
map rb type=ringbuf max=4096
map tpl type=array key=4 value=4 max=1
map aom type=array_of_maps key=4 value=4 max=2 inner=tpl
map inn type=array key=4 value=4 max=1
update h 1 100
update h 2 200
update h 3 300 noexist
update h 1 101 exist
delete h 2
update z 5 5
update z 6 6
update z 7 7
update z 8 8
update z 9 9 => E2BIG
update lru 1 1
update lru 2 2
update lru 3 3
update lru 4 4
bpf lookup lru 1
update lru 5 5
update lru 6 6
update lru 7 7
update lru 8 8
update lru 9 9
update lru 10 10
lookup lru 2
cpu 1
update nlru 1 1
update nlru 2 2
update nlru 3 3
update nlru 4 4
update nlru 5 5
bpf update pc 1 11
cpu 0
update pc 2 22
bpf update pc 3 33
update a 1 1
bpf update a 2 2
update pa 0 7
cpu 1
bpf update pa 1 9
cpu 0
update lpm ip:10.0.0.0/8 1
update lpm ip:10.1.0.0/16 2
update lpm ip:192.168.0.0/24 3
delete lpm ip:10.0.0.0/8
lookup lpm ip:10.1.2.3/32 => 2
push q 1
push q 2
push q 3
push q 4 exist
pop q
push s 1
push s 2
bpf push s 3
pop s
push bl 42
peek bl 42
advance 1000
bpf reserve rb 16
bpf output rb u32:5
bpf submit rb #1 hex:00112233445566778899aabbccddeeff
bpf reserve rb 8
consume rb
update aom 0 inn
update aom 1 inn
delete aom 1
freeze a
update a 3 3 => EPERM
update h 4 400
delete h 1
update h 5 500
walk h
next h
lookup_and_delete h 3
bpf discard rb #2
consume rb
advance 5
map ctr type=array key=4 value=8 max=2
map jt type=prog_array key=4 value=4 max=1
prog cnt type=xdp
  r1 = 0
  *(u32 *)(r10 - 4) = r1
  r2 = r10
  r2 += -4
  r1 = map[ctr]
  call bpf_map_lookup_elem
  if r0 == 0 goto out
  r1 = 1
  lock *(u64 *)(r0 + 0) += r1
  r6 = r0
  call bpf_get_prandom_u32
  *(u64 *)(r6 + 0) = r0
  r0 = 2
out:
  exit
end
prog tail type=xdp
  r2 = map[jt]
  r3 = 0
  call bpf_tail_call
  r0 = 1
  exit
end
run cnt repeat=3 => 2
update jt 0 cnt
run tail => 2
delete jt 0
run tail => 1
lookup ctr 0
mkdir /sys/fs/bpf/d
pin h /sys/fs/bpf/d/h
pin cnt /sys/fs/bpf/cnt
get /sys/fs/bpf/d/h h2
update h2 77 77
get /sys/fs/bpf/cnt cnt2
run cnt2 => 2
unpin /sys/fs/bpf/d/h
lookup h 77 => 77
`

// snapshot describes a World through what user space can observe: every
// map's attributes and a full walk with values (queues drained, the ring's
// positions and data), on a clone so nothing changes.
func snapshot(w *sim.World) string {
	c := w.Clone()
	var b strings.Builder
	fmt.Fprintf(&b, "cpus %d cpu %d now %d\n", c.PossibleCPUs(), c.CPU(), c.Now())
	for _, p := range c.Pins() {
		fmt.Fprintf(&b, "pin %+v\n", p)
	}
	for _, m := range c.Maps() {
		fmt.Fprintf(&b, "map %d fd %d %s %s key %d value %d max %d flags %#x seed %#x len %d frozen %v\n",
			m.ID, m.FD, m.Name, m.Type, m.KeySize, m.ValueSize, m.MaxEntries, m.Flags, m.Seed, m.Len(), m.Frozen())
		switch {
		case m.Ringbuf() != nil:
			fmt.Fprintf(&b, "  ring cons %d prod %d data %s\n", m.RingQuery(2), m.RingQuery(3), hex.EncodeToString(m.Ringbuf().Data()))
		case m.Type == sim.MapBloomFilter:
			// Only membership is observable.
			for v := uint32(0); v < 64; v++ {
				if m.PeekValue(putUint(uint64(v), 4), 0) == sim.OK {
					fmt.Fprintf(&b, "  may hold %d\n", v)
				}
			}
		case m.KeySize == 0:
			for i := 0; i <= int(m.MaxEntries); i++ {
				v, e := m.Pop()
				if e != sim.OK {
					break
				}
				fmt.Fprintf(&b, "  %x\n", v)
			}
		default:
			var key []byte
			for i := 0; i <= int(m.MaxEntries); i++ {
				k, e := m.GetNextKey(key)
				if e != sim.OK {
					fmt.Fprintf(&b, "  end %v\n", e)
					break
				}
				v, e := m.Lookup(k, 0)
				fmt.Fprintf(&b, "  %x = %x %v\n", k, v, e)
				key = k
			}
		}
	}
	return b.String()
}

func mustParse(t testing.TB, src string) *Script {
	t.Helper()
	s, err := Parse("t.bpfs", src)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return s
}

func requireClean(t *testing.T, tr *Trace) {
	t.Helper()
	for _, st := range tr.Steps {
		if st.Err != nil {
			t.Fatalf("line %d: %v", st.Line, st.Err)
		}
		if st.Failed {
			t.Fatalf("line %d: expected %s, got %s", st.Line, st.Expect, st.Got)
		}
	}
}

// WorldAt(i) is the World of a fresh run of statements 0..i, for every i,
// whatever the checkpoint spacing.
func TestWorldAtExact(t *testing.T) {
	s := mustParse(t, traceScript)
	fresh := make([]string, len(s.Stmts)+1)
	fresh[0] = snapshot(Run(&Script{Name: s.Name}, Options{}).WorldAt(-1))
	for i := range s.Stmts {
		prefix := &Script{Name: s.Name, Stmts: s.Stmts[:i+1]}
		tr := Run(prefix, Options{NoEvents: true})
		fresh[i+1] = snapshot(tr.WorldAt(i))
	}
	for _, every := range []int{0, 1, 3, 16, 1000} {
		tr := Run(s, Options{CheckpointEvery: every})
		requireClean(t, tr)
		// Backwards, to exercise replay from every checkpoint.
		for i := len(s.Stmts) - 1; i >= -1; i-- {
			if got := snapshot(tr.WorldAt(i)); got != fresh[i+1] {
				t.Fatalf("every=%d: WorldAt(%d) (after line %d) differs from a fresh run:\n--- got\n%s--- want\n%s",
					every, i, lineOf(s, i), got, fresh[i+1])
			}
		}
	}
}

func lineOf(s *Script, i int) int {
	if i < 0 {
		return 0
	}
	return s.Stmts[i].Line
}

// Running the rest of the script on the state rebuilt after step i gives
// exactly the results and events of the original run: hidden state (LRU
// reference bits and lists, ring positions, the PRNG) is rebuilt too.
func TestWorldAtReplaysFuture(t *testing.T) {
	s := mustParse(t, traceScript)
	tr := Run(s, Options{CheckpointEvery: 5})
	requireClean(t, tr)
	for i := -1; i < len(s.Stmts); i += 7 {
		st := tr.stateAt(i)
		ex := &executor{opt: tr.Opt, st: st, file: s.Name}
		for k := i + 1; k < len(s.Stmts); k++ {
			var step Step
			ex.exec(s.Stmts[k], &step)
			want := tr.Steps[k]
			if got, w := string(step.JSON(true)), string(want.JSON(true)); got != w {
				t.Fatalf("from WorldAt(%d), line %d:\n got %s\nwant %s", i, s.Stmts[k].Line, got, w)
			}
		}
	}
}

// The World WorldAt returns belongs to the caller.
func TestWorldAtIsAClone(t *testing.T) {
	s := mustParse(t, "map h type=hash key=4 value=4 max=4 flags=zero_seed\nupdate h 1 1\nupdate h 2 2\n")
	tr := Run(s, Options{})
	w := tr.WorldAt(1)
	m := w.Maps()[0]
	if e := m.Update(putUint(9, 4), putUint(9, 4), 0); e != sim.OK {
		t.Fatal(e)
	}
	if n := tr.WorldAt(1).Maps()[0].Len(); n != 1 {
		t.Errorf("WorldAt(1) has %d elements after the caller changed its copy, want 1", n)
	}
	if n := tr.WorldAt(2).Maps()[0].Len(); n != 2 {
		t.Errorf("WorldAt(2) has %d elements, want 2", n)
	}
	if w := tr.WorldAt(-1); len(w.Maps()) != 0 {
		t.Errorf("WorldAt(-1) has maps")
	}
	// Out-of-range indexes are clamped.
	if got := len(tr.WorldAt(99).Maps()); got != 1 {
		t.Errorf("WorldAt(99): %d maps", got)
	}
	if tr.WorldAt(-5) == nil {
		t.Errorf("WorldAt(-5) is nil")
	}
}

func TestTraceHashStable(t *testing.T) {
	s := mustParse(t, traceScript)
	h1 := Run(s, Options{}).Hash()
	h2 := Run(mustParse(t, traceScript), Options{CheckpointEvery: 2}).Hash()
	if h1 != h2 || len(h1) != 64 {
		t.Fatalf("hashes differ: %s %s", h1, h2)
	}
	// A different seed changes the random hash seeds and so the events.
	seed := uint64(8)
	if h3 := Run(s, Options{RandomSeed: &seed}).Hash(); h3 == h1 {
		t.Errorf("a different RandomSeed gives the same hash")
	}
}

// The script's seed statement makes random per-map seeds reproducible, and
// Options.RandomSeed overrides it.
func TestSeed(t *testing.T) {
	seedOf := func(src string, opt Options) uint32 {
		tr := Run(mustParse(t, src), opt)
		requireClean(t, tr)
		_, maps := tr.NamedMapsAt(len(tr.Steps) - 1)
		return maps[0].Map.Seed
	}
	a := seedOf("seed 1\nmap h type=hash key=4 value=4 max=4\n", Options{})
	b := seedOf("seed 1\nmap h type=hash key=4 value=4 max=4\n", Options{})
	c := seedOf("seed 2\nmap h type=hash key=4 value=4 max=4\n", Options{})
	if a != b || a == c {
		t.Errorf("seeds: %#x %#x %#x", a, b, c)
	}
	two := uint64(2)
	if d := seedOf("seed 1\nmap h type=hash key=4 value=4 max=4\n", Options{RandomSeed: &two}); d != c {
		t.Errorf("RandomSeed 2 gives %#x, want %#x", d, c)
	}
	if z := seedOf("map h type=hash key=4 value=4 max=4 seed=0x1234\n", Options{}); z != 0x1234 {
		t.Errorf("seed=0x1234 gives %#x", z)
	}
}

func TestSemanticErrors(t *testing.T) {
	src := `map h type=hash key=4 value=8 max=2
lookup nosuch 1
update h 1 hex:0102
update h 70000000000 1
map bad type=hash key=0 value=4 max=1
lookup bad 1
map h2 type=hash key=4 value=4 max=1
cpus 2
prog p type=xdp
  r0 = 0
  exit
end
update h 1 p
bpf submit h #4
`
	tr := Run(mustParse(t, src), Options{})
	want := map[int]string{
		2:  `t.bpfs:2:8: undefined map "nosuch"`,
		3:  `t.bpfs:3:12: value of h: hex:0102 is 2 bytes, the size is 8`,
		4:  `t.bpfs:4:10: key of h: 70000000000 does not fit in 4 bytes`,
		6:  `t.bpfs:6:8: undefined map "bad"`,
		8:  `t.bpfs:8:1: cpus must come before any map or program`,
		14: `t.bpfs:14:14: no reservation #4`,
	}
	for _, st := range tr.Steps {
		w, isErr := want[st.Line]
		switch {
		case isErr && st.Err == nil:
			t.Errorf("line %d: no error, want %s", st.Line, w)
		case isErr && st.Err.Error() != w:
			t.Errorf("line %d: %v, want %s", st.Line, st.Err, w)
		case !isErr && st.Err != nil && st.Line != 9 && st.Line != 13:
			t.Errorf("line %d: unexpected error %v", st.Line, st.Err)
		}
	}
	if got := tr.Steps[4]; got.Line != 5 || got.Errno != sim.EINVAL {
		t.Errorf("map with key 0: %+v", got)
	}
	if errs := tr.Errors(); len(errs) < len(want) {
		t.Errorf("Errors() = %v", errs)
	}
}

func TestMaxSteps(t *testing.T) {
	src := "map h type=hash key=4 value=4 max=4\nupdate h 1 1\nupdate h 2 2\nupdate h 3 3\n"
	tr := Run(mustParse(t, src), Options{MaxSteps: 2, CheckpointEvery: 1})
	if tr.Steps[1].Err != nil || tr.Steps[2].Err == nil || tr.Steps[3].Err == nil {
		t.Errorf("steps: %v / %v", tr.Steps[1].Err, tr.Steps[2].Err)
	}
	// Statements past the limit did not run, in WorldAt either.
	if n := tr.WorldAt(3).Maps()[0].Len(); n != 1 {
		t.Errorf("WorldAt(3) has %d elements, want 1", n)
	}
	tr = Run(mustParse(t, src), Options{MaxSteps: 2, CheckpointEvery: 100})
	if n := tr.WorldAt(3).Maps()[0].Len(); n != 1 {
		t.Errorf("WorldAt(3) has %d elements, want 1", n)
	}
	// A script built by hand with a nil statement does not panic.
	tr = Run(&Script{Stmts: []*Stmt{nil}}, Options{})
	if tr.Steps[0].Err == nil {
		t.Errorf("nil statement: no error")
	}
	_ = tr.WorldAt(0)
}

func TestMaxEvents(t *testing.T) {
	src := "map h type=hash key=4 value=4 max=4\n"
	tr := Run(mustParse(t, src), Options{MaxEvents: 2})
	ev := tr.Steps[0].Events
	if len(ev) != 3 || !strings.Contains(ev[2].String(), "were not kept") {
		t.Errorf("events: %v", ev)
	}
}

func TestNamedMaps(t *testing.T) {
	src := "map b type=hash key=4 value=4 max=4\nmap a type=array key=4 value=4 max=4\nmap x type=hash key=0 value=4 max=1\nmap b type=array key=4 value=4 max=1\n"
	tr := Run(mustParse(t, src), Options{})
	if got := strings.Join(tr.MapNames(), ","); got != "b,a" {
		t.Errorf("MapNames = %s", got)
	}
	if got := strings.Join(tr.MapNamesAt(0), ","); got != "b" {
		t.Errorf("MapNamesAt(0) = %s", got)
	}
	m, ok := tr.MapAt(3, "b")
	if !ok || m.Type != sim.MapArray {
		t.Errorf("MapAt(3, b) = %v %v", m, ok)
	}
	if m, ok := tr.MapAt(0, "b"); !ok || m.Type != sim.MapHash {
		t.Errorf("MapAt(0, b) = %v %v", m, ok)
	}
	if _, ok := tr.MapAt(3, "x"); ok {
		t.Errorf("a failed map statement left x defined")
	}
}

// MachineAt replays a run statement instruction by instruction on a clone
// of the World before it; run to the end it gives the step's R0 and World.
func TestMachineAt(t *testing.T) {
	s := mustParse(t, traceScript)
	tr := Run(s, Options{CheckpointEvery: 4})
	requireClean(t, tr)
	runs := 0
	for i, st := range tr.Steps {
		if st.Op != "run" {
			if m, _ := tr.MachineAt(i, 0); m != nil {
				t.Fatalf("MachineAt(%d) on a %s statement", i, st.Op)
			}
			continue
		}
		runs++
		m, w := tr.MachineAt(i, 0)
		if m == nil {
			t.Fatalf("MachineAt(%d, 0) = nil", i)
		}
		if got, want := snapshot(w), snapshot(tr.WorldAt(i-1)); got != want {
			t.Fatalf("line %d: the World before the first instruction differs from WorldAt(%d)", st.Line, i-1)
		}
		n := 0
		for !m.Done() {
			m.Step()
			n++
		}
		if res := m.Result(); res.Err != nil || st.Ret == nil || res.R0 != *st.Ret {
			t.Fatalf("line %d: stepped run gives %+v, the trace %v", st.Line, res, st.Ret)
		}
		if got, want := snapshot(w), snapshot(tr.WorldAt(i)); got != want {
			t.Fatalf("line %d: the World after stepping differs from WorldAt(%d):\n%s\n---\n%s", st.Line, i, got, want)
		}
		// Stopping half way is also possible.
		if half, _ := tr.MachineAt(i, n/2); half == nil || (n > 1 && half.Done()) {
			t.Fatalf("line %d: MachineAt(%d, %d) is done already", st.Line, i, n/2)
		}
	}
	if runs != 4 {
		t.Fatalf("%d run statements", runs)
	}
}

// The UI may ask for Worlds from several goroutines.
func TestWorldAtConcurrent(t *testing.T) {
	s := mustParse(t, traceScript)
	tr := Run(s, Options{})
	want := make([]string, len(s.Stmts))
	for i := range want {
		want[i] = snapshot(tr.WorldAt(i))
	}
	done := make(chan string, 4)
	for g := 0; g < 4; g++ {
		go func(g int) {
			for i := g; i < len(want); i += 4 {
				if got := snapshot(tr.WorldAt(i)); got != want[i] {
					done <- fmt.Sprintf("WorldAt(%d) differs", i)
					return
				}
			}
			done <- ""
		}(g)
	}
	for g := 0; g < 4; g++ {
		if msg := <-done; msg != "" {
			t.Error(msg)
		}
	}
}

// A trace from Start runs statements only when something needs them, and
// whatever order they are asked for in, it ends up identical to Run's:
// the same steps and events (Hash) and the same World after every step.
func TestStartRunsOnDemand(t *testing.T) {
	s := mustParse(t, traceScript)
	want := Run(s, Options{CheckpointEvery: 3})
	requireClean(t, want)

	tr := Start(s, Options{CheckpointEvery: 3})
	if tr.Ran() != 0 || len(tr.Steps) != len(s.Stmts) {
		t.Fatalf("Start ran %d statements and has %d steps; want 0 and %d", tr.Ran(), len(tr.Steps), len(s.Stmts))
	}
	// WorldAt in the middle runs up to there and no further.
	mid := len(s.Stmts) / 2
	if got, w := snapshot(tr.WorldAt(mid)), snapshot(want.WorldAt(mid)); got != w {
		t.Fatalf("WorldAt(%d) on demand:\n--- got\n%s--- want\n%s", mid, got, w)
	}
	if tr.Ran() != mid+1 || tr.Done() {
		t.Fatalf("after WorldAt(%d): ran %d, done %v; want %d, false", mid, tr.Ran(), tr.Done(), mid+1)
	}
	// Earlier steps replay from checkpoints; later ones run.
	for _, i := range []int{2, mid + 3, 0, len(s.Stmts) - 1, -1, mid} {
		if got, w := snapshot(tr.WorldAt(i)), snapshot(want.WorldAt(i)); got != w {
			t.Fatalf("WorldAt(%d) on demand:\n--- got\n%s--- want\n%s", i, got, w)
		}
	}
	if !tr.Done() {
		t.Fatalf("WorldAt(last) left the run unfinished (ran %d)", tr.Ran())
	}
	if tr.Hash() != want.Hash() {
		t.Errorf("on-demand Hash %s, Run's %s", tr.Hash(), want.Hash())
	}
}

// RunTo in pieces of any size gives Run's trace for every testdata
// scenario.
func TestRunToInPieces(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "*", "*.bpfs"))
	if len(files) == 0 {
		t.Fatal("no testdata scenarios")
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Parse(f, string(src))
		if err != nil {
			t.Fatal(err)
		}
		want := Run(s, Options{})
		for _, piece := range []int{1, 7} {
			tr := Start(s, Options{})
			for !tr.Done() {
				tr.RunTo(tr.Ran() + piece - 1)
			}
			if tr.Hash() != want.Hash() {
				t.Errorf("%s in pieces of %d: Hash %s, Run's %s", f, piece, tr.Hash(), want.Hash())
			}
			if got, w := snapshot(tr.WorldAt(len(s.Stmts)-1)), snapshot(want.WorldAt(len(s.Stmts)-1)); got != w {
				t.Errorf("%s in pieces of %d: final World differs", f, piece)
			}
		}
	}
}
