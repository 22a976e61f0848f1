package scenario

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
)

var fuzzSeeds = []string{
	traceScript,
	"map h type=hash key=4 value=8 max=4 flags=zero_seed\nupdate h 1 2 => OK\nwalk h => 1\n",
	"cpus 2\nmap p type=percpu_hash key=4 value=4 max=2\nupdate p 1 hex:0100000000000000020000000000000\nbpf lookup_percpu p 1 1\n",
	"map l type=lpm_trie key=8 value=4 max=4 flags=no_prealloc\nupdate l ip:10.0.0.0/8 1\nlookup l ip:10.1.1.1/32 => 1\nnext l\n",
	"map q type=stack value=4 max=2\npush q 1\npush q 2\npush q 3 exist\npop q => 3\n",
	"map rb type=ringbuf max=4096\nbpf reserve rb 8 => #1\nbpf submit rb #1 u64:9\nconsume rb => u64:9\n",
	"prog p type=xdp\n r0 = 2\n exit\nend\nrun p packet=64 => 2\n",
	"bpf submit rb #1 # comment\n=> OK\nend\nmap x type=9 key=8 value=8 max=2 flags=no_common_lru\n",
	"map l type=lru_hash key=8 value=8 max=4\nupdate l 1 1\nbpf lookup l 1\nupdate l 2 2\nupdate l 3 3\nupdate l 4 4\nupdate l 5 5\nwalk l\n",
}

// Parse never panics, and every error it reports is positioned on a line
// of the input.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		s, err := Parse("f.bpfs", src)
		if s == nil {
			t.Fatal("nil script")
		}
		lines := strings.Count(src, "\n") + 1
		if err != nil {
			list, ok := err.(ErrorList)
			if !ok || len(list) == 0 {
				t.Fatalf("error %T %v is not a non-empty ErrorList", err, err)
			}
			for _, e := range list {
				if e.Line < 1 || e.Line > lines || e.Col < 0 || e.File != "f.bpfs" {
					t.Fatalf("badly positioned error %v (%d lines)", e, lines)
				}
				if strings.Contains(e.Msg, "internal parser error") {
					t.Fatalf("parser panic: %v", e)
				}
			}
		}
		for _, st := range s.Stmts {
			if st.Line < 1 || st.Line > lines {
				t.Fatalf("statement on line %d of %d", st.Line, lines)
			}
		}
	})
}

// fuzzable keeps random scripts small: big maps, many CPUs and long runs
// are legitimate but slow, and not what this target looks for.
func fuzzable(s *Script) bool {
	for _, st := range s.Stmts {
		for _, o := range st.Opts {
			switch o.Key {
			case "max", "key", "value", "repeat", "packet", "extra":
				if v, err := parseUint(o.Value); err == nil && v > 4096 {
					return false
				}
			}
		}
		for _, a := range st.Args {
			if a.Kind == ArgUint && a.Num > 4096 && st.Op != "advance" && st.Op != "seed" {
				return false
			}
		}
	}
	return len(s.Stmts) <= 300
}

// Random scripts run without a panic: every step has a result or a
// positioned script error, and a second run gives the same hash.
func FuzzRun(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		s, _ := Parse("f.bpfs", src)
		if !fuzzable(s) {
			return
		}
		opt := Options{MaxSteps: 300, MaxEvents: 100, CheckpointEvery: 4, MaxInsns: 10000}
		tr := Run(s, opt)
		if len(tr.Steps) != len(s.Stmts) {
			t.Fatalf("%d steps for %d statements", len(tr.Steps), len(s.Stmts))
		}
		for _, st := range tr.Steps {
			if st.Err == nil {
				continue
			}
			e, ok := st.Err.(*Error)
			if !ok || e.Line != st.Line || e.File != "f.bpfs" {
				t.Fatalf("line %d: unpositioned error %T %v", st.Line, st.Err, st.Err)
			}
			if strings.Contains(e.Msg, "internal simulator error") {
				t.Fatalf("panic: %v", e)
			}
		}
		if h := Run(s, opt).Hash(); h != tr.Hash() {
			t.Fatalf("two runs differ")
		}
		if n := len(tr.Steps); n > 0 {
			_ = tr.WorldAt(n / 2)
		}
	})
}

