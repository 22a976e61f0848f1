package scenario

import (
	"bytes"
	"strings"
	"testing"

	"github.com/bpfplay/bpfplay/sim"
)

// Every statement form of docs/scenario-language.md parses.
func TestParseEveryStatement(t *testing.T) {
	src := `# a comment

cpus 2
seed 42
knob lru_fixed_target_free
knob lru_update_no_evict off
cpu 1
advance 1000
note hello there
map h type=hash key=4 value=8 max=16 flags=zero_seed|no_prealloc seed=7
map a type=2 key=4 value=4 max=4 flags=64
map o type=array_of_maps key=4 value=4 max=2 inner=a
map l type=hash key=4 value=16 max=2 lock=0
map b type=bloom_filter value=4 max=8 extra=3
update h 1 2
update h 1 2 any
update h 1 2 noexist
update h 1 2 exist
update h 1 2 lock
update h 1 2 exist|lock
update h 1 2 -1
update h 1 2 3
lookup h 1
delete h 1
next h
next h 1
lookup_and_delete h 1
freeze h
push q 1
push q 1 exist
pop q
peek q
peek b 5
walk h
bpf lookup h 1
bpf update h 1 2 noexist
bpf delete h 1
bpf push q 1
bpf pop q
bpf peek q
bpf lookup_percpu h 1 0
bpf reserve rb 16
bpf submit rb #1
bpf submit rb #1 u64:5
bpf discard rb #2
bpf output rb hex:0102
bpf ringbuf_query rb avail_data
consume rb
consumer rb 24
pin h /sys/fs/bpf/h
get /sys/fs/bpf/h h2
unpin /sys/fs/bpf/h
run p
run p packet=hex:00ff repeat=3 pid=7 comm=curl
run p packet=64
update h 1 2 => OK
lookup h 1 => ENOENT
lookup h 1 => 0x10
next h => u32:3
walk h => 1 2 3
run p => 2
bpf reserve rb 8 => #3
consume rb => u32:1 hex:0203
mkdir /sys/fs/bpf/d
rmdir /sys/fs/bpf/d
`
	s, err := Parse("all.bpfs", src)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := []string{"cpus", "seed", "knob", "knob", "cpu", "advance", "note", "map", "map", "map", "map", "map",
		"update", "update", "update", "update", "update", "update", "update", "update",
		"lookup", "delete", "next", "next", "lookup_and_delete", "freeze",
		"push", "push", "pop", "peek", "peek", "walk",
		"bpf lookup", "bpf update", "bpf delete", "bpf push", "bpf pop", "bpf peek", "bpf lookup_percpu",
		"bpf reserve", "bpf submit", "bpf submit", "bpf discard", "bpf output", "bpf ringbuf_query", "consume", "consumer",
		"pin", "get", "unpin", "run", "run", "run",
		"update", "lookup", "lookup", "next", "walk", "run", "bpf reserve", "consume", "mkdir", "rmdir"}
	if len(s.Stmts) != len(want) {
		t.Fatalf("%d statements, want %d", len(s.Stmts), len(want))
	}
	for i, st := range s.Stmts {
		if st.Op != want[i] {
			t.Errorf("statement %d (line %d): op %q, want %q", i, st.Line, st.Op, want[i])
		}
	}
	// Spot checks of decoded arguments.
	byLine := map[int]*Stmt{}
	for _, st := range s.Stmts {
		byLine[st.Line] = st
	}
	if st := byLine[3]; st.Args[0].Num != 2 || st.Line != 3 || st.Col != 1 {
		t.Errorf("cpus: %+v", st)
	}
	if st := byLine[10]; st.Args[0].Tok.Text != "h" || len(st.Opts) != 6 {
		t.Errorf("map: %+v", st)
	} else if o, _ := st.Opt("flags"); o.Value != "zero_seed|no_prealloc" || o.ValCol != strings.Index(src[strings.Index(src, "map h"):], "zero_seed")+1 {
		t.Errorf("map flags opt: %+v", o)
	}
	if f := byLine[20].Args[3].Num; f != sim.UpdateExist|sim.UpdateLock {
		t.Errorf("exist|lock = %#x", f)
	}
	if f := byLine[21].Args[3].Num; f != ^uint64(0) {
		t.Errorf("-1 flags = %#x", f)
	}
	if st := byLine[9]; st.Args[0].Tok.Text != "hello there" {
		t.Errorf("note text %q", st.Args[0].Tok.Text)
	}
	if st := byLine[56]; st.ExpectErrno == nil || *st.ExpectErrno != sim.OK {
		t.Errorf("=> OK: %+v", st)
	}
	if st := byLine[57]; st.ExpectErrno == nil || *st.ExpectErrno != sim.ENOENT {
		t.Errorf("=> ENOENT: %+v", st)
	}
	if st := byLine[60]; len(st.ExpectLits) != 3 || st.Expect != "1 2 3" {
		t.Errorf("walk expect: %+v", st)
	}
	if st := byLine[62]; len(st.ExpectLits) != 1 || st.ExpectLits[0].Kind != LitRes || st.ExpectLits[0].Int != 3 {
		t.Errorf("#3 expect: %+v", st)
	}
}

