package vm

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/bpfplay/bpfplay/sim"
)

// Helper function ids (enum bpf_func_id, UAPI).
const (
	helperMapLookup       = 1
	helperMapUpdate       = 2
	helperMapDelete       = 3
	helperKtimeGetNs      = 5
	helperTracePrintk     = 6
	helperPrandom         = 7
	helperSmpProcessorID  = 8
	helperTailCall        = 12
	helperPidTgid         = 14
	helperComm            = 16
	helperMapPush         = 87
	helperMapPop          = 88
	helperMapPeek         = 89
	helperSpinLock        = 93
	helperSpinUnlock      = 94
	helperRingbufOutput   = 130
	helperRingbufReserve  = 131
	helperRingbufSubmit   = 132
	helperRingbufDiscard  = 133
	helperRingbufQuery    = 134
	helperForEachMapElem  = 164
	helperLoop            = 181
	helperLookupPercpuElm = 195
)

type helperInfo struct {
	name  string
	nargs int
}

// helperTab is every simulated helper, indexed by id. An array literal is
// static data (a map literal would be built by code at start-up) and the
// hot path indexes it directly.
var helperTab = [256]helperInfo{
	helperMapLookup:       {"map_lookup_elem", 2},
	helperMapUpdate:       {"map_update_elem", 4},
	helperMapDelete:       {"map_delete_elem", 2},
	helperKtimeGetNs:      {"ktime_get_ns", 0},
	helperTracePrintk:     {"trace_printk", 2},
	helperPrandom:         {"get_prandom_u32", 0},
	helperSmpProcessorID:  {"get_smp_processor_id", 0},
	helperTailCall:        {"tail_call", 3},
	helperPidTgid:         {"get_current_pid_tgid", 0},
	helperComm:            {"get_current_comm", 2},
	helperMapPush:         {"map_push_elem", 3},
	helperMapPop:          {"map_pop_elem", 2},
	helperMapPeek:         {"map_peek_elem", 2},
	helperSpinLock:        {"spin_lock", 1},
	helperSpinUnlock:      {"spin_unlock", 1},
	helperRingbufOutput:   {"ringbuf_output", 4},
	helperRingbufReserve:  {"ringbuf_reserve", 3},
	helperRingbufSubmit:   {"ringbuf_submit", 2},
	helperRingbufDiscard:  {"ringbuf_discard", 2},
	helperRingbufQuery:    {"ringbuf_query", 2},
	helperForEachMapElem:  {"for_each_map_elem", 4},
	helperLoop:            {"loop", 4},
	helperLookupPercpuElm: {"map_lookup_percpu_elem", 3},
}

func helperName(id int64) (string, bool) {
	if id < 0 || id >= int64(len(helperTab)) || helperTab[id].name == "" {
		return "", false
	}
	return helperTab[id].name, true
}

// Optional program-side operations of map families, found by interface
// assertion so that this package builds whichever families exist.
type (
	progPusher interface {
		ProgPush(value []byte, flags uint64) sim.Errno
	}
	progPopper interface {
		ProgPop() ([]byte, sim.Errno)
	}
	progPeeker interface {
		ProgPeek() ([]byte, sim.Errno)
	}
	percpuLooker interface {
		ProgLookupPercpu(key []byte, cpu int) ([]byte, sim.Errno)
	}
)

func neg(e sim.Errno) uint64 { return uint64(e.Neg()) }

// helper runs a helper call at pc. On return m.pc is the next instruction
// (or the target of a tail call / the first instruction of a callback).
func (m *Machine) helper(in *insn, pc int) bool {
	id := in.aux
	info := helperTab[uint8(id)]
	if m.lockIdx != 0 && id != helperSpinUnlock {
		return m.fail(pc, "function calls are not allowed while holding a lock", "Only bpf_spin_unlock may be called while a bpf_spin_lock is held.")
	}
	for r := 1; r <= info.nargs; r++ {
		if uint8(m.prov[r]) == kUninit {
			return m.notInit(pc, uint8(r))
		}
	}
	if id == helperTracePrintk {
		// trace_printk's data arguments are optional.
	}
	if m.w.Emitting() {
		args := make([]uint64, info.nargs)
		copy(args, m.regs[1:1+info.nargs])
		m.w.Emit(HelperCallEvent{Prog: m.prog.name, PC: pc, ID: id, Name: "bpf_" + info.name, Args: args})
	}
	m.pc = pc + 1
	r0, p, note, ok := m.callHelper(id, info, pc)
	if !ok {
		return false
	}
	if p == provUninit {
		// A helper that changed control flow (tail call, callback) set
		// the registers itself.
		return true
	}
	for r := 1; r <= 5; r++ {
		m.prov[r] = 0
	}
	m.regs[0], m.prov[0] = r0, p
	if m.w.Emitting() {
		m.w.Emit(HelperRetEvent{Prog: m.prog.name, PC: pc, ID: id, Name: "bpf_" + info.name, R0: int64(r0), Note: note})
	}
	return true
}

