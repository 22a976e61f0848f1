package vm

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/bpfplay/bpfplay/sim"
	"github.com/bpfplay/bpfplay/sim/bpfasm"
	"github.com/cilium/ebpf/asm"
)

// Expected values in this file come from RFC 9669, kernel-semantics §10 and
// §13.6, and kernel-oracle §5/§6 (live 6.18 observations), never from the
// simulator's own output.

func newWorld() *sim.World { return sim.NewWorld(sim.Config{RandomSeed: 1}) }

func mkMap(t testing.TB, w *sim.World, a sim.MapAttr) *sim.Map {
	t.Helper()
	m, e := w.CreateMap(a)
	if e != sim.OK {
		t.Fatalf("create %s: %v", a.Name, e)
	}
	return m
}

func resolver(w *sim.World) func(string) (*sim.Map, bool) {
	return func(name string) (*sim.Map, bool) {
		for _, m := range w.Maps() {
			if m.Name == name {
				return m, true
			}
		}
		return nil, false
	}
}

func assemble(t testing.TB, src string) asm.Instructions {
	t.Helper()
	insns, err := bpfasm.Assemble(src)
	if err != nil {
		t.Fatalf("assemble: %v\n%s", err, src)
	}
	return insns
}

func load(t testing.TB, w *sim.World, name string, typ sim.ProgType, src string) *Program {
	t.Helper()
	p, err := Load(w, name, typ, assemble(t, src), resolver(w))
	if err != nil {
		t.Fatalf("load %s: %v\n%s", name, err, src)
	}
	return p
}

func runSrc(t testing.TB, w *sim.World, typ sim.ProgType, src string, opt Options) Result {
	t.Helper()
	return Run(w, load(t, w, "t", typ, src), opt)
}

func TestALU(t *testing.T) {
	cases := []struct {
		name, src string
		want      uint64
	}{
		// Division and modulo by zero (RFC 9669 4.1; kernel-oracle §6).
		{"div64 by 0", "r0 = 7\nr1 = 0\nr0 /= r1", 0},
		{"mod64 by 0", "r0 = 7\nr1 = 0\nr0 %= r1", 7},
		{"div32 by 0", "r0 = 0x1234567800000007 ll\nw1 = 0\nw0 /= w1", 0},
		{"mod32 by 0 keeps the low half", "r0 = 0x1234567800000007 ll\nw1 = 0\nw0 %= w1", 7},
		{"sdiv64 by 0", "r0 = -7\nr1 = 0\nr0 s/= r1", 0},
		{"smod64 by 0", "r0 = -7\nr1 = 0\nr0 s%= r1", uint64(0xfffffffffffffff9)},
		// Signed division (kernel-oracle §6).
		{"INT64_MIN s/ -1", "r0 = 0x8000000000000000 ll\nr1 = -1\nr0 s/= r1", 0x8000000000000000},
		{"INT64_MIN s% -1", "r0 = 0x8000000000000000 ll\nr1 = -1\nr0 s%= r1", 0},
		{"INT32_MIN s/ -1", "w0 = 0x80000000\nw0 s/= -1", 0x80000000},
		{"INT32_MIN s% -1", "w0 = 0x80000000\nw0 s%= -1", 0},
		{"-7 s/ 2", "r0 = -7\nr0 s/= 2", uint64(0xfffffffffffffffd)},
		{"-7 s% 2", "r0 = -7\nr0 s%= 2", uint64(0xffffffffffffffff)},
		{"7 s% -2", "r0 = 7\nr0 s%= -2", 1},
		{"w -7 s/ 2", "w0 = -7\nw0 s/= 2", 0xfffffffd},
		// Unsigned DIV/MOD with an immediate: sign-extended, then unsigned.
		{"div64 imm -1", "r0 = -1\nr0 /= -1", 1},
		{"div64 10 by imm -1", "r0 = 10\nr0 /= -1", 0},
		{"mod64 imm -2", "r0 = -1\nr0 %= -2", 1},
		{"div32 imm -1", "w0 = -1\nw0 /= -1", 1},
		// Shift counts from registers are masked.
		{"lsh64 by 65", "r0 = 1\nr1 = 65\nr0 <<= r1", 2},
		{"rsh64 by 64", "r0 = 0x8000\nr1 = 64\nr0 >>= r1", 0x8000},
		{"arsh64 by 70", "r0 = -4096\nr1 = 70\nr0 s>>= r1", uint64(0xffffffffffffffc0)},
		{"lsh32 by 33", "w0 = 1\nw1 = 33\nw0 <<= w1", 2},
		{"arsh32", "w0 = -8\nw0 s>>= 1", 0xfffffffc},
		// 32-bit results are zero-extended.
		{"add32 wraps and zero-extends", "r0 = -1\nw0 += 1", 0},
		{"mov32 zero-extends", "r0 = -1\nw0 = w0", 0xffffffff},
		{"mul32", "r0 = 0x100000003 ll\nw0 *= 3", 9},
		// MOVSX.
		{"movsx8", "r1 = 0x80\nr0 = (s8)r1", 0xffffffffffffff80},
		{"movsx16", "r1 = 0x8000\nr0 = (s16)r1", 0xffffffffffff8000},
		{"movsx32", "r1 = 0x80000000 ll\nr0 = (s32)r1", 0xffffffff80000000},
		{"movsx8 32-bit", "w1 = 0x80\nw0 = (s8)w1", 0xffffff80},
		{"movsx16 32-bit", "w1 = 0x8000\nw0 = (s16)w1", 0xffff8000},
		// Byte order (on a little-endian host).
		{"be16", "r0 = 0x1122334455667788 ll\nr0 = be16 r0", 0x8877},
		{"be32", "r0 = 0x1122334455667788 ll\nr0 = be32 r0", 0x88776655},
		{"be64", "r0 = 0x1122334455667788 ll\nr0 = be64 r0", 0x8877665544332211},
		{"le16 truncates", "r0 = 0x1122334455667788 ll\nr0 = le16 r0", 0x7788},
		{"le32 truncates", "r0 = 0x1122334455667788 ll\nr0 = le32 r0", 0x55667788},
		{"le64", "r0 = 0x1122334455667788 ll\nr0 = le64 r0", 0x1122334455667788},
		{"bswap16", "r0 = 0x1122334455667788 ll\nr0 = bswap16 r0", 0x8877},
		{"bswap32", "r0 = 0x1122334455667788 ll\nr0 = bswap32 r0", 0x88776655},
		{"bswap64", "r0 = 0x1122334455667788 ll\nr0 = bswap64 r0", 0x8877665544332211},
		// NEG.
		{"neg64", "r0 = 5\nr0 = -r0", uint64(0xfffffffffffffffb)},
		{"neg32", "w0 = 5\nw0 = -w0", 0xfffffffb},
		// Immediates of ALU64 are sign-extended.
		{"and64 imm", "r0 = -1\nr0 &= -256", 0xffffffffffffff00},
		{"xor/or", "r0 = 0xf0\nr0 |= 0x0f\nr0 ^= 0x3c", 0xc3},
		{"ld_imm64", "r0 = -2 ll", 0xfffffffffffffffe},
		{"sub", "r0 = 3\nr0 -= 5", 0xfffffffffffffffe},
		{"mov64 imm sign-extends", "r0 = -1", 0xffffffffffffffff},
		{"mov32 imm", "w0 = -1", 0xffffffff},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld()
			r := runSrc(t, w, sim.ProgSocketFilter, c.src+"\nexit", Options{})
			if r.Err != nil {
				t.Fatalf("error: %v", r.Err)
			}
			if r.R0 != c.want {
				t.Errorf("r0 = %#x, want %#x", r.R0, c.want)
			}
		})
	}
}

