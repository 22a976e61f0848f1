// Package scenario is the scenario language of bpfplay: a line-oriented
// script of BPF map and program operations (docs/scenario-language.md), its
// parser, its executor on a sim.World, and the Trace that records every
// statement's result and events and can rebuild the exact World after any
// step (step back) and the interpreter inside any `run` (MachineAt).
//
//	s, err := scenario.Parse("demo.bpfs", src) // err: ErrorList, every syntax error, positioned
//	t := scenario.Run(s, scenario.Options{})   // one Step per statement
//	w := t.WorldAt(3)                          // the World after the fourth statement
//
// A viewer that shows one step at a time can use Start instead of Run: the
// trace then runs statements when WorldAt, MachineAt or RunTo need them, and
// ends up identical to Run's.
//
// Every statement has exactly one result, OK or an errno as Linux spells
// it; errnos are data. Script errors (an undefined map, a literal of the
// wrong size) are positioned *Error values on their Step; nothing panics.
package scenario
