// Command bpfplay runs eBPF map scenarios on the simulator, assembles and
// disassembles BPF programs, and runs the lessons, all without a kernel.
//
//	bpfplay run [--json] [--trace] [--seed N] FILE|-
//	bpfplay asm FILE
//	bpfplay disasm OBJ.o [SECTION]
//	bpfplay lesson list [--json]
//	bpfplay lesson run ID [--lang zh]
//	bpfplay help
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
)

// command is one subcommand: it gets the arguments after its name and
// returns the exit status.
type command struct {
	run     func(args []string) int
	summary string
}

// commands holds the subcommands. Files of this package add theirs from
// init (see registerCommand), so the dispatcher does not change when a
// subcommand is added.
var commands = map[string]command{}

func registerCommand(name, summary string, run func(args []string) int) {
	commands[name] = command{run: run, summary: summary}
}

// Standard streams, replaceable by tests.
var (
	stdin  io.Reader = os.Stdin
	stdout io.Writer = os.Stdout
	stderr io.Writer = os.Stderr
)

func main() { os.Exit(dispatch(os.Args[1:])) }

func dispatch(args []string) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "bpfplay: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	return c.run(args[1:])
}

// known lists every subcommand with its usage, including the ones this
// build may lack.
var known = []struct{ name, usage, summary string }{
	{"run", "run [--json] [--trace] [--seed N] FILE|-", "run a scenario: one result line per statement"},
	{"asm", "asm FILE", "assemble pseudo-C BPF assembly"},
	{"disasm", "disasm OBJ.o [SECTION]", "disassemble a BPF ELF object"},
	{"lesson", "lesson list [--json] | lesson run ID [--lang zh]", "list or run the built-in lessons"},
	{"help", "help", "this text"},
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "bpfplay: Linux 6.18 eBPF maps and programs, simulated.")
	fmt.Fprintln(w, "\nUsage:")
	seen := map[string]bool{}
	for _, k := range known {
		seen[k.name] = true
		note := ""
		if _, ok := commands[k.name]; !ok && k.name != "help" {
			note = " (not in this build)"
		}
		fmt.Fprintf(w, "  bpfplay %-50s %s%s\n", k.usage, k.summary, note)
	}
	var extra []string
	for name := range commands {
		if !seen[name] {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	for _, name := range extra {
		fmt.Fprintf(w, "  bpfplay %-50s %s\n", name, commands[name].summary)
	}
	fmt.Fprintln(w, "\nExit status: 0 ok (errno results are data), 1 a failed => expectation, 2 a script or usage error.")
}