func TestJumps(t *testing.T) {
	cases := []struct {
		name, cond string
		setup      string
		taken      bool
	}{
		{"jeq", "if r1 == 5 goto yes", "r1 = 5", true},
		{"jne", "if r1 != 5 goto yes", "r1 = 5", false},
		{"jgt unsigned", "if r1 > 5 goto yes", "r1 = -1", true},
		{"jsgt signed", "if r1 s> 5 goto yes", "r1 = -1", false},
		{"jslt", "if r1 s< 0 goto yes", "r1 = -1", true},
		{"jsle eq", "if r1 s<= -1 goto yes", "r1 = -1", true},
		{"jsge", "if r1 s>= 0 goto yes", "r1 = -1", false},
		{"jge", "if r1 >= 5 goto yes", "r1 = 5", true},
		{"jlt", "if r1 < 5 goto yes", "r1 = 5", false},
		{"jle", "if r1 <= 5 goto yes", "r1 = 5", true},
		{"jset", "if r1 & 0x10 goto yes", "r1 = 0x30", true},
		{"jset none", "if r1 & 0x10 goto yes", "r1 = 0x20", false},
		{"jeq imm sign-extended", "if r1 == -1 goto yes", "r1 = -1", true},
		{"jmp32 low half", "if w1 == 0 goto yes", "r1 = 0x100000000 ll", true},
		{"jmp64 whole", "if r1 == 0 goto yes", "r1 = 0x100000000 ll", false},
		{"jmp32 signed", "if w1 s< 0 goto yes", "r1 = 0x80000000 ll", true},
		{"jmp64 same value not negative", "if r1 s< 0 goto yes", "r1 = 0x80000000 ll", false},
		{"jmp reg", "if r1 > r2 goto yes", "r1 = 3\nr2 = 2", true},
		{"jmp32 reg", "if w1 > w2 goto yes", "r1 = 0x100000001 ll\nr2 = 2", false},
		{"gotol", "gotol yes", "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := c.setup + "\nr0 = 0\n" + c.cond + "\nexit\nyes:\nr0 = 1\nexit"
			r := runSrc(t, newWorld(), sim.ProgSocketFilter, src, Options{})
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			if (r.R0 == 1) != c.taken {
				t.Errorf("taken = %v, want %v", r.R0 == 1, c.taken)
			}
		})
	}
}

