package scenario

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/bpfplay/bpfplay/sim"
)

// Script is a parsed scenario: one Stmt per statement line (a prog block,
// from `prog` to `end`, is one statement).
type Script struct {
	Name  string // file name used in error positions
	Src   string
	Stmts []*Stmt
}

// Token is one whitespace-separated word of a line.
type Token struct {
	Text string
	Col  int // 1-based byte column
}

// Arg is one positional argument, already checked and decoded as far as
// the statement alone allows (literal sizes depend on the map).
type Arg struct {
	Tok   Token
	Kind  ArgKind
	Lit   Literal // ArgKey, ArgValue, ArgRes
	Num   uint64  // ArgUint, ArgFlags
	Flags string  // ArgFlags as written
}

// ArgKind is what a positional argument is.
type ArgKind int

const (
	ArgName  ArgKind = iota // a map or program name
	ArgKey                  // a key literal
	ArgValue                // a value literal, or a map/program name for fd maps
	ArgFlags                // any|noexist|exist|lock|N, joined by |
	ArgUint                 // a number
	ArgPath                 // a bpffs path
	ArgRes                  // #N
	ArgWord                 // a knob name, on/off
	ArgText                 // the rest of the line (note)
)

// Stmt is one statement.
type Stmt struct {
	Line int
	Col  int    // column of the statement's first word
	Text string // the source line without its comment
	Op   string // "update", "bpf lookup", "map", "prog", ...
	Args []Arg
	// Opts are the key=value arguments of map, prog and run, in order.
	Opts []Opt
	// Expect is the text after "=>"; ExpectErrno is set when it names an
	// errno (or OK), ExpectLits otherwise.
	Expect      string
	HasExpect   bool
	ExpectErrno *sim.Errno
	ExpectLits  []Literal
	ExpectCol   int
	// Body is the assembly of a prog block (its lines, comments cut,
	// columns kept); BodyLine is the line of the block's first body line.
	Body     string
	BodyLine int
	prog     *progSource // assembled program (prog.go)
}

// Opt is one key=value argument.
type Opt struct {
	Key, Value string
	Col        int // column of the key
	ValCol     int // column of the value
}

// Opt returns the value of a key=value argument.
func (s *Stmt) Opt(key string) (Opt, bool) {
	for _, o := range s.Opts {
		if o.Key == key {
			return o, true
		}
	}
	return Opt{}, false
}

// result says what a statement produces besides its errno, for "=>".
type result int

const (
	resNone    result = iota // only an errno
	resValue                 // a value
	resKey                   // a key (next)
	resRet                   // R0 (run)
	resRes                   // a reservation number
	resKeys                  // a list of keys (walk)
	resRecords               // a list of records (consume)
)

type opSpec struct {
	args     []ArgKind
	optional int      // how many trailing args may be left out
	opts     []string // allowed key=value names
	need     []string // required key=value names
	res      result
}

