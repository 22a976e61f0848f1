package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCLI runs bpfplay with args and stdin, returning the exit status and
// what it printed.
func runCLI(t *testing.T, input string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	oldIn, oldOut, oldErr := stdin, stdout, stderr
	stdin, stdout, stderr = strings.NewReader(input), &out, &errb
	defer func() { stdin, stdout, stderr = oldIn, oldOut, oldErr }()
	code := dispatch(args)
	return code, out.String(), errb.String()
}

func writeFile(t *testing.T, name, src string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// The --json contract, written by hand from docs/scenario-language.md.
func TestRunJSON(t *testing.T) {
	src := `map h type=hash key=4 value=8 max=4 flags=zero_seed
update h 1 1234
# comment lines have no output

lookup h 1
lookup h 7
next h
next h 1
pop h
map q type=stack value=2 max=4
push q 0x0102
peek q
pop q
lookup_and_delete h 1
`
	want := `{"line":1,"op":"map","errno":"OK"}
{"line":2,"op":"update","errno":"OK"}
{"line":5,"op":"lookup","errno":"OK","value":"d204000000000000"}
{"line":6,"op":"lookup","errno":"ENOENT"}
{"line":7,"op":"next","errno":"OK","key":"01000000"}
{"line":8,"op":"next","errno":"ENOENT"}
{"line":9,"op":"pop","errno":"EFAULT"}
{"line":10,"op":"map","errno":"OK"}
{"line":11,"op":"push","errno":"OK"}
{"line":12,"op":"peek","errno":"OK","value":"0201"}
{"line":13,"op":"pop","errno":"OK","value":"0201"}
{"line":14,"op":"lookup_and_delete","errno":"OK","value":"d204000000000000"}
`
	code, out, errs := runCLI(t, "", "run", "--json", writeFile(t, "j.bpfs", src))
	if code != 0 || errs != "" {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	if out != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", out, want)
	}
}

func TestRunStdinAndText(t *testing.T) {
	src := "map h type=hash key=4 value=4 max=2\nupdate h 1 5\nlookup h 1 => 5\nlookup h 2\n"
	code, out, errs := runCLI(t, src, "run", "-")
	if code != 0 || errs != "" {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines:\n%s", len(lines), out)
	}
	for i, w := range []struct{ prefix, suffix string }{
		{"   1  map h type=hash key=4 value=4 max=2", "OK"},
		{"   2  update h 1 5", "OK"},
		{"   3  lookup h 1", "OK 5"},
		{"   4  lookup h 2", "ENOENT"},
	} {
		if !strings.HasPrefix(lines[i], w.prefix) || !strings.HasSuffix(lines[i], w.suffix) {
			t.Errorf("line %d = %q", i, lines[i])
		}
	}
}

func TestRunTrace(t *testing.T) {
	src := "note hello\nmap h type=hash key=4 value=4 max=2\n"
	_, out, _ := runCLI(t, "", "run", "--trace", writeFile(t, "t.bpfs", src))
	if !strings.Contains(out, "\n        hello\n") {
		t.Errorf("text trace lacks the note event:\n%s", out)
	}
	_, out, _ = runCLI(t, "", "run", "--json", "--trace", writeFile(t, "t.bpfs", src))
	first := strings.SplitN(out, "\n", 2)[0]
	if first != `{"line":1,"op":"note","errno":"OK","events":[{"kind":"note","text":"hello"}]}` {
		t.Errorf("json trace: %s", first)
	}
}

func TestRunExitStatus(t *testing.T) {
	cases := []struct {
		name, src string
		code      int
		stderr    string // a line stderr must contain
	}{
		{"errno results are data", "map h type=hash key=4 value=4 max=2\nlookup h 1\ndelete h 1\n", 0, ""},
		{"failed expectation", "map h type=hash key=4 value=4 max=2\nlookup h 1 => OK\n", 1, "f.bpfs:2: expected OK, got ENOENT"},
		{"syntax error", "map h type=hash key=4 value=4 max=2\nfrob h\n", 2, "f.bpfs:2:1: unknown statement \"frob\""},
		{"bad literal", "map h type=hash key=4 value=4 max=2\nlookup h hex:0g\n", 2, "f.bpfs:2:10: bad hex literal"},
		{"undefined map", "lookup nosuch 1\n", 2, "f.bpfs:1:8: undefined map \"nosuch\""},
		{"literal size", "map h type=hash key=4 value=4 max=2\nlookup h u64:1\n", 2, "f.bpfs:2:10: key of h: u64:1 is 8 bytes, the size is 4"},
		{"script error wins", "lookup nosuch 1\ncpus 1 => EINVAL\n", 2, "f.bpfs:2: expected EINVAL, got OK"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, "f.bpfs", c.src)
			code, _, errs := runCLI(t, "", "run", path)
			if code != c.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, c.code, errs)
			}
			if want := strings.Replace(c.stderr, "f.bpfs", path, 1); c.stderr != "" && !strings.Contains(errs, want) {
				t.Errorf("stderr %q lacks %q", errs, want)
			}
			if c.stderr == "" && errs != "" {
				t.Errorf("stderr %q", errs)
			}
		})
	}
}

func TestRunUsage(t *testing.T) {
	if code, _, _ := runCLI(t, "", "run"); code != 2 {
		t.Errorf("run without a file: exit %d", code)
	}
	if code, _, _ := runCLI(t, "", "run", "--bogus", "x"); code != 2 {
		t.Errorf("unknown flag: exit %d", code)
	}
	if code, _, errs := runCLI(t, "", "run", "/nonexistent/x.bpfs"); code != 2 || !strings.Contains(errs, "no such file") {
		t.Errorf("missing file: exit %d %q", code, errs)
	}
	if code, _, _ := runCLI(t, "", "nosuch"); code != 2 {
		t.Errorf("unknown command: exit %d", code)
	}
	code, out, _ := runCLI(t, "", "help")
	if code != 0 {
		t.Errorf("help: exit %d", code)
	}
	for _, w := range []string{"bpfplay run", "bpfplay asm", "bpfplay disasm", "bpfplay lesson"} {
		if !strings.Contains(out, w) {
			t.Errorf("help lacks %q:\n%s", w, out)
		}
	}
}

func TestRunSeedFlag(t *testing.T) {
	src := "map h type=hash key=4 value=4 max=2\n"
	_, a, _ := runCLI(t, "", "run", "--json", "--trace", "--seed", "1", writeFile(t, "s.bpfs", src))
	_, b, _ := runCLI(t, "", "run", "--json", "--trace", "--seed=1", writeFile(t, "s.bpfs", src))
	_, c, _ := runCLI(t, "", "run", "--json", "--trace", "--seed", "2", writeFile(t, "s.bpfs", src))
	if a != b || a == c {
		t.Errorf("--seed: %q %q %q", a, b, c)
	}
}
