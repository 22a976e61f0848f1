package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/bpfplay/bpfplay/sim/scenario"
)

func init() {
	registerCommand("run", "run a scenario: one result line per statement", cmdRun)
}

// cmdRun is `bpfplay run [--json] [--trace] [--seed N] FILE|-`.
//
// It prints one line per statement (text, or one JSON object with --json).
// Exit status: 0 when every statement ran (errno results are data), 1 when
// an `=>` expectation failed, 2 for a script error (printed to stderr as
// FILE:LINE:COL: message) or a usage error.
func cmdRun(args []string) int {
	var jsonOut, trace bool
	var seed *uint64
	var file string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--json" || a == "-json":
			jsonOut = true
		case a == "--trace" || a == "-trace":
			trace = true
		case a == "--seed" || a == "-seed" || strings.HasPrefix(a, "--seed=") || strings.HasPrefix(a, "-seed="):
			v := ""
			if _, after, ok := strings.Cut(a, "="); ok {
				v = after
			} else if i+1 < len(args) {
				i++
				v = args[i]
			}
			n, err := strconv.ParseUint(v, 0, 64)
			if err != nil {
				fmt.Fprintf(stderr, "bpfplay run: --seed wants a number, not %q\n", v)
				return 2
			}
			seed = &n
		case a == "-h" || a == "--help" || a == "-help":
			fmt.Fprintln(stdout, "usage: bpfplay run [--json] [--trace] [--seed N] FILE|-")
			return 0
		case a == "-" || !strings.HasPrefix(a, "-"):
			if file != "" {
				fmt.Fprintln(stderr, "bpfplay run: one scenario file at a time")
				return 2
			}
			file = a
		default:
			fmt.Fprintf(stderr, "bpfplay run: unknown flag %s\nusage: bpfplay run [--json] [--trace] [--seed N] FILE|-\n", a)
			return 2
		}
	}
	if file == "" {
		fmt.Fprintln(stderr, "usage: bpfplay run [--json] [--trace] [--seed N] FILE|-")
		return 2
	}
	name := file
	var src []byte
	var err error
	if file == "-" {
		name = "<stdin>"
		src, err = io.ReadAll(stdin)
	} else {
		src, err = os.ReadFile(file)
	}
	if err != nil {
		fmt.Fprintf(stderr, "bpfplay run: %v\n", err)
		return 2
	}
	return runScript(name, string(src), jsonOut, trace, scenario.Options{RandomSeed: seed})
}

func runScript(name, src string, jsonOut, trace bool, opt scenario.Options) int {
	s, err := scenario.Parse(name, src)
	if err != nil {
		if l, ok := err.(scenario.ErrorList); ok {
			for _, e := range l {
				fmt.Fprintln(stderr, e.Error())
			}
		} else {
			fmt.Fprintln(stderr, err)
		}
		return 2
	}
	// --trace shows everything, down to each instruction of a run.
	opt.NoEvents, opt.InstructionEvents = !trace, trace
	t := scenario.Run(s, opt)
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	status := 0
	for i := range t.Steps {
		st := &t.Steps[i]
		if jsonOut {
			out.Write(st.JSON(trace))
			out.WriteByte('\n')
		} else {
			fmt.Fprintln(out, st.String())
			if trace {
				for _, e := range st.Events {
					fmt.Fprintf(out, "        %s\n", e.String())
				}
			}
		}
		if st.Err != nil {
			out.Flush()
			fmt.Fprintln(stderr, st.Err.Error())
			status = 2
		} else if st.Failed {
			out.Flush()
			fmt.Fprintf(stderr, "%s:%d: expected %s, got %s\n", name, st.Line, st.Expect, st.Got)
			if status == 0 {
				status = 1
			}
		}
	}
	return status
}