func (m *Machine) argMap(r uint8, pc int, fn string, id int32) (*sim.Map, bool) {
	p := m.prov[r]
	if uint8(p) != kMapPtr {
		return nil, m.fail(pc, fmt.Sprintf("R%d type=%s expected=map_ptr", r, kindNames[uint8(p)]), fmt.Sprintf("Argument %d of bpf_%s is a map: load it with ld_imm64 (r%d = map[name]).", r, fn, r))
	}
	return m.regions[p>>8].m, true
}

func (m *Machine) badMapType(pc int, mp *sim.Map, fn string, id int32) bool {
	return m.fail(pc, fmt.Sprintf("cannot pass map_type %d into func bpf_%s#%d", uint32(mp.Type), fn, id),
		fmt.Sprintf("bpf_%s does not work on a %s map (%s).", fn, mp.Type, mp.Name))
}

// argMem resolves a helper memory argument of size bytes.
func (m *Machine) argMem(r uint8, size int, write bool, pc int) []byte {
	p := m.prov[r]
	k := uint8(p)
	if size < 0 || size > 1<<30 {
		m.fail(pc, fmt.Sprintf("R%d min value is negative, either use unsigned or 'var &= const'", r+1), "A memory size argument must be between 0 and the size of the memory it describes.")
		return nil
	}
	switch k {
	case kStack, kMapValue, kPkt, kRingMem, kMapKey:
	default:
		m.fail(pc, fmt.Sprintf("R%d type=%s expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_", r, kindNames[k]),
			fmt.Sprintf("The helper reads or writes memory through R%d, which holds a %s, not a pointer to memory.", r, kindNames[k]))
		return nil
	}
	rg := &m.regions[p>>8]
	if k == kPkt {
		rg = &m.regions[regPkt]
	}
	o := int64(m.regs[r] - rg.base)
	if size == 0 {
		return []byte{}
	}
	switch k {
	case kStack:
		if o < 0 || o > 1<<40 || o+int64(size) > stackSize {
			m.fail(pc, fmt.Sprintf("invalid indirect access to stack R%d off=%d size=%d", r, o-stackSize, size),
				fmt.Sprintf("The helper would touch %d bytes at fp%+d, outside the 512-byte stack.", size, o-stackSize))
			return nil
		}
		if !m.stackDepth(rg.frame, int(stackSize-o), pc) {
			return nil
		}
		if write {
			for i := o >> 3; i <= (o+int64(size)-1)>>3; i++ {
				m.spill[rg.frame][i] = 0
			}
		}
		return rg.buf[o : o+int64(size)]
	case kMapValue:
		if o < 0 || o > 1<<40 || o+int64(size) > int64(len(rg.buf)) {
			m.fail(pc, fmt.Sprintf("invalid access to map value, value_size=%d off=%d size=%d", len(rg.buf), o, size),
				fmt.Sprintf("The helper would touch %d bytes at offset %d of a %d-byte value of %s.", size, o, len(rg.buf), rg.name))
			return nil
		}
		if write && rg.m != nil && rg.m.Flags&sim.FlagRdonlyProg != 0 {
			m.fail(pc, fmt.Sprintf("write into map forbidden, value_size=%d off=%d size=%d", len(rg.buf), o, size), "The map is read-only for programs.")
			return nil
		}
	case kPkt:
		if o < 0 || o > 1<<40 || o+int64(size) > int64(m.pktRange) || o+int64(size) > int64(len(rg.buf)) {
			m.fail(pc, fmt.Sprintf("invalid access to packet, off=%d size=%d, R%d(id=0,off=%d,r=%d)", o, size, r, o, m.pktRange),
				"The helper would touch packet bytes not proven to exist by a comparison with data_end.")
			return nil
		}
	case kRingMem:
		if !rg.live {
			m.fail(pc, fmt.Sprintf("R%d invalid mem access 'scalar'", r), "The ring buffer record was already released.")
			return nil
		}
		if o < 0 || o > 1<<40 || o+int64(size) > int64(len(rg.buf)) {
			m.fail(pc, fmt.Sprintf("invalid access to memory, mem_size=%d off=%d size=%d", len(rg.buf), o, size), "The helper would run past the reserved record.")
			return nil
		}
	case kMapKey:
		if write || o < 0 || o > 1<<40 || o+int64(size) > int64(len(rg.buf)) {
			m.fail(pc, fmt.Sprintf("invalid access to map key, key_size=%d off=%d size=%d", len(rg.buf), o, size), "The key of a for_each callback is read-only and key_size bytes long.")
			return nil
		}
	}
	return rg.buf[o : o+int64(size)]
}

