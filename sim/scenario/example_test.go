package scenario_test

import (
	"fmt"

	"github.com/bpfplay/bpfplay/sim/scenario"
)

// The bucket order of kernel-semantics §3.4: u32 keys 0..7 in a ZERO_SEED
// hash of 8 buckets, then an update that moves key 2 to the head of its
// bucket.
func ExampleRun() {
	src := `map h type=hash key=4 value=8 max=8 flags=zero_seed
update h 0 0
update h 1 1
update h 2 2
update h 3 3
update h 4 4
update h 5 5
update h 6 6
update h 7 7
walk h
update h 2 22
walk h
lookup h 9
`
	s, err := scenario.Parse("walk.bpfs", src)
	if err != nil {
		fmt.Println(err)
		return
	}
	t := scenario.Run(s, scenario.Options{})
	for _, i := range []int{9, 11, 12} {
		fmt.Println(t.Steps[i].Text, "=>", t.Steps[i].Result())
	}
	// Output:
	// walk h => OK 0 4 7 2 1 6 5 3
	// walk h => OK 0 4 2 7 1 6 5 3
	// lookup h 9 => ENOENT
}

func ExampleParse() {
	_, err := scenario.Parse("bad.bpfs", "map h type=hash key=4 value=4 max=2\nlookup h hex:0\nfrob\n")
	fmt.Println(err)
	// Output:
	// bad.bpfs:2:10: bad hex literal "hex:0": want an even number of hex digits
	// bad.bpfs:3:1: unknown statement "frob"
}
