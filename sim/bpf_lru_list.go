package sim

import "fmt"

// This file models the kernel's approximate LRU (kernel/bpf/bpf_lru_list.c)
// as LRU_HASH and LRU_PERCPU_HASH use it: kernel-semantics §5. It is written
// from the algorithm description, not from kernel text.
//
// Every node of the map belongs to exactly one list at any time:
//
//   - global lists (one set for the common LRU, one set per CPU with
//     BPF_F_NO_COMMON_LRU): ACTIVE, INACTIVE and FREE;
//   - per-CPU local lists (common LRU only): LOCAL_FREE and PENDING.
//
// Lists are doubly linked through int32 slot numbers. As in the kernel a
// node is added at the head (the newest end) and walks from the tail visit
// the oldest nodes first. "next" points toward the tail (older) and "prev"
// toward the head (newer), exactly like list_head, so the cursor fix-ups
// read the same as the algorithm.
//
// Slots 0..nsent-1 are list sentinels; slot nsent+e is the node of hash
// element e. Nodes are created lazily: a FREE list holds explicit nodes
// plus a count of nodes that were never used ("virgin"). Never-used nodes
// sit at the tail side of the free list, because everything pushed later is
// added at the head, so taking explicit nodes first and then minting a new
// one is the kernel's order. This keeps a 2^27-entry map cheap to create.

// LRUNodeType is the list a node is on (the kernel's bpf_lru_list_type).
type LRUNodeType uint8

const (
	LRUActive    LRUNodeType = iota // global ACTIVE
	LRUInactive                     // global INACTIVE
	LRUFree                         // global FREE
	LRULocalFree                    // per-CPU LOCAL_FREE (common LRU)
	LRUPending                      // per-CPU PENDING (common LRU)
)

var lruTypeNames = [...]string{"active", "inactive", "free", "local_free", "pending"}

func (t LRUNodeType) String() string {
	if int(t) < len(lruTypeNames) {
		return lruTypeNames[t]
	}
	return fmt.Sprintf("lru_type(%d)", int(t))
}

// The kernel's constants: the common LRU scans and refills in batches of up
// to 128 (LOCAL_FREE_TARGET, LOCAL_NR_SCANS); per-CPU lists use 4
// (PERCPU_FREE_TARGET, PERCPU_NR_SCANS).
const (
	lruLocalFreeTarget  = 128
	lruLocalNrScans     = 128
	lruPercpuFreeTarget = 4
	lruPercpuNrScans    = 4
)

// Eviction reasons carried by LRUEvictEvent.
const (
	LRUReasonRefill = "batch refill"  // shrink while refilling a CPU's local free list
	LRUReasonForced = "forced shrink" // every candidate had its ref bit: one node taken regardless
	LRUReasonSteal  = "steal"         // taken from a CPU's pending list when nothing was free
	LRUReasonPercpu = "percpu shrink" // BPF_F_NO_COMMON_LRU: shrink of this CPU's own list
)

// lruList is one set of global lists: the only one of a common LRU, or
// one CPU's with BPF_F_NO_COMMON_LRU.
type lruList struct {
	owner  int      // CPU that owns it, -1 for the common (global) list
	sent   [3]int32 // sentinels of ACTIVE, INACTIVE, FREE
	counts [2]int   // nodes on ACTIVE and INACTIVE
	cursor int32    // next_inactive_rotation: a node on INACTIVE or its sentinel
	virgin int      // never-used nodes at the tail of FREE
}

// lruLocal is one CPU's local lists of a common LRU.
type lruLocal struct {
	freeSent  int32
	pendSent  int32
	nextSteal int // the CPU to steal from first (next_steal)
}

// bpfLRU is the kernel's struct bpf_lru for one map.
type bpfLRU struct {
	h          *Hashtab
	percpu     bool // BPF_F_NO_COMMON_LRU: one lruList per CPU
	ncpu       int
	nrScans    int
	targetFree int // common LRU refill batch
	nsent      int32

	common lruList    // used when !percpu
	lists  []lruList  // used when percpu, indexed by CPU
	locals []lruLocal // used when !percpu, indexed by CPU

	// Per slot (sentinels first, then nodes).
	next, prev []int32
	typ        []LRUNodeType
	ref        []bool
	cpu        []int32

	why string // context of the current operation, for events
}