func TestMemoryAndAtomics(t *testing.T) {
	cases := []struct {
		name, src string
		want      uint64
	}{
		{"stack round trip", "r1 = 0x1122334455667788 ll\n*(u64 *)(r10 - 8) = r1\nr0 = *(u32 *)(r10 - 4)", 0x11223344},
		{"st imm", "*(u32 *)(r10 - 4) = -2\nr0 = *(u32 *)(r10 - 4)", 0xfffffffe},
		{"st imm dword sign-extends", "*(u64 *)(r10 - 8) = -7\nr0 = *(u64 *)(r10 - 8)", uint64(0xfffffffffffffff9)},
		{"ldx memsx", "*(u8 *)(r10 - 1) = 0x80\nr0 = *(s8 *)(r10 - 1)", 0xffffffffffffff80},
		{"ldx memsx32", "*(u32 *)(r10 - 4) = -3\nr0 = *(s32 *)(r10 - 4)", uint64(0xfffffffffffffffd)},
		{"atomic add", "*(u64 *)(r10 - 8) = 40\nr1 = 2\nlock *(u64 *)(r10 - 8) += r1\nr0 = *(u64 *)(r10 - 8)", 42},
		{"fetch add returns the old value", "*(u64 *)(r10 - 8) = 40\nr1 = 2\nr1 = atomic_fetch_add((u64 *)(r10 - 8), r1)\nr0 = *(u64 *)(r10 - 8)\nr0 <<= 8\nr0 |= r1", 42<<8 | 40},
		{"fetch or 32", "*(u32 *)(r10 - 4) = 1\nw1 = 6\nw1 = atomic_fetch_or((u32 *)(r10 - 4), w1)\nr0 = *(u32 *)(r10 - 4)\nr0 <<= 8\nr0 |= r1", 7<<8 | 1},
		{"and/xor", "*(u64 *)(r10 - 8) = 0xff\nr1 = 0x0f\nlock *(u64 *)(r10 - 8) &= r1\nr1 = 0x3\nlock *(u64 *)(r10 - 8) ^= r1\nr0 = *(u64 *)(r10 - 8)", 0x0c},
		{"xchg", "*(u64 *)(r10 - 8) = 5\nr1 = 9\nr1 = xchg_64(r10 - 8, r1)\nr0 = *(u64 *)(r10 - 8)\nr0 <<= 8\nr0 |= r1", 9<<8 | 5},
		{"cmpxchg equal", "*(u64 *)(r10 - 8) = 5\nr0 = 5\nr1 = 9\nr0 = cmpxchg_64(r10 - 8, r0, r1)\nr2 = *(u64 *)(r10 - 8)\nr2 <<= 8\nr0 |= r2", 9<<8 | 5},
		{"cmpxchg different", "*(u64 *)(r10 - 8) = 5\nr0 = 6\nr1 = 9\nr0 = cmpxchg_64(r10 - 8, r0, r1)\nr2 = *(u64 *)(r10 - 8)\nr2 <<= 8\nr0 |= r2", 5<<8 | 5},
		{"load acquire / store release", "r1 = 77\nstore_release((u64 *)(r10 - 8), r1)\nr0 = load_acquire((u64 *)(r10 - 8))", 77},
		{"spilled pointer keeps its type", "*(u64 *)(r10 - 8) = r10\nr1 = *(u64 *)(r10 - 8)\n*(u64 *)(r1 - 16) = 3\nr0 = *(u64 *)(r10 - 16)", 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runSrc(t, newWorld(), sim.ProgSocketFilter, c.src+"\nexit", Options{})
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			if r.R0 != c.want {
				t.Errorf("r0 = %#x, want %#x", r.R0, c.want)
			}
		})
	}
}

const lookupPrelude = `
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map[flows]
call bpf_map_lookup_elem
`

// TestRuntimeErrors checks the verifier's wording (kernel-oracle §6) for
// programs that do what the verifier refuses.
func TestRuntimeErrors(t *testing.T) {
	cases := []struct {
		name string
		typ  sim.ProgType
		src  string
		pkt  []byte
		want string // prefix of RuntimeError.Verifier
	}{
		{"missing NULL check", sim.ProgSocketFilter, lookupPrelude + "r0 = *(u64 *)(r0 + 0)\nexit", nil, "R0 invalid mem access 'map_value_or_null'"},
		{"map value out of bounds", sim.ProgSocketFilter, lookupPrelude + "if r0 == 0 goto out\nr0 = *(u64 *)(r0 + 8)\nout:\nexit", nil, "invalid access to map value, value_size=8 off=8 size=8"},
		{"uninitialised r5", sim.ProgSocketFilter, "r0 = r5\nexit", nil, "R5 !read_ok"},
		{"R0 unset at exit", sim.ProgSocketFilter, "exit", nil, "R0 !read_ok"},
		{"fp-520", sim.ProgSocketFilter, "r0 = 0\n*(u64 *)(r10 - 520) = r0\nexit", nil, "invalid write to stack R10 off=-520 size=8"},
		{"write r10", sim.ProgSocketFilter, "r10 = 0\nr0 = 0\nexit", nil, "frame pointer is read only"},
		{"xdp packet without bounds check", sim.ProgXDP, "r2 = *(u32 *)(r1 + 0)\nr0 = *(u8 *)(r2 + 0)\nexit", nil, "invalid access to packet, off=0 size=1"},
		{"args clobbered by a call", sim.ProgSocketFilter, "r1 = 1\ncall bpf_ktime_get_ns\nr0 = r1\nexit", nil, "R1 !read_ok"},
		{"scalar deref", sim.ProgSocketFilter, "r1 = 8\nr0 = *(u64 *)(r1 + 0)\nexit", nil, "R1 invalid mem access 'scalar'"},
		{"socket filter may not read data", sim.ProgSocketFilter, "r0 = *(u32 *)(r1 + 76)\nexit", nil, "invalid bpf_context access off=76 size=4"},
		{"modified ctx", sim.ProgSocketFilter, "r1 += 4\nr0 = *(u32 *)(r1 + 0)\nexit", nil, "dereference of modified ctx ptr R1 off=4 disallowed"},
		{"misaligned stack", sim.ProgSocketFilter, "r0 = 0\n*(u64 *)(r10 - 12) = r0\nexit", nil, "misaligned stack access"},
		{"pointer arithmetic on NULL-able", sim.ProgSocketFilter, lookupPrelude + "r0 += 8\nexit", nil, "R0 pointer arithmetic on map_value_or_null prohibited"},
		{"32-bit pointer arithmetic", sim.ProgSocketFilter, "r1 = r10\nw1 += 8\nr0 = 0\nexit", nil, "R1 32-bit pointer arithmetic prohibited"},
		{"prog_array lookup", sim.ProgSocketFilter, "*(u32 *)(r10 - 4) = 0\nr2 = r10\nr2 += -4\nr1 = map[jmp]\ncall bpf_map_lookup_elem\nr0 = 0\nexit", nil, "cannot pass map_type 3 into func bpf_map_lookup_elem#1"},
		{"budget", sim.ProgSocketFilter, "r0 = 0\nloop:\nr0 += 1\ngoto loop", nil, "BPF program is too large"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld()
			mkMap(t, w, sim.MapAttr{Name: "flows", Type: sim.MapArray, KeySize: 4, ValueSize: 8, MaxEntries: 4})
			mkMap(t, w, sim.MapAttr{Name: "jmp", Type: sim.MapProgArray, KeySize: 4, ValueSize: 4, MaxEntries: 4})
			r := runSrc(t, w, c.typ, c.src, Options{Packet: c.pkt, Budget: 100000})
			if r.Err == nil {
				t.Fatalf("no error; r0 = %d", r.R0)
			}
			if !strings.HasPrefix(r.Err.Verifier, c.want) {
				t.Errorf("error %q, want prefix %q", r.Err.Verifier, c.want)
			}
			if r.Err.Explain == "" {
				t.Error("no explanation")
			}
		})
	}
}