// ops is every statement and its shape. A slice, not a map: a map literal
// is built by code at start-up, a slice of constants is static data.
var ops = []struct {
	name string
	spec opSpec
}{
	{"cpus", opSpec{args: []ArgKind{ArgUint}}},
	{"cpu", opSpec{args: []ArgKind{ArgUint}}},
	{"seed", opSpec{args: []ArgKind{ArgUint}}},
	{"knob", opSpec{args: []ArgKind{ArgWord, ArgWord}, optional: 1}},
	{"advance", opSpec{args: []ArgKind{ArgUint}}},
	{"note", opSpec{args: []ArgKind{ArgText}, optional: 1}},
	{"map", opSpec{args: []ArgKind{ArgName}, opts: []string{"type", "key", "value", "max", "flags", "seed", "extra", "inner", "lock"},
		need: []string{"type"}}},
	{"update", opSpec{args: []ArgKind{ArgName, ArgKey, ArgValue, ArgFlags}, optional: 1}},
	{"lookup", opSpec{args: []ArgKind{ArgName, ArgKey, ArgFlags}, optional: 1, res: resValue}},
	{"delete", opSpec{args: []ArgKind{ArgName, ArgKey}, optional: 1}},
	{"next", opSpec{args: []ArgKind{ArgName, ArgKey}, optional: 1, res: resKey}},
	{"lookup_and_delete", opSpec{args: []ArgKind{ArgName, ArgKey, ArgFlags}, optional: 1, res: resValue}},
	{"freeze", opSpec{args: []ArgKind{ArgName}}},
	{"push", opSpec{args: []ArgKind{ArgName, ArgValue, ArgFlags}, optional: 1}},
	{"pop", opSpec{args: []ArgKind{ArgName}, res: resValue}},
	{"peek", opSpec{args: []ArgKind{ArgName, ArgValue}, optional: 1, res: resValue}},
	{"walk", opSpec{args: []ArgKind{ArgName}, res: resKeys}},
	{"consume", opSpec{args: []ArgKind{ArgName}, res: resRecords}},
	{"consumer", opSpec{args: []ArgKind{ArgName, ArgUint}}},
	{"pin", opSpec{args: []ArgKind{ArgName, ArgPath}}},
	{"get", opSpec{args: []ArgKind{ArgPath, ArgName}}},
	{"unpin", opSpec{args: []ArgKind{ArgPath}}},
	{"mkdir", opSpec{args: []ArgKind{ArgPath}}},
	{"rmdir", opSpec{args: []ArgKind{ArgPath}}},
	{"prog", opSpec{args: []ArgKind{ArgName}, opts: []string{"type"}, need: []string{"type"}}},
	{"run", opSpec{args: []ArgKind{ArgName}, opts: []string{"packet", "repeat", "pid", "comm"}, res: resRet}},
	{"end", opSpec{}}, // only valid closing a prog block; reported by the parser

	{"bpf lookup", opSpec{args: []ArgKind{ArgName, ArgKey}, res: resValue}},
	{"bpf update", opSpec{args: []ArgKind{ArgName, ArgKey, ArgValue, ArgFlags}, optional: 1}},
	{"bpf delete", opSpec{args: []ArgKind{ArgName, ArgKey}}},
	{"bpf push", opSpec{args: []ArgKind{ArgName, ArgValue, ArgFlags}, optional: 1}},
	{"bpf pop", opSpec{args: []ArgKind{ArgName}, res: resValue}},
	{"bpf peek", opSpec{args: []ArgKind{ArgName}, res: resValue}},
	{"bpf lookup_percpu", opSpec{args: []ArgKind{ArgName, ArgKey, ArgUint}, res: resValue}},
	{"bpf reserve", opSpec{args: []ArgKind{ArgName, ArgUint, ArgFlags}, optional: 1, res: resRes}},
	{"bpf submit", opSpec{args: []ArgKind{ArgName, ArgRes, ArgValue, ArgFlags}, optional: 2}},
	{"bpf discard", opSpec{args: []ArgKind{ArgName, ArgRes, ArgFlags}, optional: 1}},
	{"bpf output", opSpec{args: []ArgKind{ArgName, ArgValue, ArgFlags}, optional: 1}},
	{"bpf ringbuf_query", opSpec{args: []ArgKind{ArgName, ArgWord}, res: resRet}},
}

// opSpecOf looks a statement up in ops.
func opSpecOf(name string) (opSpec, bool) {
	for _, op := range ops {
		if op.name == name {
			return op.spec, true
		}
	}
	return opSpec{}, false
}

// Statements lists every statement keyword the language knows.
func Statements() []string {
	out := make([]string, 0, len(ops))
	for _, op := range ops {
		if op.name == "end" {
			continue
		}
		out = append(out, op.name)
	}
	sort.Strings(out)
	return out
}

// Knob names accepted by `knob`.
var knobNames = []string{"lru_fixed_target_free", "lru_update_no_evict", "tail_call_count_failed"}

