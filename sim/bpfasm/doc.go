// Package bpfasm assembles and disassembles BPF programs in the pseudo-C
// syntax that `llvm-objdump -d` and `bpftool prog dump xlated` print, to and
// from cilium/ebpf's asm.Instructions and raw kernel bytes.
//
// Syntax, one instruction a line (llvm's spelling; bpftool's is accepted too):
//
//	r1 = *(u32 *)(r2 + 4)            r1 = *(s16 *)(r2 + 0)       (LDX MEM, MEMSX)
//	*(u64 *)(r10 - 8) = r1           *(u32 *)(r10 - 4) = 0       (STX, ST)
//	r1 += r2    w1 -= 5    r1 s>>= 3 r1 s/= r2    r1 s%= r2       (ALU64 r, ALU w)
//	r1 = r2     r1 = -r1   r1 = (s8)r2                           (MOV, NEG, MOVSX)
//	r1 = be16 r1   r1 = le32 r1   r1 = bswap64 r1                (END)
//	r1 = 0x1234 ll                                               (LD_IMM64)
//	r1 = map[flows]   r1 = map_value[flows] + 8                  (map references)
//	r1 = map[fd:3]    r1 = map_value[idx:0] + 4                  (raw pseudo loads)
//	if r1 s> 5 goto +3    if w1 == w2 goto loop    if r1 & 4 goto +1
//	goto +2   gotol label   may_goto +1   exit
//	call bpf_map_lookup_elem   call 1   call pc+5   call label   (helper, bpf2bpf)
//	lock *(u64 *)(r1 + 0) += r2
//	r0 = atomic_fetch_add((u64 *)(r1 + 0), r0)
//	r0 = xchg_64(r1 + 0, r0)     w0 = xchg32_32(r1 + 0, w0)
//	r0 = cmpxchg_64(r1 + 0, r0, r2)
//	r0 = load_acquire((u64 *)(r1 + 0))   store_release((u32 *)(r1 + 0), w2)
//	r0 = *(u8 *)skb[12]   r0 = *(u16 *)skb[r1]                   (LD_ABS, LD_IND)
//	.insn 0x07, 1, 0, 0, 5                                       (raw fields)
//
// Labels are "name:" (alone or before an instruction); comments start with
// ";", "//" or a "#" that begins a word. Pasted llvm-objdump output works:
// instruction indexes, raw bytes (used for "<unknown>" lines and to tell
// bpf2bpf calls from helper calls), "<sym>:" headers (labels) and
// relocation lines (-r: R_BPF_64_64 makes map[sym], or map_value[.section]
// for data sections; R_BPF_64_32 makes a bpf2bpf call to sym).
//
// Instructions are in the form cilium/ebpf's ELF loader and Unmarshal give
// (SDiv/SMod/MovSX pseudo ops, atomic op bits in the opcode with
// Constant = imm, helper calls as linux BuiltinFuncs), so programs from
// ebpf.LoadCollectionSpec and from Assemble look the same. Encode and Decode
// convert to and from kernel bytes without cilium's Marshal, so they work
// under js/wasm. Decode rejects what the verifier rejects for its encoding
// alone (unknown opcodes, reserved fields set).
package bpfasm