func TestNullCheckOnHash(t *testing.T) {
	// A missing key gives NULL; the checked program returns 1 then; after
	// an update it reads the value through the live pointer.
	w := newWorld()
	m := mkMap(t, w, sim.MapAttr{Name: "flows", Type: sim.MapHash, KeySize: 4, ValueSize: 8, MaxEntries: 4})
	src := lookupPrelude + "if r0 == 0 goto miss\nr1 = *(u64 *)(r0 + 0)\nr1 += 1\n*(u64 *)(r0 + 0) = r1\nr0 = r1\nexit\nmiss:\nr0 = 1000\nexit"
	p := load(t, w, "p", sim.ProgSocketFilter, src)
	if r := Run(w, p, Options{}); r.Err != nil || r.R0 != 1000 {
		t.Fatalf("missing key: %+v", r)
	}
	if e := m.Update([]byte{0, 0, 0, 0}, []byte{41, 0, 0, 0, 0, 0, 0, 0}, 0); e != sim.OK {
		t.Fatal(e)
	}
	if r := Run(w, p, Options{Repeat: 3}); r.Err != nil || r.R0 != 44 {
		t.Fatalf("present key: %+v", r)
	}
	v, _ := m.Lookup([]byte{0, 0, 0, 0}, 0)
	if v[0] != 44 {
		t.Errorf("the map holds %d after three in-place increments, want 44", v[0])
	}
}

func TestXDPPacket(t *testing.T) {
	src := `
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 1
r0 = 0
if r4 > r3 goto out
r0 = *(u8 *)(r2 + 0)
*(u8 *)(r2 + 0) = 9
out:
exit`
	pkt := make([]byte, 20)
	pkt[0] = 77
	r := runSrc(t, newWorld(), sim.ProgXDP, src, Options{Packet: pkt})
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if r.R0 != 77 {
		t.Errorf("r0 = %d, want 77 (kernel-oracle §6: XDP returning pkt[0])", r.R0)
	}
	if r.PacketOut[0] != 9 {
		t.Errorf("data_out[0] = %d, want 9: writes to the packet show in data_out", r.PacketOut[0])
	}
	// A check that proves one byte does not allow a two-byte read.
	bad := strings.Replace(src, "r0 = *(u8 *)(r2 + 0)", "r0 = *(u16 *)(r2 + 0)", 1)
	r = runSrc(t, newWorld(), sim.ProgXDP, bad, Options{Packet: pkt})
	if r.Err == nil || !strings.HasPrefix(r.Err.Verifier, "invalid access to packet, off=0 size=2") {
		t.Errorf("got %+v", r.Err)
	}
	short := runSrc(t, newWorld(), sim.ProgXDP, "r0 = 0\nexit", Options{Packet: make([]byte, 10)})
	if short.Err == nil {
		t.Error("a 10-byte packet must be refused (BPF_PROG_TEST_RUN: EINVAL)")
	}
}

func TestLoadErrors(t *testing.T) {
	cases := []struct {
		name string
		src  string
		want string
	}{
		{"no exit", "r0 = 0", "last insn is not an exit or jmp"},
		{"jump out of range", "r0 = 0\ngoto +5\nexit", "jump out of range from insn 1 to 7"},
		{"unknown helper", "call 9999\nexit", "invalid func unknown#9999"},
		{"div by zero", "r0 = 1\nr0 /= 0\nexit", "div by zero"},
		{"bad shift", "r0 = 1\nr0 <<= 64\nexit", "invalid shift 64"},
		{"undefined map", "r1 = map[nope]\nr0 = 0\nexit", "map nope is not defined"},
		{"ld_abs in xdp", "r0 = *(u8 *)skb[0]\nexit", "BPF_LD_[ABS|IND] instructions not allowed for this program type"},
		{"jump into ld_imm64", "goto +1\nr0 = 1 ll\nexit", "jump into the middle of ldimm64 insn 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld()
			_, err := Load(w, "p", sim.ProgXDP, assemble(t, c.src), resolver(w))
			le, ok := err.(*LoadError)
			if !ok {
				t.Fatalf("err = %v, want a LoadError", err)
			}
			if le.Verifier != c.want {
				t.Errorf("%q, want %q", le.Verifier, c.want)
			}
		})
	}
}