func newBPFLRU(h *Hashtab, percpu bool, ncpu int, nrElems uint32, fixedTarget bool) *bpfLRU {
	l := &bpfLRU{h: h, percpu: percpu, ncpu: ncpu}
	var nsent int32
	newSent := func() int32 {
		s := nsent
		nsent++
		l.next = append(l.next, s)
		l.prev = append(l.prev, s)
		l.typ = append(l.typ, 0)
		l.ref = append(l.ref, false)
		l.cpu = append(l.cpu, -1)
		return s
	}
	initList := func(L *lruList, owner int, nodes int) {
		L.owner = owner
		for t := range L.sent {
			L.sent[t] = newSent()
			l.typ[L.sent[t]] = LRUNodeType(t)
		}
		L.cursor = L.sent[LRUInactive]
		L.virgin = nodes
	}
	if percpu {
		l.nrScans = lruPercpuNrScans
		l.targetFree = lruPercpuFreeTarget
		l.lists = make([]lruList, ncpu)
		per := int(nrElems) / ncpu
		for c := range l.lists {
			initList(&l.lists[c], c, per)
		}
	} else {
		l.nrScans = lruLocalNrScans
		// target_free = clamp(nr_elems / possible_cpus / 2, 1, 128) since the
		// mid-2025 starvation fix; a fixed 128 before it.
		tf := int(nrElems) / ncpu / 2
		if tf < 1 {
			tf = 1
		}
		if tf > lruLocalFreeTarget || fixedTarget {
			tf = lruLocalFreeTarget
		}
		l.targetFree = tf
		initList(&l.common, -1, int(nrElems))
		l.locals = make([]lruLocal, ncpu)
		for c := range l.locals {
			l.locals[c].freeSent = newSent()
			l.typ[l.locals[c].freeSent] = LRULocalFree
			l.locals[c].pendSent = newSent()
			l.typ[l.locals[c].pendSent] = LRUPending
			l.locals[c].nextSteal = c
		}
	}
	l.nsent = nsent
	return l
}

func (l *bpfLRU) clone(h *Hashtab) *bpfLRU {
	c := *l
	c.h = h
	c.lists = append([]lruList(nil), l.lists...)
	c.locals = append([]lruLocal(nil), l.locals...)
	c.next = append([]int32(nil), l.next...)
	c.prev = append([]int32(nil), l.prev...)
	c.typ = append([]LRUNodeType(nil), l.typ...)
	c.ref = append([]bool(nil), l.ref...)
	c.cpu = append([]int32(nil), l.cpu...)
	return &c
}

// slot and elem convert between hash element indexes and list slots.
func (l *bpfLRU) slot(e int32) int32 { return e + l.nsent }
func (l *bpfLRU) elem(n int32) int32 { return n - l.nsent }

// listOf is the global list set a node's ACTIVE/INACTIVE/FREE moves use.
func (l *bpfLRU) listOf(n int32) *lruList {
	if l.percpu {
		return &l.lists[l.cpu[n]]
	}
	return &l.common
}

// --- raw list operations ---

func (l *bpfLRU) listDel(n int32) {
	p, nx := l.prev[n], l.next[n]
	l.next[p] = nx
	l.prev[nx] = p
	l.next[n], l.prev[n] = n, n
}

func (l *bpfLRU) listAddHead(n, sent int32) {
	first := l.next[sent]
	l.next[n] = first
	l.prev[n] = sent
	l.prev[first] = n
	l.next[sent] = n
}

func (l *bpfLRU) listMove(n, sent int32) {
	l.listDel(n)
	l.listAddHead(n, sent)
}

func (l *bpfLRU) empty(sent int32) bool { return l.next[sent] == sent }

// mint creates the node of a new hash element on list L's FREE list side:
// the lazy stand-in for a node that populate put there at create time.
func (l *bpfLRU) mint(L *lruList, freeType LRUNodeType) int32 {
	e := l.h.mintElem()
	n := l.slot(e)
	for int(n) >= len(l.next) {
		l.next = append(l.next, int32(len(l.next)))
		l.prev = append(l.prev, int32(len(l.prev)))
		l.typ = append(l.typ, freeType)
		l.ref = append(l.ref, false)
		l.cpu = append(l.cpu, int32(L.owner))
	}
	l.typ[n] = freeType
	l.cpu[n] = int32(L.owner)
	L.virgin--
	return n
}

// freeHead returns the first node of L's FREE list, minting a never-used
// one when only those are left, or -1 when the list is empty. The node
// stays on the list.
func (l *bpfLRU) freeHead(L *lruList) int32 {
	if !l.empty(L.sent[LRUFree]) {
		return l.next[L.sent[LRUFree]]
	}
	if L.virgin > 0 {
		n := l.mint(L, LRUFree)
		l.listAddHead(n, L.sent[LRUFree])
		return n
	}
	return -1
}