// tokenize splits a line into words. A word starting with '#' that is not
// a reservation (#1, #2, ...) starts a comment. It also returns the byte
// offset where the comment started (len(line) when there is none).
func tokenize(line string) ([]Token, int) {
	var toks []Token
	i := 0
	for i < len(line) {
		c := line[i]
		if c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' {
			i++
			continue
		}
		if c == '#' && (i+1 >= len(line) || line[i+1] < '0' || line[i+1] > '9') {
			return toks, i
		}
		j := i
		for j < len(line) && !isSpace(line[j]) {
			j++
		}
		word := line[i:j]
		// "=>x" is "=>" followed by "x".
		if strings.HasPrefix(word, "=>") && len(word) > 2 {
			toks = append(toks, Token{"=>", i + 1}, Token{word[2:], i + 3})
		} else {
			toks = append(toks, Token{word, i + 1})
		}
		i = j
	}
	return toks, len(line)
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'
}

// Parse reads a scenario. It reports every syntax error it finds, as an
// ErrorList of positioned *Error values, and never panics. The Script it
// returns holds the statements that parsed, even when err is not nil.
func Parse(name, src string) (s *Script, err error) {
	s = &Script{Name: name, Src: src}
	var errs ErrorList
	defer func() {
		if r := recover(); r != nil {
			errs = append(errs, &Error{File: name, Line: 1, Msg: fmt.Sprintf("internal parser error: %v", r)})
			err = errs
		}
	}()
	lines := strings.Split(strings.TrimPrefix(src, "\ufeff"), "\n")
	addErr := func(line, col int, format string, a ...any) {
		errs = append(errs, &Error{File: name, Line: line, Col: col, Msg: fmt.Sprintf(format, a...)})
	}
	for i := 0; i < len(lines); i++ {
		lineNo := i + 1
		toks, cut := tokenize(lines[i])
		if len(toks) == 0 {
			continue
		}
		st, perr := parseStmt(lineNo, strings.TrimSpace(lines[i][:cut]), toks)
		if perr != nil {
			errs = append(errs, withFile(perr, name)...)
		}
		if toks[0].Text == "prog" {
			if st == nil {
				st = &Stmt{Line: lineNo, Col: toks[0].Col, Op: "prog"}
			}
			// The block runs to a line that is just "end".
			var body []string
			closed := false
			j := i + 1
			for ; j < len(lines); j++ {
				btoks, bcut := tokenize(lines[j])
				if len(btoks) == 1 && btoks[0].Text == "end" {
					closed = true
					break
				}
				body = append(body, lines[j][:bcut])
			}
			if !closed {
				addErr(lineNo, st.Col, "prog %s: no \"end\" line closes the block", argText(st, 0))
				i = len(lines)
				continue
			}
			st.Body = strings.Join(body, "\n")
			st.BodyLine = lineNo + 1
			i = j
			if perr != nil {
				continue
			}
			if e := assembleStmt(st); e != nil {
				errs = append(errs, withFile(e, name)...)
				continue
			}
		} else if perr != nil {
			continue
		}
		s.Stmts = append(s.Stmts, st)
	}
	errs.Sort()
	return s, errs.Err()
}

func withFile(err error, file string) ErrorList {
	switch e := err.(type) {
	case *Error:
		e.File = file
		return ErrorList{e}
	case ErrorList:
		for _, x := range e {
			x.File = file
		}
		return e
	}
	return ErrorList{{File: file, Line: 1, Msg: err.Error()}}
}

func argText(st *Stmt, i int) string {
	if i < len(st.Args) {
		return st.Args[i].Tok.Text
	}
	return ""
}