// TestHelperReturnCodes: kernel-oracle §5 (helper return codes in programs).
func TestHelperReturnCodes(t *testing.T) {
	w := newWorld()
	mkMap(t, w, sim.MapAttr{Name: "q", Type: sim.MapQueue, ValueSize: 4, MaxEntries: 2})
	mkMap(t, w, sim.MapAttr{Name: "h", Type: sim.MapHash, KeySize: 4, ValueSize: 8, MaxEntries: 2})
	mkMap(t, w, sim.MapAttr{Name: "a", Type: sim.MapArray, KeySize: 4, ValueSize: 8, MaxEntries: 2})
	push := func(v, flags int) string {
		return fmt.Sprintf("*(u32 *)(r10 - 4) = %d\nr1 = map[q]\nr2 = r10\nr2 += -4\nr3 = %d\ncall bpf_map_push_elem\nexit", v, flags)
	}
	pop := "r1 = map[q]\nr2 = r10\nr2 += -4\ncall bpf_map_pop_elem\nexit"
	peek := "r1 = map[q]\nr2 = r10\nr2 += -4\ncall bpf_map_peek_elem\nexit"
	popValue := "r1 = map[q]\nr2 = r10\nr2 += -4\ncall bpf_map_pop_elem\nr0 = *(u32 *)(r10 - 4)\nexit"
	update := func(m string, k, flags int) string {
		return fmt.Sprintf("*(u32 *)(r10 - 4) = %d\n*(u64 *)(r10 - 16) = 7\nr1 = map[%s]\nr2 = r10\nr2 += -4\nr3 = r10\nr3 += -16\nr4 = %d\ncall bpf_map_update_elem\nexit", k, m, flags)
	}
	del := func(m string, k int) string {
		return fmt.Sprintf("*(u32 *)(r10 - 4) = %d\nr1 = map[%s]\nr2 = r10\nr2 += -4\ncall bpf_map_delete_elem\nexit", k, m)
	}
	steps := []struct {
		src  string
		want int64
	}{
		{push(5, 0), 0},
		{push(6, 0), 0},
		{push(7, 0), -7},  // full: E2BIG
		{push(7, 1), -22}, // NOEXIST: EINVAL
		{push(7, 2), 0},   // EXIST drops the oldest
		{popValue, 6},
		{popValue, 7},
		{pop, -2},  // empty: ENOENT
		{peek, -2}, // empty: ENOENT
		{update("h", 1, 0), 0},
		{update("h", 1, 1), -17}, // NOEXIST on an existing key: EEXIST
		{update("h", 2, 2), -2},  // EXIST on a missing key: ENOENT
		{update("h", 2, 0), 0},
		{update("h", 3, 0), -7}, // full: E2BIG
		{del("h", 3), -2},       // missing: ENOENT
		{update("a", 2, 0), -7}, // out of bounds: E2BIG
		{del("a", 0), -22},      // arrays: EINVAL
	}
	for i, s := range steps {
		r := runSrc(t, w, sim.ProgSocketFilter, s.src, Options{})
		if r.Err != nil {
			t.Fatalf("step %d: %v", i, r.Err)
		}
		if int64(r.R0) != s.want {
			t.Errorf("step %d: r0 = %d, want %d\n%s", i, int64(r.R0), s.want, s.src)
		}
	}
}

func TestHelpersMisc(t *testing.T) {
	w := sim.NewWorld(sim.Config{PossibleCPUs: 2, RandomSeed: 9})
	w.Advance(12345)
	if err := w.SetCPU(1); err != nil {
		t.Fatal(err)
	}
	r := runSrc(t, w, sim.ProgSocketFilter, "call bpf_ktime_get_ns\nexit", Options{})
	if r.R0 != 12345 {
		t.Errorf("ktime = %d", r.R0)
	}
	r = runSrc(t, w, sim.ProgSocketFilter, "call bpf_get_smp_processor_id\nexit", Options{})
	if r.R0 != 1 {
		t.Errorf("cpu = %d", r.R0)
	}
	r = runSrc(t, w, sim.ProgKprobe, "call bpf_get_current_pid_tgid\nexit", Options{PID: 7, TGID: 5})
	if r.R0 != 5<<32|7 {
		t.Errorf("pid_tgid = %#x", r.R0)
	}
	r = runSrc(t, w, sim.ProgKprobe, "r1 = r10\nr1 += -16\nr2 = 16\ncall bpf_get_current_comm\nr0 = *(u64 *)(r10 - 16)\nexit", Options{Comm: "curl"})
	if r.Err != nil || r.R0 != uint64(binary.LittleEndian.Uint32([]byte("curl"))) {
		t.Errorf("comm: %+v", r)
	}
	// bpf_get_prandom_u32 follows the World's PRNG.
	c := w.Clone()
	want := uint64(uint32(c.Random()))
	r = runSrc(t, w, sim.ProgSocketFilter, "call bpf_get_prandom_u32\nexit", Options{})
	if r.R0 != want {
		t.Errorf("prandom = %#x, want %#x", r.R0, want)
	}
	// trace_printk goes to the console.
	src := `
r1 = 0x0a6425203d207825 ll
*(u64 *)(r10 - 16) = r1
*(u8 *)(r10 - 8) = 0
r1 = r10
r1 += -16
r2 = 9
r3 = 255
r4 = -3
call bpf_trace_printk
exit`
	r = runSrc(t, w, sim.ProgSocketFilter, src, Options{})
	if r.Err != nil || len(r.Console) != 1 || r.Console[0] != "ff = -3" || r.R0 != 8 {
		t.Errorf("printk: %+v", r)
	}
}