func (l *bpfLRU) freeLen(L *lruList) int {
	n := L.virgin
	for x := l.next[L.sent[LRUFree]]; x != L.sent[LRUFree]; x = l.next[x] {
		n++
	}
	return n
}

// --- the kernel's node moves (§5.2) ---

func countsIdx(t LRUNodeType) bool { return t == LRUActive || t == LRUInactive }

// move is __bpf_lru_node_move: between the global lists of L, clearing ref.
func (l *bpfLRU) move(L *lruList, n int32, t LRUNodeType) {
	from := l.typ[n]
	if from != t {
		if countsIdx(from) {
			L.counts[from]--
		}
		if countsIdx(t) {
			L.counts[t]++
		}
		l.typ[n] = t
	}
	l.ref[n] = false
	// The rotation cursor must not point at a node leaving INACTIVE (or
	// moving within it): step it to the newer neighbour.
	if n == L.cursor {
		L.cursor = l.prev[n]
	}
	l.listMove(n, L.sent[t])
	l.emitMove(L, n, from, t)
}

// moveIn is __bpf_lru_node_move_in: a pending node enters ACTIVE or INACTIVE.
func (l *bpfLRU) moveIn(L *lruList, n int32, t LRUNodeType) {
	from := l.typ[n]
	L.counts[t]++
	l.typ[n] = t
	l.ref[n] = false
	l.listMove(n, L.sent[t])
	l.emitMove(L, n, from, t)
}

// moveToFree is __bpf_lru_node_move_to_free: the ref bit is left alone; it
// is cleared when the node is handed out again.
func (l *bpfLRU) moveToFree(L *lruList, n int32, dest int32, t LRUNodeType) {
	from := l.typ[n]
	if n == L.cursor {
		L.cursor = l.prev[n]
	}
	if countsIdx(from) {
		L.counts[from]--
	}
	l.typ[n] = t
	l.listMove(n, dest)
	l.emitMove(L, n, from, t)
}

// setRef is bpf_lru_node_set_ref: set only if not already set.
func (l *bpfLRU) setRef(e int32, why string) {
	n := l.slot(e)
	if l.ref[n] {
		return
	}
	l.ref[n] = true
	if l.h.m.world.Emitting() {
		l.h.m.emit(LRURefEvent{Map: l.h.m.Name, Node: int(e), Key: htabHex(l.h.keyOf(e)), Why: why})
	}
}

// --- rotation (§5.3) ---

func (l *bpfLRU) rotate(L *lruList) {
	em := l.h.m.world.Emitting()
	var before [2]int
	var curBefore int32
	if em {
		before, curBefore = L.counts, L.cursor
	}
	saved := l.why
	l.why = "rotate"
	if L.counts[LRUInactive] < L.counts[LRUActive] {
		l.rotateActive(L)
	}
	l.rotateInactive(L)
	l.why = saved
	if em {
		l.h.m.emit(LRURotateEvent{Map: l.h.m.Name, CPU: L.owner,
			ActiveBefore: before[LRUActive], InactiveBefore: before[LRUInactive],
			Active: L.counts[LRUActive], Inactive: L.counts[LRUInactive],
			CursorBefore: l.cursorName(L, curBefore), Cursor: l.cursorName(L, L.cursor)})
	}
}

// rotateActive demotes unreferenced ACTIVE nodes from the tail, at most
// nr_scans of them, never passing the node that was the head when it began.
func (l *bpfLRU) rotateActive(L *lruList) {
	active := L.sent[LRUActive]
	if l.empty(active) {
		return
	}
	first := l.next[active]
	i := 0
	for n := l.prev[active]; n != active; {
		tmp := l.prev[n]
		if l.ref[n] {
			l.move(L, n, LRUActive)
		} else {
			l.move(L, n, LRUInactive)
		}
		i++
		if i == l.nrScans || n == first {
			break
		}
		n = tmp
	}
}