// callHelper implements the helpers. It returns R0 and its provenance;
// provenance kUninit means the helper set up the machine itself.
func (m *Machine) callHelper(id int32, info helperInfo, pc int) (uint64, uint32, string, bool) {
	regs := &m.regs
	fn := info.name
	switch id {
	case helperMapLookup:
		mp, ok := m.argMap(1, pc, fn, id)
		if !ok {
			return 0, 0, "", false
		}
		switch mp.Type {
		case sim.MapProgArray, sim.MapRingbuf, sim.MapUserRingbuf, sim.MapPerfEventArray, sim.MapStackTrace, sim.MapCgroupArray,
			sim.MapQueue, sim.MapStack, sim.MapBloomFilter:
			// The verifier allows only tail calls, ringbuf or push/pop/peek
			// helpers on these (check_map_func_compatibility).
			return 0, 0, "", m.badMapType(pc, mp, fn, id)
		}
		key := m.argMem(2, int(mp.KeySize), false, pc)
		if key == nil {
			return 0, 0, "", false
		}
		if mp.Type == sim.MapArrayOfMaps || mp.Type == sim.MapHashOfMaps {
			return m.lookupInner(mp, key, pc)
		}
		val, e := mp.ProgLookup(key)
		idx := int32(0)
		if e == sim.OK && val != nil {
			if idx = m.valueRegionFor(mp, val); idx == 0 {
				return 0, 0, "", false
			}
			return m.regions[idx].base, mkProv(kMapValueOrNull, idx), "found: a pointer to the live value", true
		}
		// NULL: remember the map for the label with a value-less region.
		idx = m.nullRegion(mp)
		if idx == 0 {
			return 0, 0, "", false
		}
		return 0, mkProv(kMapValueOrNull, idx), "not found: NULL", true

	case helperMapUpdate, helperMapDelete:
		mp, ok := m.argMap(1, pc, fn, id)
		if !ok {
			return 0, 0, "", false
		}
		switch mp.Type {
		case sim.MapProgArray, sim.MapRingbuf, sim.MapUserRingbuf, sim.MapPerfEventArray, sim.MapStackTrace, sim.MapCgroupArray, sim.MapArrayOfMaps, sim.MapHashOfMaps,
			sim.MapQueue, sim.MapStack, sim.MapBloomFilter:
			return 0, 0, "", m.badMapType(pc, mp, fn, id)
		}
		key := m.argMem(2, int(mp.KeySize), false, pc)
		if key == nil {
			return 0, 0, "", false
		}
		key = append([]byte(nil), key...)
		if id == helperMapDelete {
			e := mp.ProgDelete(key)
			return neg(e), provScalar, e.String(), true
		}
		val := m.argMem(3, int(mp.ValueSize), false, pc)
		if val == nil {
			return 0, 0, "", false
		}
		e := mp.ProgUpdate(key, append([]byte(nil), val...), regs[4])
		return neg(e), provScalar, e.String(), true

	case helperKtimeGetNs:
		return m.w.Now(), provScalar, "", true
	case helperPrandom:
		return uint64(uint32(m.w.Random())), provScalar, "", true
	case helperSmpProcessorID:
		return uint64(m.w.CPU()), provScalar, "", true
	case helperPidTgid:
		return uint64(m.opt.TGID)<<32 | uint64(m.opt.PID), provScalar, "", true
	case helperComm:
		size := int(int32(regs[2]))
		if size <= 0 {
			return 0, 0, "", m.fail(pc, "R2 invalid zero-sized read", "bpf_get_current_comm needs a buffer size above 0.")
		}
		buf := m.argMem(1, size, true, pc)
		if buf == nil {
			return 0, 0, "", false
		}
		comm := m.opt.Comm
		if len(comm) > 15 {
			comm = comm[:15] // TASK_COMM_LEN 16 with the NUL
		}
		for i := range buf {
			buf[i] = 0
		}
		n := copy(buf[:size-1], comm)
		_ = n
		if m.emitInsn {
			m.emitMem(pc, 1, 0, buf)
		}
		return 0, provScalar, "", true

	case helperTracePrintk:
		return m.tracePrintk(pc)

	case helperTailCall:
		return m.tailCall(pc)

	case helperMapPush, helperMapPop, helperMapPeek:
		mp, ok := m.argMap(1, pc, fn, id)
		if !ok {
			return 0, 0, "", false
		}
		okType := mp.Type == sim.MapQueue || mp.Type == sim.MapStack || mp.Type == sim.MapBloomFilter && id != helperMapPop
		if !okType {
			return 0, 0, "", m.badMapType(pc, mp, fn, id)
		}
		val := m.argMem(2, int(mp.ValueSize), id != helperMapPush, pc)
		if val == nil {
			return 0, 0, "", false
		}
		var ops any = mp
		switch id {
		case helperMapPush:
			pu, ok := ops.(progPusher)
			if !ok {
				return 0, 0, "", m.fail(pc, "bpf_map_push_elem is not simulated yet", "The queue/stack family of the simulator is missing.")
			}
			e := pu.ProgPush(append([]byte(nil), val...), regs[3])
			return neg(e), provScalar, e.String(), true
		default:
			var out []byte
			var e sim.Errno
			if id == helperMapPop {
				po, ok := ops.(progPopper)
				if !ok {
					return 0, 0, "", m.fail(pc, "bpf_map_pop_elem is not simulated yet", "The queue/stack family of the simulator is missing.")
				}
				out, e = po.ProgPop()
			} else {
				pe, ok := ops.(progPeeker)
				if !ok {
					return 0, 0, "", m.fail(pc, "bpf_map_peek_elem is not simulated yet", "The queue/stack family of the simulator is missing.")
				}
				out, e = pe.ProgPeek()
			}
			// The helper zero-fills its buffer when there is nothing.
			for i := range val {
				val[i] = 0
			}
			if e == sim.OK {
				copy(val, out)
			}
			if m.emitInsn {
				m.emitMem(pc, 2, 0, val)
			}
			return neg(e), provScalar, e.String(), true
		}

	case helperLookupPercpuElm:
		mp, ok := m.argMap(1, pc, fn, id)
		if !ok {
			return 0, 0, "", false
		}
		switch mp.Type {
		case sim.MapPercpuHash, sim.MapPercpuArray, sim.MapLRUPercpuHash:
		default:
			return 0, 0, "", m.badMapType(pc, mp, fn, id)
		}
		key := m.argMem(2, int(mp.KeySize), false, pc)
		if key == nil {
			return 0, 0, "", false
		}
		cpu := regs[3]
		nul := m.nullRegion(mp)
		if nul == 0 {
			return 0, 0, "", false
		}
		if cpu >= uint64(m.w.PossibleCPUs()) {
			return 0, mkProv(kMapValueOrNull, nul), fmt.Sprintf("cpu %d >= nr_cpu_ids: NULL", cpu), true
		}
		var ops any = mp
		pl, ok := ops.(percpuLooker)
		if !ok {
			return 0, 0, "", m.fail(pc, "bpf_map_lookup_percpu_elem is not simulated yet", "The per-CPU map family of the simulator is missing.")
		}
		val, e := pl.ProgLookupPercpu(append([]byte(nil), key...), int(cpu))
		if e != sim.OK || val == nil {
			return 0, mkProv(kMapValueOrNull, nul), "not found: NULL", true
		}
		idx := m.valueRegionFor(mp, val)
		if idx == 0 {
			return 0, 0, "", false
		}
		return m.regions[idx].base, mkProv(kMapValueOrNull, idx), fmt.Sprintf("CPU %d's value", cpu), true

	case helperSpinLock, helperSpinUnlock:
		return m.spinLock(id, pc)

	case helperRingbufOutput, helperRingbufReserve, helperRingbufSubmit, helperRingbufDiscard, helperRingbufQuery:
		return m.ringbuf(id, fn, pc)

	case helperLoop:
		return m.loopHelper(pc)
	case helperForEachMapElem:
		return m.forEach(pc, fn, id)
	}
	return 0, 0, "", m.fail(pc, fmt.Sprintf("invalid func unknown#%d", id), "The helper is not simulated.")
}