func TestParseProgBlock(t *testing.T) {
	src := "map m type=array key=4 value=4 max=1\nprog p type=xdp\n  r0 = 2 # two\n\n  exit\nend\nrun p\n"
	s, err := Parse("p.bpfs", src)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Stmts) != 3 {
		t.Fatalf("%d statements", len(s.Stmts))
	}
	p := s.Stmts[1]
	if p.Op != "prog" || p.BodyLine != 3 || p.Body != "  r0 = 2 \n\n  exit" {
		t.Errorf("prog block: op %q bodyLine %d body %q", p.Op, p.BodyLine, p.Body)
	}
	if s.Stmts[2].Line != 7 {
		t.Errorf("run on line %d", s.Stmts[2].Line)
	}
}

// Literal forms and their bytes.
func TestLiterals(t *testing.T) {
	cases := []struct {
		tok  string
		size int
		want string // hex, or "error"
	}{
		{"1", 4, "01000000"},
		{"1234", 8, "d204000000000000"},
		{"0x4d2", 2, "d204"},
		{"255", 1, "ff"},
		{"256", 1, "error"},
		{"1", 3, "error"},
		{"-1", 4, "ffffffff"},
		{"-129", 1, "error"},
		{"18446744073709551615", 8, "ffffffffffffffff"},
		{"18446744073709551616", 8, "error"},
		{"u8:7", 1, "07"},
		{"u16:0x102", 2, "0201"},
		{"u32:1", 4, "01000000"},
		{"u64:1", 8, "0100000000000000"},
		{"u32:1", 8, "error"},
		{"u8:256", 1, "error"},
		{"hex:00ff", 2, "00ff"},
		{"hex:00FF10", 3, "00ff10"},
		{"hex:00ff", 3, "error"},
		{"hex:0", 1, "error"},
		{"hex:zz", 1, "error"},
		{"ip:192.168.1.0/24", 8, "18000000c0a80100"},
		{"ip:10.0.0.5/8", 8, "080000000a000005"},
		{"ip:10.0.0.1", 8, "200000000a000001"},
		{"ip:10.0.0.1/33", 8, "210000000a000001"},
		{"ip:10.0.0.1/24", 12, "error"},
		{"ip:2a00::1/64", 8, "error"},
		{"ip6:2a00:1450:4001:814::200e/64", 20, "400000002a00145040010814000000000000200e"},
		{"ip6:::1", 20, "8000000000000000000000000000000000000001"},
		{"ip6:10.0.0.1/8", 20, "error"},
		{"str:abc", 4, "61626300"},
		{"str:abc", 3, "616263"},
		{"str:abcd", 3, "error"},
		{"str:", 2, "0000"},
		{"bogus:1", 4, "error"},
	}
	for _, c := range cases {
		l, err := parseLiteral(c.tok, 1)
		var got []byte
		if err == nil {
			got, err = l.Encode(c.size)
		}
		if c.want == "error" {
			if err == nil {
				t.Errorf("%s (size %d): got %x, want an error", c.tok, c.size, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s (size %d): %v", c.tok, c.size, err)
			continue
		}
		if h := hexString(got); h != c.want {
			t.Errorf("%s (size %d) = %s, want %s", c.tok, c.size, h, c.want)
		}
	}
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	var buf bytes.Buffer
	for _, c := range b {
		buf.WriteByte(digits[c>>4])
		buf.WriteByte(digits[c&15])
	}
	return buf.String()
}

// Every syntax error is reported at once, each at its line and column.
func TestParseErrorsPositioned(t *testing.T) {
	src := strings.Join([]string{
		"frobnicate x",                          // 1: unknown statement, col 1
		"map h type=nosuch key=4 value=4 max=1", // 2: unknown map type at the value, col 12
		"update h 1",                            // 3: too few arguments
		"update h 1 2 3 4",                      // 4: too many, at the 5th word (col 16)
		"lookup h hex:0",                        // 5: odd hex, col 10
		"  lookup h 1 => 5 6",                   // 6: two values, at the second (col 19)
		"update h 1 2 => 5",                     // 7: update has no value, col 17
		"map x key=4",                           // 8: map needs a name
		"map x type=hash bogus=1",               // 9: unknown option, col 17
		"bpf frob h",                            // 10: unknown bpf op, col 5
		"knob nosuch",                           // 11: unknown knob, col 6
		"end",                                   // 12: end without prog
		"lookup h 1 =>",                         // 13: nothing after =>, col 12
		"update h 1 2 maybe",                    // 14: bad flags, col 14
		"lookup h 1 => EWHAT",                   // 15: unknown errno, col 15
		"map y type=hash key=4 value=4 max=1 flags=fast", // 16: unknown flag
		"prog p", // 17: prog needs type=; no end
	}, "\n")
	_, err := Parse("bad.bpfs", src)
	list, ok := err.(ErrorList)
	if !ok {
		t.Fatalf("err = %T %v, want ErrorList", err, err)
	}
	want := []struct{ line, col int }{
		{1, 1}, {2, 12}, {3, 1}, {4, 16}, {5, 10}, {6, 19}, {7, 17}, {8, 1}, {9, 17}, {10, 5},
		{11, 6}, {12, 1}, {13, 12}, {14, 14}, {15, 15}, {16, 43}, {17, 1}, {17, 1},
	}
	if len(list) != len(want) {
		t.Fatalf("%d errors, want %d:\n%v", len(list), len(want), list)
	}
	for i, w := range want {
		e := list[i]
		if e.File != "bad.bpfs" || e.Line != w.line || e.Col != w.col {
			t.Errorf("error %d = %v, want bad.bpfs:%d:%d", i, e, w.line, w.col)
		}
	}
	if got := list[0].Error(); got != `bad.bpfs:1:1: unknown statement "frobnicate"` {
		t.Errorf("format: %q", got)
	}
}

func TestParseErrorInsideProgIsSkipped(t *testing.T) {
	// A prog line that fails to parse still swallows its block.
	src := "prog p type=nosuch\n  update x\nend\nlookup\n"
	_, err := Parse("x", src)
	list := err.(ErrorList)
	if len(list) != 2 || list[0].Line != 1 || list[1].Line != 4 {
		t.Fatalf("errors: %v", list)
	}
}

func TestTokenizeComments(t *testing.T) {
	toks, cut := tokenize("bpf submit rb #1 # the first=>x")
	var words []string
	for _, tk := range toks {
		words = append(words, tk.Text)
	}
	if strings.Join(words, ",") != "bpf,submit,rb,#1" || cut != 17 {
		t.Errorf("tokens %v cut %d", words, cut)
	}
	toks, _ = tokenize("lookup h 1 =>ENOENT")
	if len(toks) != 5 || toks[3].Text != "=>" || toks[4].Text != "ENOENT" || toks[4].Col != 14 {
		t.Errorf("=>x split: %+v", toks)
	}
}