// rotateInactive promotes referenced INACTIVE nodes, scanning from the
// cursor toward the head and wrapping to the tail, so successive rotations
// go around the list. Unreferenced nodes stay where they are.
func (l *bpfLRU) rotateInactive(L *lruList) {
	inactive := L.sent[LRUInactive]
	if l.empty(inactive) {
		return
	}
	last := l.next[L.cursor]
	if last == inactive {
		last = l.next[last]
	}
	cur, nxt := L.cursor, inactive
	for i := 0; i < l.nrScans; {
		if cur == inactive {
			if l.empty(inactive) {
				break // cannot happen (last stops us first); never loop forever
			}
			cur = l.prev[cur]
			continue
		}
		nxt = l.prev[cur]
		if l.ref[cur] {
			l.move(L, cur, LRUActive)
		}
		if cur == last {
			break
		}
		cur = nxt
		i++
	}
	L.cursor = nxt
}

// --- shrink (§5.4) ---

// shrink frees up to want nodes from L's INACTIVE tail into dest, giving
// referenced nodes a second chance; when that frees nothing it takes one
// node regardless of ref bits. It returns the number freed.
func (l *bpfLRU) shrink(L *lruList, want int, dest int32, destType LRUNodeType, reason string) int {
	saved := l.why
	l.why = "shrink"
	defer func() { l.why = saved }()
	inactive := L.sent[LRUInactive]
	freed, i := 0, 0
	for n := l.prev[inactive]; n != inactive; {
		tmp := l.prev[n]
		if l.ref[n] {
			l.move(L, n, LRUActive) // second chance
		} else if l.h.lruDelete(l.elem(n), reason) {
			l.moveToFree(L, n, dest, destType)
			freed++
			if freed == want {
				break
			}
		}
		i++
		if i == l.nrScans {
			break
		}
		n = tmp
	}
	if l.h.m.world.Emitting() {
		l.h.m.emit(LRUShrinkEvent{Map: l.h.m.Name, CPU: L.owner, Want: want, Freed: freed, Forced: freed == 0})
	}
	if freed > 0 {
		return freed
	}
	force := L.sent[LRUInactive]
	if l.empty(force) {
		force = L.sent[LRUActive]
	}
	for n := l.prev[force]; n != force; n = l.prev[n] {
		if l.h.lruDelete(l.elem(n), LRUReasonForced) {
			l.moveToFree(L, n, dest, destType)
			return 1
		}
	}
	return 0
}

// --- allocation and free (§5.5) ---

// popFree is bpf_lru_pop_free on CPU cpu: the node for a new element, which
// may evict others. -1 means none (the update returns ENOMEM).
func (l *bpfLRU) popFree(cpu int) int32 {
	if l.percpu {
		return l.percpuPopFree(cpu)
	}
	return l.commonPopFree(cpu)
}

func (l *bpfLRU) percpuPopFree(cpu int) int32 {
	L := &l.lists[cpu]
	l.why = "pop_free"
	l.rotate(L)
	if l.empty(L.sent[LRUFree]) && L.virgin == 0 {
		l.shrink(L, lruPercpuFreeTarget, L.sent[LRUFree], LRUFree, LRUReasonPercpu)
	}
	n := l.freeHead(L)
	if n < 0 {
		return -1
	}
	l.ref[n] = false
	l.move(L, n, LRUInactive)
	return n
}

func (l *bpfLRU) commonPopFree(cpu int) int32 {
	loc := &l.locals[cpu]
	l.why = "pop_free"
	n := l.popLocalFree(loc)
	if n < 0 {
		l.refill(cpu)
		n = l.popLocalFree(loc)
	}
	if n >= 0 {
		l.addPending(cpu, n)
		return n
	}
	// Nothing free here or globally: steal round-robin, starting with
	// next_steal, from a CPU's local free list or else its pending list.
	first := loc.nextSteal
	steal := first
	for {
		from := &l.locals[steal]
		n = l.popLocalFree(from)
		if n < 0 {
			n = l.popPending(from)
		}
		if l.h.m.world.Emitting() && n >= 0 {
			l.h.m.emit(LRUStealEvent{Map: l.h.m.Name, CPU: cpu, From: steal, Node: int(l.elem(n))})
		}
		steal = (steal + 1) % l.ncpu
		if n >= 0 || steal == first {
			break
		}
	}
	loc.nextSteal = steal
	if n >= 0 {
		l.addPending(cpu, n)
	}
	return n
}

