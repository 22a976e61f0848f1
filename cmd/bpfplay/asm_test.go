package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// capture runs f with stdout/stderr redirected.
func captureAsm(t *testing.T, f func() int) (int, string, string) {
	t.Helper()
	var o, e bytes.Buffer
	oldOut, oldErr := stdout, stderr
	stdout, stderr = &o, &e
	defer func() { stdout, stderr = oldOut, oldErr }()
	code := f()
	return code, o.String(), e.String()
}

func TestCmdAsm(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "p.s")
	// Lines and bytes from llvm-objdump output of clang 14 (testdata/clang).
	src := "; tailcall.c stage2, shortened\n" +
		"r1 = 2\n" +
		"*(u32 *)(r10 - 4) = r1\n" +
		"r1 = 0 ll\n" +
		"call 1\n" +
		"if r0 == 0 goto +2\n" +
		"exit\n"
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := captureAsm(t, func() int { return cmdAsm([]string{file}) })
	want := "b701000002000000\n" +
		"631afcff00000000\n" +
		"18010000000000000000000000000000\n" +
		"8500000001000000\n" +
		"1500020000000000\n" +
		"9500000000000000\n"
	if code != 0 || out != want || errOut != "" {
		t.Errorf("asm: code %d\n%s\nstderr %q\nwant\n%s", code, out, errOut, want)
	}

	bad := filepath.Join(dir, "bad.s")
	os.WriteFile(bad, []byte("r0 = 0\nr0 += \nexit\ngoto nowhere\n"), 0o644)
	code, out, errOut = captureAsm(t, func() int { return cmdAsm([]string{bad}) })
	wantErr := bad + ":2:7: expected a register or a number, found end of line\n" +
		bad + ":4:6: expected a defined label, found \"nowhere\"\n"
	if code != 2 || out != "" || errOut != wantErr {
		t.Errorf("asm bad: code %d out %q stderr\n%s\nwant\n%s", code, out, errOut, wantErr)
	}

	code, _, _ = captureAsm(t, func() int { return cmdAsm(nil) })
	if code != 2 {
		t.Errorf("asm without a file: code %d, want 2", code)
	}
	code, _, errOut = captureAsm(t, func() int { return cmdAsm([]string{filepath.Join(dir, "missing.s")}) })
	if code != 2 || errOut == "" {
		t.Errorf("asm of a missing file: code %d stderr %q", code, errOut)
	}
	code, out, _ = captureAsm(t, func() int { return dispatch([]string{"asm", file}) })
	if code != 0 || out != want {
		t.Errorf("dispatch asm: code %d out %q", code, out)
	}
}

func TestCmdDisasm(t *testing.T) {
	clang, err := exec.LookPath("clang")
	if err != nil {
		if os.Getenv("BPFPLAY_REQUIRE_ORACLE") == "1" {
			t.Fatal("clang is needed (apt-get install clang llvm)")
		}
		t.Skip("clang is missing")
	}
	obj := filepath.Join(t.TempDir(), "tailcall.o")
	dir := filepath.Join("..", "..", "testdata", "clang")
	out, err := exec.Command(clang, "-target", "bpf", "-O2", "-g", "-c", "-I", dir,
		filepath.Join(dir, "tailcall.c"), "-o", obj).CombinedOutput()
	if err != nil {
		t.Fatalf("clang: %v\n%s", err, out)
	}
	code, text, errOut := captureAsm(t, func() int { return cmdDisasm([]string{obj}) })
	if code != 0 || errOut != "" {
		t.Fatalf("disasm: code %d stderr %q", code, errOut)
	}
	for _, want := range []string{
		"; program dispatch, section xdp,", "dispatch:\n", "stage1:\n", "stage2:\n",
		"\tr2 = map[jump_table]\n", "\tr1 = map[stage_hits]\n", "\tcall bpf_tail_call\n",
		"\tlock *(u64 *)(r0 + 0) += r1\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("disasm output lacks %q:\n%s", want, text)
		}
	}
	// The output assembles back (after dropping the comment lines).
	asmFile := filepath.Join(t.TempDir(), "one.s")
	code, one, _ := captureAsm(t, func() int { return cmdDisasm([]string{obj, "stage2"}) })
	if code != 0 || strings.Contains(one, "stage1") || !strings.Contains(one, "stage2:") {
		t.Fatalf("disasm stage2: code %d\n%s", code, one)
	}
	os.WriteFile(asmFile, []byte(one), 0o644)
	code, hexOut, errOut := captureAsm(t, func() int { return cmdAsm([]string{asmFile}) })
	if code != 0 || strings.Count(hexOut, "\n") != 11 {
		t.Errorf("asm of disasm output: code %d stderr %q\n%s", code, errOut, hexOut)
	}
	code, _, errOut = captureAsm(t, func() int { return cmdDisasm([]string{obj, "nosuch"}) })
	if code != 1 || !strings.Contains(errOut, "nosuch") {
		t.Errorf("disasm of a missing section: code %d stderr %q", code, errOut)
	}
}
