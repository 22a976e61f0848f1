package bpfasm_test

import (
	"encoding/hex"
	"fmt"

	"github.com/bpfplay/bpfplay/sim/bpfasm"
)

func Example() {
	insns, err := bpfasm.Assemble(`
	; count packets in a map
	r1 = map[counts]
	r2 = r10
	r2 += -4
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r1 = 1
	lock *(u64 *)(r0 + 0) += r1
out:
	r0 = 2
	exit
`)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(bpfasm.Disassemble(insns))
	b, _ := bpfasm.Encode(insns)
	fmt.Println(hex.EncodeToString(b[len(b)-8:]))
	// Output:
	// 	r1 = map[counts]
	// 	r2 = r10
	// 	r2 += -4
	// 	call bpf_map_lookup_elem
	// 	if r0 == 0 goto out
	// 	r1 = 1
	// 	lock *(u64 *)(r0 + 0) += r1
	// out:
	// 	r0 = 2
	// 	exit
	// 9500000000000000
}