func TestBPFToBPF(t *testing.T) {
	src := `
r6 = 7
r1 = 5
call double
r0 += r6
exit
double:
r0 = r1
r0 *= 2
r6 = 100
exit`
	r := runSrc(t, newWorld(), sim.ProgSocketFilter, src, Options{})
	if r.Err != nil || r.R0 != 17 {
		t.Fatalf("%+v: want 17 (R6 is preserved across calls)", r)
	}
	// The callee must not read R6: it starts uninitialised there.
	r = runSrc(t, newWorld(), sim.ProgSocketFilter, "r6 = 1\ncall f\nexit\nf:\nr0 = r6\nexit", Options{})
	if r.Err == nil || r.Err.Verifier != "R6 !read_ok" {
		t.Errorf("%+v", r.Err)
	}
	// Endless recursion stops at 8 frames.
	r = runSrc(t, newWorld(), sim.ProgSocketFilter, "call f\nr0 = 0\nexit\nf:\ncall f\nr0 = 0\nexit", Options{})
	if r.Err == nil || r.Err.Verifier != "the call stack of 9 frames is too deep !" {
		t.Errorf("%+v", r.Err)
	}
	// Two frames of 512 bytes exceed the combined stack.
	r = runSrc(t, newWorld(), sim.ProgSocketFilter, "r0 = 0\n*(u64 *)(r10 - 512) = r0\ncall f\nexit\nf:\nr0 = 0\n*(u64 *)(r10 - 8) = r0\nexit", Options{})
	if r.Err == nil || !strings.HasPrefix(r.Err.Verifier, "combined stack size of 2 calls is 544") {
		t.Errorf("%+v", r.Err)
	}
}

// withFunc patches the "rN = 0 ll" at instruction i into a function
// pointer (BPF_PSEUDO_FUNC) to label.
func withFunc(insns asm.Instructions, i int, label string) asm.Instructions {
	insns[i].Src = asm.PseudoFunc
	insns[i].Constant = -1
	insns[i] = insns[i].WithReference(label)
	for j := range insns {
		for _, l := range labelsOf(insns[j]) {
			if l == label {
				insns[j] = insns[j].WithSymbol(label)
			}
		}
	}
	return insns
}

func labelsOf(ins asm.Instruction) []string {
	// bpfasm keeps labels as its own metadata and as symbols of call
	// targets; Disassemble prints them as "name:" lines.
	text := bpfasm.Disassemble(asm.Instructions{ins})
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if strings.HasSuffix(line, ":") {
			out = append(out, strings.TrimSuffix(line, ":"))
		}
	}
	return out
}

func TestLoopHelper(t *testing.T) {
	src := `
*(u64 *)(r10 - 8) = 0
r1 = 10
r2 = 0 ll
r3 = r10
r3 += -8
r4 = 0
call bpf_loop
r6 = r0
r0 = *(u64 *)(r10 - 8)
r0 *= 100
r0 += r6
exit
cb:
r3 = *(u64 *)(r2 + 0)
r3 += r1
*(u64 *)(r2 + 0) = r3
r0 = 0
if r1 != STOP goto +1
r0 = 1
exit`
	for _, c := range []struct {
		stop string
		want uint64
	}{
		{"99", 45*100 + 10}, // all 10 iterations: sum 0..9, returns 10
		{"3", 6*100 + 4},    // stops after i = 3: sum 0..3, returns i+1
	} {
		w := newWorld()
		insns := withFunc(assemble(t, strings.Replace(src, "STOP", c.stop, 1)), 2, "cb")
		p, err := Load(w, "loop", sim.ProgSocketFilter, insns, nil)
		if err != nil {
			t.Fatal(err)
		}
		r := Run(w, p, Options{})
		if r.Err != nil || r.R0 != c.want {
			t.Errorf("stop %s: %+v, want %d", c.stop, r, c.want)
		}
	}
}

func TestForEach(t *testing.T) {
	w := newWorld()
	a := mkMap(t, w, sim.MapAttr{Name: "arr", Type: sim.MapArray, KeySize: 4, ValueSize: 8, MaxEntries: 4})
	for i := uint32(0); i < 4; i++ {
		k := binary.LittleEndian.AppendUint32(nil, i)
		a.Update(k, binary.LittleEndian.AppendUint64(nil, uint64(i+1)), 0)
	}
	src := `
*(u64 *)(r10 - 8) = 0
r1 = map[arr]
r2 = 0 ll
r3 = r10
r3 += -8
r4 = 0
call bpf_for_each_map_elem
r6 = r0
r0 = *(u64 *)(r10 - 8)
r0 *= 100
r0 += r6
exit
cb:
r5 = *(u64 *)(r3 + 0)
r1 = *(u64 *)(r4 + 0)
r1 += r5
*(u64 *)(r4 + 0) = r1
r5 += 10
*(u64 *)(r3 + 0) = r5
r0 = 0
exit`
	insns := withFunc(assemble(t, src), 2, "cb")
	p, err := Load(w, "fe", sim.ProgSocketFilter, insns, resolver(w))
	if err != nil {
		t.Fatal(err)
	}
	r := Run(w, p, Options{})
	if r.Err != nil || r.R0 != 10*100+4 {
		t.Fatalf("%+v: want sum 10 over 4 elements", r)
	}
	v, _ := a.Lookup([]byte{3, 0, 0, 0}, 0)
	if v[0] != 14 {
		t.Errorf("the callback's write through the value pointer: %d, want 14", v[0])
	}
}