// refill is bpf_lru_list_pop_free_to_local: flush the CPU's pending nodes
// into the global lists, rotate, then move up to target_free nodes from the
// global FREE list to the CPU's local free list, shrinking (evicting) for
// the rest.
func (l *bpfLRU) refill(cpu int) {
	L := &l.common
	loc := &l.locals[cpu]
	l.why = "flush"
	pend := loc.pendSent
	for n := l.prev[pend]; n != pend; {
		tmp := l.prev[n]
		if l.ref[n] {
			l.moveIn(L, n, LRUActive)
		} else {
			l.moveIn(L, n, LRUInactive)
		}
		n = tmp
	}
	l.rotate(L)
	l.why = "refill"
	moved := 0
	for moved < l.targetFree {
		n := l.freeHead(L)
		if n < 0 {
			break
		}
		l.moveToFree(L, n, loc.freeSent, LRULocalFree)
		moved++
	}
	shrunk := 0
	if moved < l.targetFree {
		shrunk = l.shrink(L, l.targetFree-moved, loc.freeSent, LRULocalFree, LRUReasonRefill)
	}
	if l.h.m.world.Emitting() {
		l.h.m.emit(LRURefillEvent{Map: l.h.m.Name, CPU: cpu, Target: l.targetFree, FromFree: moved, Evicted: shrunk})
	}
}

func (l *bpfLRU) popLocalFree(loc *lruLocal) int32 {
	if l.empty(loc.freeSent) {
		return -1
	}
	n := l.next[loc.freeSent]
	l.listDel(n)
	return n
}

// popPending takes the oldest pending node of a CPU whose ref bit is clear,
// or on a second pass the oldest one at all, evicting its element.
func (l *bpfLRU) popPending(loc *lruLocal) int32 {
	for pass := 0; pass < 2; pass++ {
		for n := l.prev[loc.pendSent]; n != loc.pendSent; n = l.prev[n] {
			if (pass == 1 || !l.ref[n]) && l.h.lruDelete(l.elem(n), LRUReasonSteal) {
				l.listDel(n)
				return n
			}
		}
	}
	return -1
}

func (l *bpfLRU) addPending(cpu int, n int32) {
	from := l.typ[n]
	l.cpu[n] = int32(cpu)
	l.typ[n] = LRUPending
	l.ref[n] = false
	l.listAddHead(n, l.locals[cpu].pendSent)
	l.emitMove(nil, n, from, LRUPending)
}

// pushFree is bpf_lru_push_free: a node whose element was deleted.
func (l *bpfLRU) pushFree(e int32) {
	n := l.slot(e)
	l.why = "push_free"
	if l.percpu {
		l.move(&l.lists[l.cpu[n]], n, LRUFree)
		return
	}
	if l.typ[n] == LRUPending {
		l.typ[n] = LRULocalFree
		l.ref[n] = false
		l.listMove(n, l.locals[l.cpu[n]].freeSent)
		l.emitMove(nil, n, LRUPending, LRULocalFree)
		return
	}
	l.move(&l.common, n, LRUFree)
}

// takeForReuse detaches the node of a live element and puts it where a
// freshly popped node would go, without touching any free list. It models
// the proposed fix (Knobs.LRUUpdateNoEvict) in which replacing an existing
// key draws on reserved nodes and never evicts.
func (l *bpfLRU) takeForReuse(cpu int, e int32) {
	n := l.slot(e)
	l.why = "reuse"
	if l.percpu {
		l.move(&l.lists[l.cpu[n]], n, LRUInactive)
		return
	}
	if l.typ[n] == LRUPending {
		l.listDel(n)
	} else {
		L := &l.common
		if n == L.cursor {
			L.cursor = l.prev[n]
		}
		if countsIdx(l.typ[n]) {
			L.counts[l.typ[n]]--
		}
		l.listDel(n)
	}
	l.addPending(cpu, n)
}

func (l *bpfLRU) emitMove(L *lruList, n int32, from, to LRUNodeType) {
	if !l.h.m.world.Emitting() {
		return
	}
	owner := -1
	if L != nil {
		owner = L.owner
	} else {
		owner = int(l.cpu[n])
	}
	e := l.elem(n)
	key := ""
	if l.h.isLinked(e) {
		key = htabHex(l.h.keyOf(e))
	}
	l.h.m.emit(LRUMoveEvent{Map: l.h.m.Name, CPU: owner, Node: int(e), Key: key, From: from.String(), To: to.String(), Why: l.why})
}

func (l *bpfLRU) cursorName(L *lruList, c int32) string {
	if c == L.sent[LRUInactive] {
		return "head"
	}
	e := l.elem(c)
	if l.h.isLinked(e) {
		return fmt.Sprintf("node %d (key %s)", e, htabHex(l.h.keyOf(e)))
	}
	return fmt.Sprintf("node %d", e)
}

// --- events ---