// parseStmt parses one statement. It runs in phases, each its own small
// function: in the browser every lesson is parsed on the way to the first
// frame, and V8 compiles (and later optimizes) a wasm function as a whole,
// so one large function here would cost far more than the work it does.
func parseStmt(line int, text string, toks []Token) (*Stmt, error) {
	st, spec, rest, err := parseHead(line, text, toks)
	if err != nil || st.Op == "note" {
		return st, err
	}
	rest, exp, err := splitExpect(st, line, rest)
	if err != nil {
		return nil, err
	}
	if len(spec.opts) > 0 {
		if rest, err = parseOpts(st, spec, line, toks[0].Col, rest); err != nil {
			if st.Op == "prog" && len(rest) > 0 {
				return st, err
			}
			return nil, err
		}
	}
	if err := parseArgs(st, spec, line, toks[0].Col, rest); err != nil {
		return nil, err
	}
	if err := checkArgValues(st, line); err != nil {
		return nil, err
	}
	if st.HasExpect {
		if err := parseExpect(st, spec.res, exp); err != nil {
			return nil, err
		}
	}
	return st, nil
}

func errAtf(line, col int, format string, a ...any) *Error {
	return &Error{Line: line, Col: col, Msg: fmt.Sprintf(format, a...)}
}

// parseHead reads the operation (with "bpf OP" as one) and handles the
// statements that are only their first word: note, and the misplaced end.
func parseHead(line int, text string, toks []Token) (*Stmt, opSpec, []Token, error) {
	words := make([]string, len(toks))
	for i, t := range toks {
		words[i] = t.Text
	}
	st := &Stmt{Line: line, Col: toks[0].Col, Text: strings.Join(words, " "), Op: toks[0].Text}
	rest := toks[1:]
	if st.Op == "bpf" {
		if len(rest) == 0 {
			return nil, opSpec{}, nil, errAtf(line, toks[0].Col, "bpf needs an operation (lookup, update, delete, push, pop, peek, lookup_percpu, reserve, submit, discard, output)")
		}
		st.Op = "bpf " + rest[0].Text
		rest = rest[1:]
		if _, ok := opSpecOf(st.Op); !ok {
			return nil, opSpec{}, nil, errAtf(line, toks[1].Col, "unknown bpf operation %q", toks[1].Text)
		}
	}
	spec, ok := opSpecOf(st.Op)
	if !ok {
		return nil, opSpec{}, nil, errAtf(line, toks[0].Col, "unknown statement %q", toks[0].Text)
	}
	switch st.Op {
	case "end":
		return nil, opSpec{}, nil, errAtf(line, toks[0].Col, "\"end\" without a prog block")
	case "note":
		st.Text = text
		st.Args = []Arg{{Kind: ArgText, Tok: Token{Text: strings.TrimSpace(strings.TrimPrefix(text, "note")), Col: toks[0].Col + 5}}}
	}
	return st, spec, rest, nil
}

// splitExpect splits off the expectation after "=>".
func splitExpect(st *Stmt, line int, rest []Token) (args, exp []Token, err error) {
	for i, t := range rest {
		if t.Text != "=>" {
			continue
		}
		st.HasExpect = true
		st.ExpectCol = t.Col
		if i+1 == len(rest) {
			return nil, nil, errAtf(line, t.Col, "nothing after \"=>\": expect OK, an errno name or a value")
		}
		return rest[:i], rest[i+1:], nil
	}
	return rest, nil, nil
}

// parseOpts reads the key=value options after the name of map, prog and
// run, and returns the name alone as the remaining argument.
func parseOpts(st *Stmt, spec opSpec, line, col0 int, rest []Token) ([]Token, error) {
	if len(rest) == 0 || strings.Contains(rest[0].Text, "=") {
		return nil, errAtf(line, col0, "%s needs a name: %s", st.Op, usage(st.Op))
	}
	for _, t := range rest[1:] {
		if err := addOpt(st, spec, line, t); err != nil {
			return nil, err
		}
	}
	rest = rest[:1]
	for _, k := range spec.need {
		if _, ok := st.Opt(k); !ok {
			return nil, errAtf(line, col0, "%s needs %s=", st.Op, k)
		}
	}
	if err := checkOpts(st, line); err != nil {
		if st.Op == "prog" {
			a, _ := parseArg(ArgName, rest[0])
			st.Args = []Arg{a}
		}
		return rest, err
	}
	return rest, nil
}