// randomScript builds a script of n statements from the grammar, mostly
// well-formed, over a few maps of every family.
func randomScript(r *rand.Rand, n int) string {
	maps := []string{
		"map h type=hash key=4 value=8 max=8 flags=zero_seed",
		"map lru type=lru_hash key=8 value=8 max=6",
		"map nl type=lru_hash key=8 value=8 max=6 flags=no_common_lru",
		"map pc type=percpu_hash key=4 value=4 max=4",
		"map lp type=lru_percpu_hash key=4 value=4 max=4",
		"map a type=array key=4 value=8 max=4",
		"map pa type=percpu_array key=4 value=4 max=3",
		"map lpm type=lpm_trie key=8 value=4 max=6 flags=no_prealloc",
		"map q type=queue value=4 max=3",
		"map s type=stack value=4 max=3",
		"map bl type=bloom_filter value=4 max=8 extra=2",
		"map rb type=ringbuf max=4096",
		"map jt type=prog_array key=4 value=4 max=2",
	}
	names := []string{"h", "lru", "nl", "pc", "lp", "a", "pa", "lpm", "q", "s", "bl", "rb", "jt", "nosuch"}
	lits := func() string {
		switch r.Intn(9) {
		case 0:
			return fmt.Sprintf("u64:%d", r.Intn(12))
		case 1:
			return fmt.Sprintf("ip:10.%d.0.0/%d", r.Intn(4), r.Intn(34))
		case 2:
			return "hex:0102"
		case 3:
			return fmt.Sprintf("u32:%d", r.Intn(12))
		case 4:
			return "-1"
		}
		return fmt.Sprint(r.Intn(12))
	}
	flags := []string{"", " any", " noexist", " exist", " lock", " 3", " exist|lock"}
	var b strings.Builder
	b.WriteString("cpus 2\n")
	for _, m := range maps {
		b.WriteString(m + "\n")
	}
	b.WriteString("prog p type=xdp\n  r0 = 2\n  exit\nend\n")
	for i := 0; i < n; i++ {
		nm := names[r.Intn(len(names))]
		switch r.Intn(22) {
		case 0, 1, 2:
			fmt.Fprintf(&b, "update %s %s %s%s\n", nm, lits(), lits(), flags[r.Intn(len(flags))])
		case 3, 4:
			fmt.Fprintf(&b, "lookup %s %s\n", nm, lits())
		case 5:
			fmt.Fprintf(&b, "delete %s %s\n", nm, lits())
		case 6:
			fmt.Fprintf(&b, "next %s %s\n", nm, lits())
		case 7:
			fmt.Fprintf(&b, "walk %s\n", nm)
		case 8:
			fmt.Fprintf(&b, "lookup_and_delete %s %s\n", nm, lits())
		case 9:
			fmt.Fprintf(&b, "push %s %s%s\n", nm, lits(), flags[r.Intn(3)])
		case 10:
			fmt.Fprintf(&b, "pop %s\n", nm)
		case 11:
			fmt.Fprintf(&b, "bpf lookup %s %s\n", nm, lits())
		case 12:
			fmt.Fprintf(&b, "bpf update %s %s %s%s\n", nm, lits(), lits(), flags[r.Intn(4)])
		case 13:
			fmt.Fprintf(&b, "cpu %d\n", r.Intn(3))
		case 14:
			fmt.Fprintf(&b, "bpf reserve %s %d\n", nm, r.Intn(64))
		case 15:
			fmt.Fprintf(&b, "bpf submit %s #%d\n", nm, 1+r.Intn(4))
		case 16:
			fmt.Fprintf(&b, "consume %s\n", nm)
		case 17:
			fmt.Fprintf(&b, "bpf output %s u64:%d\n", nm, r.Intn(5))
		case 18:
			fmt.Fprintf(&b, "update jt %d p\n", r.Intn(3))
		case 19:
			fmt.Fprintf(&b, "run p packet=%d\n", 14+r.Intn(50))
		case 20:
			fmt.Fprintf(&b, "bpf lookup_percpu %s %s %d\n", nm, lits(), r.Intn(3))
		default:
			fmt.Fprintf(&b, "freeze %s\n", nm)
		}
	}
	return b.String()
}

// Random scripts over every family run without a simulator panic, and
// WorldAt stays exact (checked by replaying the rest of the script).
func TestRandomScripts(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	count := 60
	if testing.Short() {
		count = 10
	}
	for k := 0; k < count; k++ {
		src := randomScript(r, 120)
		s, err := Parse("r.bpfs", src)
		if err != nil {
			t.Fatalf("script %d does not parse: %v\n%s", k, err, src)
		}
		tr := Run(s, Options{CheckpointEvery: 7})
		for _, st := range tr.Steps {
			if e, ok := st.Err.(*Error); ok && strings.Contains(e.Msg, "internal") {
				t.Fatalf("script %d line %d %q: %v", k, st.Line, st.Text, e)
			}
		}
		i := r.Intn(len(s.Stmts))
		state := tr.stateAt(i)
		ex := &executor{opt: tr.Opt, st: state, file: s.Name}
		for j := i + 1; j < len(s.Stmts); j++ {
			var step Step
			ex.exec(s.Stmts[j], &step)
			if got, want := string(step.JSON(true)), string(tr.Steps[j].JSON(true)); got != want {
				t.Fatalf("script %d: replay from step %d differs at line %d:\n got %s\nwant %s\n%s", k, i, s.Stmts[j].Line, got, want, src)
			}
		}
	}
}