func TestLdAbs(t *testing.T) {
	pkt := make([]byte, 34)
	pkt[12], pkt[13] = 0x08, 0x00
	copy(pkt[14:], []byte{0x45, 0x00, 0x00, 0x14, 0xab, 0xcd})
	cases := []struct {
		src  string
		want uint64
	}{
		// Under BPF_PROG_TEST_RUN a socket filter's data starts after the
		// Ethernet header (eth_type_trans pulled it).
		{"r6 = r1\nr0 = *(u8 *)skb[0]\nexit", 0x45},
		{"r6 = r1\nr0 = *(u16 *)skb[2]\nexit", 0x14},
		{"r6 = r1\nr0 = *(u32 *)skb[2]\nexit", 0x0014abcd},
		{"r6 = r1\nr7 = 4\nr0 = *(u16 *)skb[r7]\nexit", 0xabcd},
		{"r6 = r1\nr0 = *(u32 *)skb[1000]\nr0 = 5\nexit", 0}, // out of bounds: the program returns 0
		{"r0 = *(u32 *)(r1 + 0)\nexit", 20},                  // skb->len without the MAC header
		{"r0 = *(u32 *)(r1 + 16)\nexit", 0x0008},             // skb->protocol, __be16 ETH_P_IP
	}
	for _, c := range cases {
		r := runSrc(t, newWorld(), sim.ProgSocketFilter, c.src, Options{Packet: pkt})
		if r.Err != nil || r.R0 != c.want {
			t.Errorf("%q: %+v, want %#x", c.src, r, c.want)
		}
	}
	r := runSrc(t, newWorld(), sim.ProgSocketFilter, "r0 = *(u8 *)skb[0]\nexit", Options{Packet: pkt})
	if r.Err == nil || !strings.HasPrefix(r.Err.Verifier, "R6 !read_ok") {
		t.Errorf("LD_ABS without ctx in R6: %+v", r.Err)
	}
}

func TestRingbufHelpers(t *testing.T) {
	w := newWorld()
	rb := mkMap(t, w, sim.MapAttr{Name: "events", Type: sim.MapRingbuf, MaxEntries: 4096})
	src := `
r1 = map[events]
r2 = 16
r3 = 0
call bpf_ringbuf_reserve
if r0 == 0 goto out
r1 = 0x1122334455667788 ll
*(u64 *)(r0 + 8) = r1
r1 = r0
r2 = 0
call bpf_ringbuf_submit
r1 = map[events]
r2 = r10
r2 += -8
*(u64 *)(r10 - 8) = 7
r3 = 3
r4 = 0
call bpf_ringbuf_output
r1 = map[events]
r2 = 3
call bpf_ringbuf_query
out:
exit`
	r := runSrc(t, w, sim.ProgSocketFilter, src, Options{})
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if r.R0 != 24+16 {
		t.Errorf("producer position %d, want 40 (24 + 16, kernel-semantics §9.4)", r.R0)
	}
	recs := rb.RingConsume()
	if len(recs) != 2 || len(recs[0].Data) != 16 || recs[0].Data[8] != 0x88 || len(recs[1].Data) != 3 || recs[1].Data[0] != 7 {
		t.Errorf("records %+v", recs)
	}
	// Forgetting to submit is an unreleased reference.
	r = runSrc(t, w, sim.ProgSocketFilter, "r1 = map[events]\nr2 = 8\nr3 = 0\ncall bpf_ringbuf_reserve\nif r0 == 0 goto out\nr0 = 0\nout:\nexit", Options{})
	if r.Err == nil || !strings.HasPrefix(r.Err.Verifier, "Unreleased reference id=") {
		t.Errorf("%+v", r.Err)
	}
	// Writing past the reservation.
	r = runSrc(t, w, sim.ProgSocketFilter, "r1 = map[events]\nr2 = 8\nr3 = 0\ncall bpf_ringbuf_reserve\nif r0 == 0 goto out\n*(u64 *)(r0 + 8) = 1\nr1 = r0\nr2 = 0\ncall bpf_ringbuf_discard\nout:\nr0 = 0\nexit", Options{})
	if r.Err == nil || r.Err.Verifier != "invalid access to memory, mem_size=8 off=8 size=8" {
		t.Errorf("%+v", r.Err)
	}
}

func TestSpinLock(t *testing.T) {
	w := newWorld()
	mkMap(t, w, sim.MapAttr{Name: "flows", Type: sim.MapArray, KeySize: 4, ValueSize: 16, MaxEntries: 1, SpinLock: true, SpinLockOff: 0})
	good := lookupPrelude + `
if r0 == 0 goto out
r6 = r0
r1 = r0
call bpf_spin_lock
r1 = *(u64 *)(r6 + 8)
r1 += 1
*(u64 *)(r6 + 8) = r1
r1 = r6
call bpf_spin_unlock
r0 = *(u64 *)(r6 + 8)
out:
exit`
	r := runSrc(t, w, sim.ProgSocketFilter, good, Options{Repeat: 2})
	if r.Err != nil || r.R0 != 2 {
		t.Fatalf("%+v", r)
	}
	missing := strings.Replace(good, "r1 = r6\ncall bpf_spin_unlock\n", "", 1)
	r = runSrc(t, w, sim.ProgSocketFilter, missing, Options{})
	if r.Err == nil || r.Err.Verifier != "BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region" {
		t.Errorf("%+v", r.Err)
	}
	direct := lookupPrelude + "if r0 == 0 goto out\nr0 = *(u32 *)(r0 + 0)\nout:\nexit"
	r = runSrc(t, w, sim.ProgSocketFilter, direct, Options{})
	if r.Err == nil || r.Err.Verifier != "bpf_spin_lock cannot be accessed directly by load/store" {
		t.Errorf("%+v", r.Err)
	}
}