// addOpt adds one key=value option.
func addOpt(st *Stmt, spec opSpec, line int, t Token) error {
	k, v, isOpt := strings.Cut(t.Text, "=")
	if !isOpt {
		return errAtf(line, t.Col, "unexpected %q: %s takes key=value options after the name", t.Text, st.Op)
	}
	if !contains(spec.opts, k) {
		return errAtf(line, t.Col, "unknown option %q for %s (known: %s)", k, st.Op, strings.Join(spec.opts, ", "))
	}
	if _, dup := st.Opt(k); dup {
		return errAtf(line, t.Col, "option %q given twice", k)
	}
	if v == "" {
		return errAtf(line, t.Col, "option %s= needs a value", k)
	}
	st.Opts = append(st.Opts, Opt{Key: k, Value: v, Col: t.Col, ValCol: t.Col + len(k) + 1})
	return nil
}

// parseArgs reads the positional arguments.
func parseArgs(st *Stmt, spec opSpec, line, col0 int, rest []Token) error {
	need := len(spec.args) - spec.optional
	if len(rest) < need {
		return errAtf(line, col0, "%s needs %d argument(s): %s", st.Op, need, usage(st.Op))
	}
	if len(rest) > len(spec.args) {
		return errAtf(line, rest[len(spec.args)].Col, "too many arguments for %s: %s", st.Op, usage(st.Op))
	}
	for i, t := range rest {
		a, err := parseArg(spec.args[i], t)
		if err != nil {
			return errAtf(line, t.Col, "%v", err)
		}
		st.Args = append(st.Args, a)
	}
	return nil
}

// checkArgValues checks the arguments that name one of a fixed set.
func checkArgValues(st *Stmt, line int) error {
	switch st.Op {
	case "knob":
		if !contains(knobNames, st.Args[0].Tok.Text) {
			return errAtf(line, st.Args[0].Tok.Col, "unknown knob %q (known: %s)", st.Args[0].Tok.Text, strings.Join(knobNames, ", "))
		}
		if len(st.Args) > 1 && st.Args[1].Tok.Text != "on" && st.Args[1].Tok.Text != "off" {
			return errAtf(line, st.Args[1].Tok.Col, "knob takes on or off, not %q", st.Args[1].Tok.Text)
		}
	case "bpf ringbuf_query":
		if _, ok := ringbufQueryFlags[st.Args[1].Tok.Text]; !ok {
			return errAtf(line, st.Args[1].Tok.Col, "unknown ringbuf query %q (avail_data, ring_size, cons_pos, prod_pos)", st.Args[1].Tok.Text)
		}
	}
	return nil
}