// lookupInner is bpf_map_lookup_elem on a map-in-map: the inner map (a
// map pointer once NULL-checked), or NULL.
func (m *Machine) lookupInner(mp *sim.Map, key []byte, pc int) (uint64, uint32, string, bool) {
	inner, e := mp.ProgLookupInner(append([]byte(nil), key...))
	if e != sim.OK || inner == nil {
		idx := m.nullRegion(mp)
		if idx == 0 {
			return 0, 0, "", false
		}
		m.regions[idx].kind = kMapValueOrNull
		return 0, mkProv(kMapPtrOrNull, idx), "no inner map: NULL", true
	}
	idx := int32(0)
	for i := regFirst; i < len(m.regions); i++ {
		if rg := &m.regions[i]; rg.kind == kMapPtr && rg.m == inner {
			idx = int32(i)
			break
		}
	}
	if idx == 0 {
		if idx = m.newRegion(region{kind: kMapPtr, m: inner, name: inner.Name}); idx == 0 {
			return 0, 0, "", false
		}
	}
	return m.regions[idx].base, mkProv(kMapPtrOrNull, idx), "inner map " + inner.Name, true
}

// nullRegion is a region that only names a map, for NULL results.
func (m *Machine) nullRegion(mp *sim.Map) int32 {
	for i := len(m.regions) - 1; i >= regFirst && i >= len(m.regions)-8; i-- {
		if rg := &m.regions[i]; rg.kind == kMapValueOrNull && rg.m == mp {
			return int32(i)
		}
	}
	return m.newRegion(region{kind: kMapValueOrNull, m: mp, name: mp.Name})
}