// LRUMoveEvent: a node moved between LRU lists. CPU is the owner of the
// lists involved (-1 for the common global lists).
type LRUMoveEvent struct {
	_ noCompare

	Map  string `json:"map"`
	CPU  int    `json:"cpu"`
	Node int    `json:"node"`
	Key  string `json:"key,omitempty"`
	From string `json:"from"`
	To   string `json:"to"`
	Why  string `json:"why"`
}

func (LRUMoveEvent) Kind() string { return "lru.move" }
func (e LRUMoveEvent) String() string {
	k := ""
	if e.Key != "" {
		k = " key " + e.Key
	}
	return fmt.Sprintf("lru %s: node %d%s %s -> %s (%s)", e.Map, e.Node, k, e.From, e.To, e.Why)
}

// LRURotateEvent: one rotation of a list set (active demotion, then the
// inactive scan from the cursor).
type LRURotateEvent struct {
	_ noCompare

	Map            string `json:"map"`
	CPU            int    `json:"cpu"`
	ActiveBefore   int    `json:"active_before"`
	InactiveBefore int    `json:"inactive_before"`
	Active         int    `json:"active"`
	Inactive       int    `json:"inactive"`
	CursorBefore   string `json:"cursor_before"`
	Cursor         string `json:"cursor"`
}

func (LRURotateEvent) Kind() string { return "lru.rotate" }
func (e LRURotateEvent) String() string {
	return fmt.Sprintf("lru %s: rotate: active %d->%d, inactive %d->%d, cursor %s -> %s",
		e.Map, e.ActiveBefore, e.Active, e.InactiveBefore, e.Inactive, e.CursorBefore, e.Cursor)
}

// LRUShrinkEvent: a shrink pass over INACTIVE; Forced means the second-chance
// pass freed nothing and one node is taken ignoring ref bits.
type LRUShrinkEvent struct {
	_ noCompare

	Map    string `json:"map"`
	CPU    int    `json:"cpu"`
	Want   int    `json:"want"`
	Freed  int    `json:"freed"`
	Forced bool   `json:"forced"`
}

func (LRUShrinkEvent) Kind() string { return "lru.shrink" }
func (e LRUShrinkEvent) String() string {
	s := fmt.Sprintf("lru %s: shrink wants %d, freed %d", e.Map, e.Want, e.Freed)
	if e.Forced {
		s += ": forcing one eviction regardless of ref bits"
	}
	return s
}

// LRUEvictEvent: an element was removed from the hash to free its node.
type LRUEvictEvent struct {
	_ noCompare

	Map    string `json:"map"`
	Node   int    `json:"node"`
	Key    string `json:"key"`
	Reason string `json:"reason"`
}

func (LRUEvictEvent) Kind() string { return "lru.evict" }
func (e LRUEvictEvent) String() string {
	return fmt.Sprintf("lru %s: evicted key %s (node %d): %s", e.Map, e.Key, e.Node, e.Reason)
}

// LRURefillEvent: a CPU's local free list was refilled from the global lists.
type LRURefillEvent struct {
	_ noCompare

	Map      string `json:"map"`
	CPU      int    `json:"cpu"`
	Target   int    `json:"target_free"`
	FromFree int    `json:"from_free"`
	Evicted  int    `json:"evicted"`
}

func (LRURefillEvent) Kind() string { return "lru.refill" }
func (e LRURefillEvent) String() string {
	return fmt.Sprintf("lru %s: refill cpu %d: target_free %d, %d from the free list, %d by eviction",
		e.Map, e.CPU, e.Target, e.FromFree, e.Evicted)
}

// LRUStealEvent: a node was taken from a CPU's local lists by another CPU.
type LRUStealEvent struct {
	_ noCompare

	Map  string `json:"map"`
	CPU  int    `json:"cpu"`
	From int    `json:"from"`
	Node int    `json:"node"`
}

func (LRUStealEvent) Kind() string { return "lru.steal" }
func (e LRUStealEvent) String() string {
	return fmt.Sprintf("lru %s: cpu %d stole node %d from cpu %d", e.Map, e.CPU, e.Node, e.From)
}

// LRURefEvent: a node's reference bit was set.
type LRURefEvent struct {
	_ noCompare

	Map  string `json:"map"`
	Node int    `json:"node"`
	Key  string `json:"key"`
	Why  string `json:"why"`
}

func (LRURefEvent) Kind() string { return "lru.ref" }
func (e LRURefEvent) String() string {
	return fmt.Sprintf("lru %s: ref bit set on key %s (node %d): %s", e.Map, e.Key, e.Node, e.Why)
}
