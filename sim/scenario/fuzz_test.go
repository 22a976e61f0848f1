package scenario

import (
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