func (m *Machine) tracePrintk(pc int) (uint64, uint32, string, bool) {
	size := int(int32(m.regs[2]))
	if size <= 0 {
		return 0, 0, "", m.fail(pc, "R2 invalid zero-sized read", "bpf_trace_printk needs the size of its format string.")
	}
	f := m.argMem(1, size, false, pc)
	if f == nil {
		return 0, 0, "", false
	}
	nul := bytes.IndexByte(f, 0)
	if nul < 0 {
		return neg(sim.EINVAL), provScalar, "the format is not NUL-terminated", true
	}
	format := string(f[:nul])
	args := []int{3, 4, 5}
	var out strings.Builder
	used := 0
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' {
			out.WriteByte(c)
			continue
		}
		i++
		if i >= len(format) {
			return neg(sim.EINVAL), provScalar, "a lone % at the end of the format", true
		}
		if format[i] == '%' {
			out.WriteByte('%')
			continue
		}
		// length modifiers
		long := 0
		for i < len(format) && format[i] == 'l' && long < 2 {
			long++
			i++
		}
		if i >= len(format) {
			return neg(sim.EINVAL), provScalar, "an incomplete conversion", true
		}
		if used >= len(args) {
			return neg(sim.EINVAL), provScalar, "more than 3 conversions", true
		}
		r := args[used]
		used++
		if uint8(m.prov[r]) == kUninit {
			return 0, 0, "", m.notInit(pc, uint8(r))
		}
		v := m.regs[r]
		if long == 0 {
			switch format[i] {
			case 'd', 'i':
				v = uint64(int64(int32(v)))
			default:
				v = uint64(uint32(v))
			}
		}
		switch format[i] {
		case 'd', 'i':
			fmt.Fprintf(&out, "%d", int64(v))
		case 'u':
			fmt.Fprintf(&out, "%d", v)
		case 'x':
			fmt.Fprintf(&out, "%x", v)
		case 'X':
			fmt.Fprintf(&out, "%X", v)
		case 'c':
			out.WriteByte(byte(v))
		case 'p':
			fmt.Fprintf(&out, "%016x", m.regs[r])
		case 's':
			s := m.cString(uint8(r))
			out.WriteString(s)
		default:
			return neg(sim.EINVAL), provScalar, fmt.Sprintf("unsupported conversion %%%c", format[i]), true
		}
	}
	line := out.String()
	m.console = append(m.console, strings.TrimSuffix(line, "\n"))
	if m.w.Emitting() {
		m.w.Emit(PrintkEvent{Prog: m.prog.name, PC: pc, Text: strings.TrimSuffix(line, "\n")})
	}
	return uint64(len(line)), provScalar, "", true
}