var ringbufQueryFlags = map[string]uint64{
	"avail_data": sim.RingAvailData, "ring_size": sim.RingRingSize,
	"cons_pos": sim.RingConsPos, "prod_pos": sim.RingProdPos,
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func usage(op string) string {
	switch op {
	case "cpus":
		return "cpus N"
	case "cpu":
		return "cpu N"
	case "seed":
		return "seed N"
	case "knob":
		return "knob NAME [on|off]"
	case "advance":
		return "advance NS"
	case "map":
		return "map NAME type=TYPE key=K value=V max=M [flags=F1|F2] [seed=N] [extra=N] [inner=MAP] [lock=OFF]"
	case "update":
		return "update NAME KEY VALUE [any|noexist|exist|lock|N]"
	case "lookup":
		return "lookup NAME KEY"
	case "delete":
		return "delete NAME [KEY]"
	case "next":
		return "next NAME [KEY]"
	case "lookup_and_delete":
		return "lookup_and_delete NAME KEY"
	case "freeze":
		return "freeze NAME"
	case "push":
		return "push NAME VALUE [any|exist|noexist]"
	case "peek":
		return "peek NAME [VALUE] (VALUE: the value a bloom filter tests)"
	case "pop", "walk", "consume":
		return op + " NAME"
	case "pin":
		return "pin NAME PATH"
	case "get":
		return "get PATH NAME"
	case "unpin", "mkdir", "rmdir":
		return op + " PATH"
	case "prog":
		return "prog NAME type=TYPE, assembly lines, end"
	case "run":
		return "run NAME [packet=hex:..|packet=N] [repeat=N] [pid=N] [comm=STR]"
	case "bpf lookup", "bpf delete":
		return op + " NAME KEY"
	case "bpf update":
		return "bpf update NAME KEY VALUE [flags]"
	case "bpf push":
		return "bpf push NAME VALUE [flags]"
	case "bpf pop":
		return op + " NAME"
	case "bpf peek":
		return "bpf peek NAME [VALUE]"
	case "bpf lookup_percpu":
		return "bpf lookup_percpu NAME KEY CPU"
	case "bpf reserve":
		return "bpf reserve NAME SIZE"
	case "bpf submit":
		return "bpf submit NAME #N [VALUE]"
	case "bpf discard":
		return "bpf discard NAME #N"
	case "bpf output":
		return "bpf output NAME VALUE"
	case "consumer":
		return "consumer NAME POS"
	case "bpf ringbuf_query":
		return "bpf ringbuf_query NAME avail_data|ring_size|cons_pos|prod_pos"
	}
	return op
}

func parseArg(kind ArgKind, t Token) (Arg, error) {
	a := Arg{Tok: t, Kind: kind}
	switch kind {
	case ArgName:
		if !isNameStart(t.Text[0]) {
			return a, fmt.Errorf("%q is not a name (names start with a letter or _)", t.Text)
		}
	case ArgKey, ArgValue:
		l, err := parseLiteral(t.Text, t.Col)
		if err != nil {
			return a, err
		}
		if l.Kind == LitRes {
			return a, fmt.Errorf("%s: a reservation is not a key or value", t.Text)
		}
		if l.Kind == LitName && kind == ArgKey {
			return a, fmt.Errorf("%q is not a key literal", t.Text)
		}
		a.Lit = l
	case ArgRes:
		l, err := parseLiteral(t.Text, t.Col)
		if err != nil {
			return a, err
		}
		if l.Kind != LitRes {
			return a, fmt.Errorf("want a reservation #N, not %q", t.Text)
		}
		a.Lit = l
	case ArgFlags:
		v, err := parseUpdateFlags(t.Text)
		if err != nil {
			return a, err
		}
		a.Num, a.Flags = v, t.Text
	case ArgUint:
		v, err := parseUint(t.Text)
		if err != nil {
			return a, err
		}
		a.Num = v
	}
	return a, nil
}

// parseUpdateFlags reads any|noexist|exist|lock or numbers, joined by "|".
// A negative number is its two's complement (-1 sets every bit).
func parseUpdateFlags(s string) (uint64, error) {
	var v uint64
	for _, part := range strings.Split(s, "|") {
		switch part {
		case "any":
		case "noexist":
			v |= sim.UpdateNoExist
		case "exist":
			v |= sim.UpdateExist
		case "lock":
			v |= sim.UpdateLock
		default:
			n, _, err := parseInt(part)
			if err != nil {
				return 0, fmt.Errorf("bad flags %q: want any, noexist, exist, lock or a number", s)
			}
			v |= n
		}
	}
	return v, nil
}

func checkOpts(st *Stmt, line int) error {
	for _, o := range st.Opts {
		errAt := func(format string, a ...any) error {
			return &Error{Line: line, Col: o.ValCol, Msg: fmt.Sprintf(format, a...)}
		}
		switch st.Op + "." + o.Key {
		case "map.type":
			if _, err := sim.ParseMapType(o.Value); err != nil {
				return errAt("%v", err)
			}
		case "prog.type":
			if _, err := sim.ParseProgType(o.Value); err != nil {
				return errAt("%v", err)
			}
		case "map.flags":
			if _, err := sim.ParseMapFlags(o.Value); err != nil {
				return errAt("%v", err)
			}
		case "map.key", "map.value", "map.max", "map.seed", "map.lock":
			v, err := parseUint(o.Value)
			if err != nil {
				return errAt("%s=: %v", o.Key, err)
			}
			if v > 0xffffffff {
				return errAt("%s=%s does not fit in 32 bits", o.Key, o.Value)
			}
		case "map.extra", "run.repeat", "run.pid":
			if _, err := parseUint(o.Value); err != nil {
				return errAt("%s=: %v", o.Key, err)
			}
		case "map.inner":
			if !isNameStart(o.Value[0]) {
				return errAt("inner= wants a map name, not %q", o.Value)
			}
		case "run.packet":
			if _, err := packetBytes(o.Value); err != nil {
				return errAt("%v", err)
			}
		}
	}
	return nil
}

// maxPacket bounds packet=N.
const maxPacket = 1 << 16

func packetBytes(v string) ([]byte, error) {
	if strings.Contains(v, ":") {
		l, err := parseLiteral(v, 0)
		if err != nil {
			return nil, err
		}
		b, err := l.EncodeUnsized()
		if err != nil {
			return nil, err
		}
		if len(b) > maxPacket {
			return nil, fmt.Errorf("packet of %d bytes is larger than %d", len(b), maxPacket)
		}
		if b == nil {
			b = []byte{} // an empty packet, not the default one
		}
		return b, nil
	}
	n, err := parseUint(v)
	if err != nil {
		return nil, fmt.Errorf("packet= wants hex:.. or a length: %v", err)
	}
	if n > maxPacket {
		return nil, fmt.Errorf("packet=%d is larger than %d bytes", n, maxPacket)
	}
	return make([]byte, n), nil
}

func parseExpect(st *Stmt, res result, exp []Token) error {
	parts := make([]string, len(exp))
	for i, t := range exp {
		parts[i] = t.Text
	}
	st.Expect = strings.Join(parts, " ")
	if len(exp) == 1 {
		if e, ok := sim.ParseErrno(exp[0].Text); ok {
			st.ExpectErrno = &e
			return nil
		}
		if strings.HasPrefix(exp[0].Text, "errno(") || strings.HasPrefix(exp[0].Text, "E") && strings.ToUpper(exp[0].Text) == exp[0].Text {
			if n, ok := parseErrnoNumber(exp[0].Text); ok {
				e := sim.Errno(n)
				st.ExpectErrno = &e
				return nil
			}
			return &Error{Line: st.Line, Col: exp[0].Col, Msg: fmt.Sprintf("unknown errno %q", exp[0].Text)}
		}
	}
	switch res {
	case resNone:
		return &Error{Line: st.Line, Col: exp[0].Col, Msg: fmt.Sprintf("%s has no value to compare: expect OK or an errno name", st.Op)}
	case resKeys, resRecords:
	default:
		if len(exp) > 1 {
			return &Error{Line: st.Line, Col: exp[1].Col, Msg: fmt.Sprintf("%s gives one value: expect one literal", st.Op)}
		}
	}
	for _, t := range exp {
		l, err := parseLiteral(t.Text, t.Col)
		if err != nil {
			return &Error{Line: st.Line, Col: t.Col, Msg: err.Error()}
		}
		if l.Kind == LitName {
			return &Error{Line: st.Line, Col: t.Col, Msg: fmt.Sprintf("%q is not a value literal or an errno name", t.Text)}
		}
		if (l.Kind == LitRes) != (res == resRes) {
			return &Error{Line: st.Line, Col: t.Col, Msg: fmt.Sprintf("%q does not fit %s", t.Text, st.Op)}
		}
		st.ExpectLits = append(st.ExpectLits, l)
	}
	return nil
}

// parseErrnoNumber reads errno(N).
func parseErrnoNumber(s string) (int, bool) {
	if !strings.HasPrefix(s, "errno(") || !strings.HasSuffix(s, ")") {
		return 0, false
	}
	n, err := strconv.Atoi(s[6 : len(s)-1])
	return n, err == nil && n >= 0
}