func TestStepStateEvents(t *testing.T) {
	w := newWorld()
	mkMap(t, w, sim.MapAttr{Name: "flows", Type: sim.MapArray, KeySize: 4, ValueSize: 8, MaxEntries: 4})
	p := load(t, w, "p", sim.ProgSocketFilter, lookupPrelude+"if r0 == 0 goto out\nr0 += 4\nout:\nexit")
	var evs []sim.Event
	w.SetSink(func(e sim.Event) { evs = append(evs, e) })
	m := NewMachine(w, p, Options{})
	steps := 0
	var sawLabel bool
	for !m.Step() {
		steps++
		st := m.State()
		if st.Regs[0].Label == "map value of flows +4" {
			sawLabel = true
		}
		if steps > 100 {
			t.Fatal("no end")
		}
	}
	if !sawLabel {
		t.Error("R0 never labelled 'map value of flows +4'")
	}
	kinds := map[string]int{}
	for _, e := range evs {
		kinds[e.Kind()]++
		if _, err := sim.MarshalEvent(e); err != nil {
			t.Fatal(err)
		}
	}
	if kinds["vm.insn"] != 8 || kinds["vm.helper.call"] != 1 || kinds["vm.helper.ret"] != 1 || kinds["vm.mem"] != 1 || kinds["vm.exit"] != 1 || kinds["vm.reg"] == 0 {
		t.Errorf("events %v", kinds)
	}
	// Determinism: a replay on a clone of the same World gives the same
	// events.
	w2 := newWorld()
	mkMap(t, w2, sim.MapAttr{Name: "flows", Type: sim.MapArray, KeySize: 4, ValueSize: 8, MaxEntries: 4})
	p2 := load(t, w2, "p", sim.ProgSocketFilter, lookupPrelude+"if r0 == 0 goto out\nr0 += 4\nout:\nexit")
	var evs2 []sim.Event
	c := w2.Clone()
	c.SetSink(func(e sim.Event) { evs2 = append(evs2, e) })
	Run(c, p2, Options{})
	if len(evs2) != len(evs) {
		t.Fatalf("%d events, then %d", len(evs), len(evs2))
	}
	for i := range evs {
		if evs[i].String() != evs2[i].String() {
			t.Errorf("event %d: %q vs %q", i, evs[i], evs2[i])
		}
	}
}

func TestMapInMap(t *testing.T) {
	w := newWorld()
	inner := mkMap(t, w, sim.MapAttr{Name: "inner", Type: sim.MapArray, KeySize: 4, ValueSize: 8, MaxEntries: 1})
	mkMap(t, w, sim.MapAttr{Name: "outer", Type: sim.MapArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 2, InnerMapFD: inner.FD})
	outer := w.Maps()[1]
	if e := outer.Update(key(0), binary.LittleEndian.AppendUint32(nil, uint32(inner.FD)), 0); e != sim.OK {
		t.Fatal(e)
	}
	src := `
*(u32 *)(r10 - 4) = IDX
r2 = r10
r2 += -4
r1 = map[outer]
call bpf_map_lookup_elem
if r0 == 0 goto none
r1 = r0
*(u32 *)(r10 - 8) = 0
r2 = r10
r2 += -8
call bpf_map_lookup_elem
if r0 == 0 goto none
r1 = 5
*(u64 *)(r0 + 0) = r1
r0 = 1
exit
none:
r0 = 0
exit`
	if r := runSrc(t, w, sim.ProgSocketFilter, strings.Replace(src, "IDX", "0", 1), Options{}); r.Err != nil || r.R0 != 1 {
		t.Fatalf("%+v", r)
	}
	v, _ := inner.Lookup(key(0), 0)
	if v[0] != 5 {
		t.Errorf("inner value %d, want 5", v[0])
	}
	if r := runSrc(t, w, sim.ProgSocketFilter, strings.Replace(src, "IDX", "1", 1), Options{}); r.Err != nil || r.R0 != 0 {
		t.Fatalf("empty slot: %+v", r)
	}
	bad := strings.Replace(strings.Replace(src, "IDX", "0", 1), "if r0 == 0 goto none\nr1 = r0", "r1 = r0", 1)
	if r := runSrc(t, w, sim.ProgSocketFilter, bad, Options{}); r.Err == nil || !strings.HasPrefix(r.Err.Verifier, "R1 type=map_value_or_null expected=map_ptr") {
		t.Fatalf("unchecked inner map: %+v", r.Err)
	}
}

func TestLookupPercpu(t *testing.T) {
	w := sim.NewWorld(sim.Config{PossibleCPUs: 2})
	pa := mkMap(t, w, sim.MapAttr{Name: "pa", Type: sim.MapPercpuArray, KeySize: 4, ValueSize: 8, MaxEntries: 1})
	// The syscall buffer holds every CPU's copy: 100 on CPU 0, 101 on CPU 1.
	buf := binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, 100), 101)
	if e := pa.Update(key(0), buf, 0); e != sim.OK {
		t.Fatal(e)
	}
	src := "*(u32 *)(r10 - 4) = 0\nr2 = r10\nr2 += -4\nr1 = map[pa]\nr3 = CPU\ncall bpf_map_lookup_percpu_elem\nif r0 == 0 goto +2\nr0 = *(u64 *)(r0 + 0)\nexit\nr0 = 7\nexit"
	for cpu, want := range map[string]uint64{"0": 100, "1": 101, "2": 7} {
		r := runSrc(t, w, sim.ProgSocketFilter, strings.Replace(src, "CPU", cpu, 1), Options{})
		if r.Err != nil || r.R0 != want {
			t.Errorf("cpu %s: %+v, want %d", cpu, r, want)
		}
	}
}