// cString reads a NUL-terminated string through a pointer register, for %s.
func (m *Machine) cString(r uint8) string {
	p := m.prov[r]
	k := uint8(p)
	if k != kStack && k != kMapValue && k != kRingMem && k != kPkt {
		return "(fault)"
	}
	rg := &m.regions[p>>8]
	if k == kPkt {
		rg = &m.regions[regPkt]
	}
	o := int64(m.regs[r] - rg.base)
	if o < 0 || o >= int64(len(rg.buf)) {
		return "(fault)"
	}
	b := rg.buf[o:]
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

func (m *Machine) tailCall(pc int) (uint64, uint32, string, bool) {
	if uint8(m.prov[1]) != kCtx {
		return 0, 0, "", m.fail(pc, fmt.Sprintf("R1 type=%s expected=ctx", kindNames[uint8(m.prov[1])]), "bpf_tail_call passes the context on: R1 must hold ctx.")
	}
	mp, ok := m.argMap(2, pc, "tail_call", helperTailCall)
	if !ok {
		return 0, 0, "", false
	}
	pa := mp.ProgArray()
	if pa == nil {
		return 0, 0, "", m.badMapType(pc, mp, "tail_call", helperTailCall)
	}
	index := uint32(m.regs[3])
	ev := TailCallEvent{Prog: m.prog.name, PC: pc, Map: mp.Name, Index: index}
	fallThrough := func(reason string) (uint64, uint32, string, bool) {
		ev.Reason, ev.Count = reason, m.tailCalls
		if m.w.Emitting() {
			m.w.Emit(ev)
		}
		// R0 is unknown after a failed tail call; the simulator leaves 0.
		return 0, provScalar, "tail call failed: " + reason + "; execution continues after the call", true
	}
	if index >= mp.MaxEntries {
		return fallThrough(fmt.Sprintf("index %d >= max_entries %d", index, mp.MaxEntries))
	}
	legacy := m.w.Knobs().TailCallCountFailed
	if m.tailCalls >= MaxTailCalls {
		return fallThrough(fmt.Sprintf("tail_call_cnt reached MAX_TAIL_CALL_CNT (%d)", MaxTailCalls))
	}
	if legacy {
		m.tailCalls++
	}
	slot := pa.Slot(index)
	target, isVM := slot.(*Program)
	if slot == nil || !isVM {
		reason := fmt.Sprintf("slot %d of %s is empty", index, mp.Name)
		if slot != nil {
			reason = fmt.Sprintf("slot %d holds %s, which the VM cannot run", index, slot.ProgName())
		}
		if legacy {
			reason += " (counted, as older interpreters did)"
		}
		return fallThrough(reason)
	}
	if !legacy {
		m.tailCalls++
	}
	ev.Taken, ev.Target, ev.Count = true, target.name, m.tailCalls
	if m.w.Emitting() {
		m.w.Emit(ev)
	}
	// Same frame and stack; only ctx (R1) and the frame pointer survive.
	m.prog = target
	m.code = target.code
	m.resetMapRegions()
	for r := 0; r <= 9; r++ {
		if r != 1 {
			m.prov[r] = 0
		}
	}
	m.spill[0] = [stackSize / 8]uint32{}
	m.frames[0].depth = 0
	m.pc = 0
	return 0, provUninit, "", true
}

func (m *Machine) spinLock(id int32, pc int) (uint64, uint32, string, bool) {
	p := m.prov[1]
	if uint8(p) != kMapValue {
		return 0, 0, "", m.fail(pc, fmt.Sprintf("R1 type=%s expected=map_value", kindNames[uint8(p)]), "bpf_spin_lock takes a pointer to the lock inside a map value.")
	}
	idx := int32(p >> 8)
	rg := &m.regions[idx]
	if rg.m == nil || !rg.m.SpinLock {
		return 0, 0, "", m.fail(pc, fmt.Sprintf("map '%s' has no valid bpf_spin_lock", rg.name), "The map's value has no struct bpf_spin_lock.")
	}
	off := int(m.regs[1] - rg.base)
	if off != int(rg.m.SpinLockOff) {
		return 0, 0, "", m.fail(pc, fmt.Sprintf("off %d doesn't point to 'struct bpf_spin_lock' that is at %d", off, rg.m.SpinLockOff), "Pass the address of the lock field itself.")
	}
	lock := rg.buf[off : off+4]
	if id == helperSpinLock {
		if m.lockIdx != 0 {
			return 0, 0, "", m.fail(pc, "Locking two bpf_spin_locks are not allowed", "A program holds at most one bpf_spin_lock at a time.")
		}
		m.lockIdx, m.lockOff = idx, off
		storeN(lock, 1)
		return 0, provScalar, "locked", true
	}
	if m.lockIdx == 0 {
		return 0, 0, "", m.fail(pc, "bpf_spin_unlock without taking a lock", "Call bpf_spin_lock first.")
	}
	if m.lockIdx != idx || m.lockOff != off {
		return 0, 0, "", m.fail(pc, "bpf_spin_unlock of different lock", "Unlock the lock that was taken.")
	}
	m.lockIdx = 0
	storeN(lock, 0)
	return 0, provScalar, "unlocked", true
}

func (m *Machine) ringbuf(id int32, fn string, pc int) (uint64, uint32, string, bool) {
	switch id {
	case helperRingbufSubmit, helperRingbufDiscard:
		p := m.prov[1]
		if uint8(p) != kRingMem {
			return 0, 0, "", m.fail(pc, fmt.Sprintf("R1 type=%s expected=ringbuf_mem", kindNames[uint8(p)]), "Submit or discard the pointer that bpf_ringbuf_reserve returned, after checking it for NULL.")
		}
		idx := int32(p >> 8)
		rg := &m.regions[idx]
		if off := int64(m.regs[1] - rg.base); off != 0 {
			return 0, 0, "", m.fail(pc, fmt.Sprintf("R1 must have zero offset when passed to release func or trusted arg to kfunc"), "Pass the record pointer itself, not a pointer into it.")
		}
		if !rg.live {
			return 0, 0, "", m.fail(pc, "R1 must be referenced when passed to release function", "This record was already submitted or discarded.")
		}
		var e sim.Errno
		if id == helperRingbufSubmit {
			e = rg.m.RingSubmit(rg.res, rg.buf)
		} else {
			e = rg.m.RingDiscard(rg.res)
		}
		rg.live = false
		m.resvOpen--
		// Every copy of the pointer becomes an unknown scalar.
		for r := range m.prov {
			if m.prov[r] == p {
				m.prov[r] = provScalar
			}
		}
		for f := 0; f <= m.fi; f++ {
			for i, sp := range m.spill[f] {
				if sp == p {
					m.spill[f][i] = 0
				}
			}
		}
		_ = e
		return 0, provScalar, "", true
	}
	mp, ok := m.argMap(1, pc, fn, id)
	if !ok {
		return 0, 0, "", false
	}
	if mp.Type != sim.MapRingbuf {
		return 0, 0, "", m.badMapType(pc, mp, fn, id)
	}
	switch id {
	case helperRingbufQuery:
		return mp.RingQuery(m.regs[2]), provScalar, "", true
	case helperRingbufOutput:
		data := m.argMem(2, int(int64(m.regs[3])), false, pc)
		if data == nil {
			return 0, 0, "", false
		}
		e := mp.RingOutput(append([]byte(nil), data...), m.regs[4])
		return neg(e), provScalar, e.String(), true
	}
	// reserve
	res, e := mp.RingReserve(m.regs[2], m.regs[3])
	nul := int32(0)
	if e != sim.OK {
		for i := len(m.regions) - 1; i >= regFirst && i >= len(m.regions)-8; i-- {
			if rg := &m.regions[i]; rg.kind == kRingMemOrNull && rg.m == mp {
				nul = int32(i)
			}
		}
		if nul == 0 {
			if nul = m.newRegion(region{kind: kRingMemOrNull, m: mp, name: mp.Name}); nul == 0 {
				return 0, 0, "", false
			}
		}
		return 0, mkProv(kRingMemOrNull, nul), "NULL: " + e.String(), true
	}
	idx := m.newRegion(region{kind: kRingMem, buf: res.Payload, m: mp, name: mp.Name, res: res, live: true, allocPC: pc})
	if idx == 0 {
		return 0, 0, "", false
	}
	m.resvOpen++
	return m.regions[idx].base, mkProv(kRingMemOrNull, idx), fmt.Sprintf("record at position %d", res.Pos), true
}

func (m *Machine) argFunc(r uint8, pc int) (int, bool) {
	p := m.prov[r]
	if uint8(p) != kFunc {
		return 0, m.fail(pc, fmt.Sprintf("R%d type=%s expected=func", r, kindNames[uint8(p)]), "The callback argument is a function loaded with ld_imm64 (r2 = callback label).")
	}
	return m.regions[p>>8].tgt, true
}

func (m *Machine) loopHelper(pc int) (uint64, uint32, string, bool) {
	fnPC, ok := m.argFunc(2, pc)
	if !ok {
		return 0, 0, "", false
	}
	n, flags := m.regs[1], m.regs[4]
	if flags != 0 {
		return neg(sim.EINVAL), provScalar, "flags must be 0", true
	}
	if n > maxLoops {
		return neg(sim.E2BIG), provScalar, "nr_loops is above 1<<23", true
	}
	if n == 0 {
		return 0, provScalar, "no iterations", true
	}
	cb := &callback{helper: helperLoop, fn: fnPC, ctxVal: m.regs[3], ctxProv: m.prov[3], n: n}
	return 0, provUninit, "", m.enterCallback(cb, pc)
}

// enterCallback calls the callback for the current iteration.
func (m *Machine) enterCallback(cb *callback, pc int) bool {
	var args [5]uint64
	var provs [5]uint32
	switch cb.helper {
	case helperLoop:
		args[0], provs[0] = cb.i, provScalar
		args[1], provs[1] = cb.ctxVal, cb.ctxProv
	case helperForEachMapElem:
		key := cb.keys[cb.i]
		val, e := cb.m.ProgLookup(append([]byte(nil), key...))
		for e != sim.OK || val == nil {
			// The element went away: skip it.
			cb.i++
			if cb.i >= uint64(len(cb.keys)) {
				return m.callbackDone(cb, cb.count, pc)
			}
			key = cb.keys[cb.i]
			val, e = cb.m.ProgLookup(append([]byte(nil), key...))
		}
		krg := &m.regions[cb.keyReg]
		copy(krg.buf, key)
		vidx := m.valueRegionFor(cb.m, val)
		if vidx == 0 {
			return false
		}
		args[0], provs[0] = m.regs[1], cb.mapProv
		args[0] = m.regions[cb.mapProv>>8].base
		args[1], provs[1] = krg.base, mkProv(kMapKey, cb.keyReg)
		args[2], provs[2] = m.regions[vidx].base, mkProv(kMapValue, vidx)
		args[3], provs[3] = cb.ctxVal, cb.ctxProv
	}
	if !m.callLocal(cb.fn, pc, cb) {
		return false
	}
	for r := 1; r <= 5; r++ {
		m.regs[r], m.prov[r] = args[r-1], provs[r-1]
	}
	return true
}

// callbackReturned continues a loop/for_each after its callback returned.
func (m *Machine) callbackReturned(cb *callback, r0 uint64, callPC int) bool {
	cb.i++
	cb.count++
	var total uint64
	stop := r0 == 1
	if cb.helper == helperLoop {
		total = cb.i
		if !stop && cb.i < cb.n {
			return m.enterCallback(cb, callPC)
		}
	} else {
		total = cb.count
		if !stop && cb.i < uint64(len(cb.keys)) {
			return m.enterCallback(cb, callPC)
		}
	}
	return m.callbackDone(cb, total, callPC)
}

func (m *Machine) callbackDone(cb *callback, total uint64, callPC int) bool {
	for r := 1; r <= 5; r++ {
		m.prov[r] = 0
	}
	m.regs[0], m.prov[0] = total, provScalar
	m.pc = callPC + 1
	if m.w.Emitting() {
		name := "bpf_loop"
		if cb.helper == helperForEachMapElem {
			name = "bpf_for_each_map_elem"
		}
		m.w.Emit(HelperRetEvent{Prog: m.prog.name, PC: callPC, ID: cb.helper, Name: name, R0: int64(total)})
	}
	return true
}

func (m *Machine) forEach(pc int, fn string, id int32) (uint64, uint32, string, bool) {
	mp, ok := m.argMap(1, pc, fn, id)
	if !ok {
		return 0, 0, "", false
	}
	switch mp.Type {
	case sim.MapHash, sim.MapPercpuHash, sim.MapLRUHash, sim.MapLRUPercpuHash, sim.MapArray, sim.MapPercpuArray:
	default:
		return 0, 0, "", m.badMapType(pc, mp, fn, id)
	}
	fnPC, ok := m.argFunc(2, pc)
	if !ok {
		return 0, 0, "", false
	}
	if m.regs[4] != 0 {
		return neg(sim.EINVAL), provScalar, "flags must be 0", true
	}
	var keys [][]byte
	if mp.Type == sim.MapArray || mp.Type == sim.MapPercpuArray {
		for i := uint32(0); i < mp.MaxEntries; i++ {
			keys = append(keys, []byte{byte(i), byte(i >> 8), byte(i >> 16), byte(i >> 24)})
		}
	} else {
		var prev []byte
		for n := 0; n <= int(mp.MaxEntries); n++ {
			k, e := mp.GetNextKey(prev)
			if e != sim.OK {
				break
			}
			keys = append(keys, k)
			prev = k
		}
	}
	if len(keys) == 0 {
		return 0, provScalar, "the map is empty", true
	}
	keyReg := m.newRegion(region{kind: kMapKey, buf: make([]byte, mp.KeySize), m: mp, name: mp.Name})
	if keyReg == 0 {
		return 0, 0, "", false
	}
	cb := &callback{helper: helperForEachMapElem, fn: fnPC, ctxVal: m.regs[3], ctxProv: m.prov[3], m: mp, mapProv: m.prov[1], keys: keys, keyReg: keyReg}
	return 0, provUninit, "", m.enterCallback(cb, pc)
}
