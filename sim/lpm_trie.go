package sim

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/bits"
	"net/netip"
	"strings"
)

// This file models kernel/bpf/lpm_trie.c: BPF_MAP_TYPE_LPM_TRIE, a
// longest-prefix-match trie (kernel-semantics §6).
//
// A key is a u32 prefix length in host byte order (little-endian here, as on
// x86-64 and WebAssembly) followed by data_size = key_size-4 bytes of data in
// big-endian bit order: bit i of the data is bit 7-i%8 of data[i/8].
//
// The trie is a binary tree of nodes. A real node holds a key and a value; an
// intermediate (IM) node only exists to split two subtrees at the first bit
// where they differ, has no value and always has exactly two children. A
// node's children all extend its prefix; child[b] holds the prefixes whose bit
// number node.prefixlen is b.

// LPM create limits: the data is 1..256 bytes and a node must fit kmalloc.
const (
	lpmDataSizeMin = 1
	lpmDataSizeMax = 256
	lpmKeySizeMin  = 4 + lpmDataSizeMin
	lpmKeySizeMax  = 4 + lpmDataSizeMax
	// kmallocMaxSize is KMALLOC_MAX_SIZE on x86-64 (4 MiB).
	lpmKmallocMaxSize = 4 << 20
	// lpmNodeHeader is sizeof(struct lpm_trie_node): two child pointers and
	// two u32s. The largest value is what still fits one kmalloc with the
	// largest data: 4194304 - 256 - 24 = 4194024 (kernel-oracle §1).
	lpmNodeHeader  = 24
	lpmValueMaxLen = lpmKmallocMaxSize - lpmDataSizeMax - lpmNodeHeader

	// bpfAccessMaskAll is the kernel's BPF_F_ACCESS_MASK: the user-space
	// and program access bits.
	bpfAccessMaskAll = FlagRdonly | FlagWronly | FlagRdonlyProg | FlagWronlyProg
	lpmCreateFlags   = FlagNoPrealloc | FlagNumaNode | bpfAccessMaskAll
)

// noSpinLock is the map_check_btf rule for the families in this package's
// lpm_trie.go, queue_stack_maps.go, bloom_filter.go and map_in_map.go: a
// bpf_spin_lock in the value (the SpinLock stand-in for BTF) is only for
// hash, array and the local-storage maps, so it is EOPNOTSUPP. The kernel
// checks BTF after map_alloc, so this runs last in alloc.
func noSpinLock(m *Map) (Errno, string) {
	if m.SpinLock {
		return EOPNOTSUPP, fmt.Sprintf("a %v value cannot hold a bpf_spin_lock", m.Type)
	}
	return OK, ""
}

// progFlagsAccessOK is bpf_map_flags_access_ok: a map may not be both
// read-only and write-only for programs.
func progFlagsAccessOK(flags uint32) bool {
	both := FlagRdonlyProg | FlagWronlyProg
	return flags&both != both
}

func init() {
	registerMapType(MapLPMTrie, mapType{
		// The LPM trie has no map_alloc_check: every check is in trie_alloc,
		// after the capability check.
		allocCheck: func(a *MapAttr, w *World) (Errno, string) { return OK, "" },
		alloc:      lpmAlloc,
	})
}

func lpmAlloc(m *Map) (mapOps, Errno, string) {
	switch {
	case m.MaxEntries == 0:
		return nil, EINVAL, "max_entries is 0"
	case m.Flags&FlagNoPrealloc == 0:
		return nil, EINVAL, "an LPM trie must be created with BPF_F_NO_PREALLOC"
	case m.Flags&^lpmCreateFlags != 0:
		return nil, EINVAL, "flags outside NO_PREALLOC, NUMA_NODE and the access flags"
	case !progFlagsAccessOK(m.Flags):
		return nil, EINVAL, "BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG together"
	case m.KeySize < lpmKeySizeMin:
		return nil, EINVAL, fmt.Sprintf("key_size %d is below 5 (u32 prefixlen + at least 1 data byte)", m.KeySize)
	case m.KeySize > lpmKeySizeMax:
		return nil, EINVAL, fmt.Sprintf("key_size %d is above 260 (u32 prefixlen + at most 256 data bytes)", m.KeySize)
	case m.ValueSize < 1:
		return nil, EINVAL, "value_size is 0"
	case m.ValueSize > lpmValueMaxLen:
		return nil, EINVAL, fmt.Sprintf("value_size %d is above %d (a node must fit KMALLOC_MAX_SIZE)", m.ValueSize, lpmValueMaxLen)
	}
	if e, why := noSpinLock(m); e != OK {
		return nil, e, why
	}
	ds := int(m.KeySize) - 4
	return &LPMTrie{m: m, dataSize: ds, maxPrefixlen: uint32(ds) * 8}, OK, ""
}

// LPMTrie is the state of one LPM_TRIE map.
type LPMTrie struct {
	m            *Map
	root         *lpmNode
	nEntries     int // real nodes only
	dataSize     int
	maxPrefixlen uint32
}

type lpmNode struct {
	prefixlen uint32
	im        bool
	child     [2]*lpmNode
	data      []byte // data_size bytes, stored as given (host bits kept)
	value     []byte // nil for IM nodes
	w0        uint64 // lpmWord(data): the first 8 data bytes, for fast compares
}

// lpmKey is a parsed key. The data aliases the caller's buffer and must be
// copied before it is stored.
type lpmKey struct {
	prefixlen uint32
	data      []byte
	w0        uint64
}

// lpmWord is the first 8 data bytes as a big-endian word (zero-padded), so
// that bit i of the data (i < 64) is bit 63-i of the word.
func lpmWord(data []byte) uint64 {
	if len(data) >= 8 {
		return binary.BigEndian.Uint64(data)
	}
	var b [8]byte
	copy(b[:], data)
	return binary.BigEndian.Uint64(b[:])
}

func (t *LPMTrie) parseKey(key []byte) (lpmKey, bool) {
	if len(key) != t.dataSize+4 {
		return lpmKey{}, false
	}
	d := key[4:]
	return lpmKey{prefixlen: binary.LittleEndian.Uint32(key), data: d, w0: lpmWord(d)}, true
}

// lpmBit is extract_bit: bit i of data in big-endian bit order.
func lpmBit(data []byte, i uint32) int {
	if int(i/8) >= len(data) {
		return 0
	}
	return int(data[i/8]>>(7-i%8)) & 1
}

// lpmMatch is longest_prefix_match: the number of leading bits that node and
// key agree on, capped at the shorter of the two prefix lengths.
func lpmMatch(n *lpmNode, k lpmKey) uint32 {
	limit := n.prefixlen
	if k.prefixlen < limit {
		limit = k.prefixlen
	}
	// The first 8 bytes at once; a difference there decides.
	if x := n.w0 ^ k.w0; x != 0 || len(n.data) <= 8 {
		plen := uint32(bits.LeadingZeros64(x))
		if plen > limit {
			return limit
		}
		return plen
	}
	plen := uint32(64)
	for i := 8; i < len(n.data) && i < len(k.data); i++ {
		if plen >= limit {
			return limit
		}
		x := n.data[i] ^ k.data[i]
		if x != 0 {
			plen += uint32(bits.LeadingZeros8(x))
			break
		}
		plen += 8
	}
	if plen > limit {
		return limit
	}
	return plen
}

// LPMPrefix formats a prefix for people: dotted quad for 4-byte data,
// IPv6 for 16-byte data, hex otherwise; always with /prefixlen.
func LPMPrefix(data []byte, prefixlen uint32) string {
	switch len(data) {
	case 4:
		return fmt.Sprintf("%d.%d.%d.%d/%d", data[0], data[1], data[2], data[3], prefixlen)
	case 16:
		var a [16]byte
		copy(a[:], data)
		return fmt.Sprintf("%s/%d", netip.AddrFrom16(a).String(), prefixlen)
	}
	return fmt.Sprintf("0x%s/%d", hex.EncodeToString(data), prefixlen)
}

func (n *lpmNode) label() string { return LPMPrefix(n.data, n.prefixlen) }

func (t *LPMTrie) keyLabel(k lpmKey) string { return LPMPrefix(k.data, k.prefixlen) }

// LPMKey builds an LPM key: prefixlen in host (little-endian) order, then data.
func LPMKey(prefixlen uint32, data []byte) []byte {
	k := make([]byte, 4+len(data))
	binary.LittleEndian.PutUint32(k, prefixlen)
	copy(k[4:], data)
	return k
}

// ---- events ----

// LPMKeyEvent is the key of a lookup, update or delete as the trie reads
// it: prefixlen (host byte order in the key) and the data bytes, whose bits
// the trie compares from the first byte's top bit down (big-endian).
type LPMKeyEvent struct {
	_ noCompare

	Map       string `json:"map"`
	Op        string `json:"op"`
	Prefixlen uint32 `json:"prefixlen"`
	Data      string `json:"data"`   // hex
	Prefix    string `json:"prefix"` // data/prefixlen, as an address when 4 or 16 bytes
}

func (LPMKeyEvent) Kind() string { return "lpm.key" }
func (e LPMKeyEvent) String() string {
	return fmt.Sprintf("%s %s: key prefixlen %d, data %s (%s)", e.Op, e.Map, e.Prefixlen, e.Data, e.Prefix)
}

// LPMVisitEvent is one node visited while descending the trie: the bits
// compared (min of the node's and the key's prefix length), how many of them
// matched, and where the descent goes next (child 0 or 1, or -1 to stop).
type LPMVisitEvent struct {
	_ noCompare

	Map      string `json:"map"`
	Op       string `json:"op"`
	Depth    int    `json:"depth"`
	Node     string `json:"node"`
	IM       bool   `json:"im"`
	Compared uint32 `json:"compared"`
	Match    uint32 `json:"match"`
	Next     int    `json:"next"`
	Why      string `json:"why"`
}

func (LPMVisitEvent) Kind() string { return "lpm.visit" }
func (e LPMVisitEvent) String() string {
	im := ""
	if e.IM {
		im = " (intermediate)"
	}
	s := fmt.Sprintf("%s %s: depth %d node %s%s: %d of %d bits match", e.Op, e.Map, e.Depth, e.Node, im, e.Match, e.Compared)
	if e.Next >= 0 {
		return s + fmt.Sprintf(", %s: go to child[%d]", e.Why, e.Next)
	}
	return s + ", " + e.Why
}

// LPMBestEvent is the longest matching prefix found so far during a lookup.
type LPMBestEvent struct {
	_ noCompare

	Map    string `json:"map"`
	Prefix string `json:"prefix"`
}

func (LPMBestEvent) Kind() string { return "lpm.best" }
func (e LPMBestEvent) String() string {
	return fmt.Sprintf("lookup %s: longest match so far %s", e.Map, e.Prefix)
}

// LPMNodeEvent is a structural change: a real node inserted or replaced, an
// intermediate node created or removed, a deleted node kept as intermediate.
type LPMNodeEvent struct {
	_ noCompare

	Map    string `json:"map"`
	Action string `json:"action"` // insert, replace, im_create, im_remove, im_mark, im_fill, remove
	Prefix string `json:"prefix"`
	Detail string `json:"detail,omitempty"`
}

func (LPMNodeEvent) Kind() string { return "lpm.node" }
func (e LPMNodeEvent) String() string {
	s := fmt.Sprintf("%s: %s %s", e.Map, e.Action, e.Prefix)
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	return s
}

// LPMWalkEvent is one step of get_next_key's post-order search.
type LPMWalkEvent struct {
	_ noCompare

	Map    string `json:"map"`
	Step   string `json:"step"` // exact, restart, up, right_subtree, parent, leftmost, end
	Prefix string `json:"prefix,omitempty"`
	Detail string `json:"detail,omitempty"`
}

func (LPMWalkEvent) Kind() string { return "lpm.walk" }
func (e LPMWalkEvent) String() string {
	s := fmt.Sprintf("next %s: %s", e.Map, e.Step)
	if e.Prefix != "" {
		s += " " + e.Prefix
	}
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	return s
}

// ---- mapOps ----

func (t *LPMTrie) count() int { return t.nEntries }

// failf builds the reason only when someone listens.
func (t *LPMTrie) failf(op string, e Errno, format string, args ...any) Errno {
	if !t.emitting() {
		return e
	}
	return t.m.fail(op, e, fmt.Sprintf(format, args...))
}

func (t *LPMTrie) emitting() bool { return t.m.world != nil && t.m.world.Emitting() }

// emitKey reports the key an operation works with, as the trie reads it.
func (t *LPMTrie) emitKey(op string, k lpmKey) {
	t.m.emit(LPMKeyEvent{Map: t.m.Name, Op: op, Prefixlen: k.prefixlen, Data: hex.EncodeToString(k.data), Prefix: t.keyLabel(k)})
}

// lookup is trie_lookup_elem: the longest stored prefix, no longer than the
// key's prefixlen, that covers the key's data.
func (t *LPMTrie) lookup(key []byte, src Source) ([]byte, Errno) {
	k, ok := t.parseKey(key)
	if !ok {
		return nil, t.m.fail("lookup", EINVAL, "key is not key_size bytes")
	}
	if k.prefixlen > t.maxPrefixlen {
		return nil, t.failf("lookup", ENOENT, "prefixlen %d is above the maximum %d", k.prefixlen, t.maxPrefixlen)
	}
	ev := t.emitting()
	if ev {
		t.emitKey("lookup", k)
	}
	var found *lpmNode
	depth := 0
	for n := t.root; n != nil; depth++ {
		m := lpmMatch(n, k)
		if m == t.maxPrefixlen {
			found = n
			if ev {
				t.visit("lookup", depth, n, k, m, -1, "every bit matches: exact full-length match")
				t.m.emit(LPMBestEvent{Map: t.m.Name, Prefix: n.label()})
			}
			break
		}
		if m < n.prefixlen {
			if ev {
				t.visit("lookup", depth, n, k, m, -1, "the node's prefix does not cover the key: stop")
			}
			break
		}
		next := lpmBit(k.data, n.prefixlen)
		if ev {
			why := "the node's prefix covers the key"
			if n.im {
				why = "intermediate node, no value"
			}
			why += fmt.Sprintf("; key bit %d is %d", n.prefixlen, next)
			t.visit("lookup", depth, n, k, m, next, why)
		}
		if !n.im {
			found = n
			if ev {
				t.m.emit(LPMBestEvent{Map: t.m.Name, Prefix: n.label()})
			}
		}
		n = n.child[next]
	}
	if found == nil {
		if !ev {
			return nil, ENOENT
		}
		return nil, t.m.fail("lookup", ENOENT, "no stored prefix covers "+t.keyLabel(k))
	}
	if src == Prog {
		return found.value, OK
	}
	return append([]byte(nil), found.value...), OK
}

func (t *LPMTrie) visit(op string, depth int, n *lpmNode, k lpmKey, m uint32, next int, why string) {
	c := n.prefixlen
	if k.prefixlen < c {
		c = k.prefixlen
	}
	t.m.emit(LPMVisitEvent{Map: t.m.Name, Op: op, Depth: depth, Node: n.label(), IM: n.im,
		Compared: c, Match: m, Next: next, Why: why})
}

// addCheck is trie_check_add_elem: a new real node is about to appear.
func (t *LPMTrie) addCheck(flags uint64) (Errno, string) {
	if flags == UpdateExist {
		return ENOENT, "BPF_EXIST but the prefix is not in the trie"
	}
	if t.nEntries >= int(t.m.MaxEntries) {
		return ENOSPC, fmt.Sprintf("the trie is full (%d entries) and the prefix is new", t.nEntries)
	}
	t.nEntries++
	return OK, ""
}

// update is trie_update_elem with the 2024/25 flag semantics (§6.4).
func (t *LPMTrie) update(key, value []byte, flags uint64, src Source) Errno {
	if flags > UpdateExist {
		return t.m.fail("update", EINVAL, "flags other than BPF_ANY, BPF_NOEXIST or BPF_EXIST")
	}
	k, ok := t.parseKey(key)
	if !ok {
		return t.m.fail("update", EINVAL, "key is not key_size bytes")
	}
	if k.prefixlen > t.maxPrefixlen {
		return t.failf("update", EINVAL, "prefixlen %d is above the maximum %d", k.prefixlen, t.maxPrefixlen)
	}
	if len(value) < int(t.m.ValueSize) {
		return t.m.fail("update", EINVAL, "value is shorter than value_size")
	}
	ev := t.emitting()
	if ev {
		t.emitKey("update", k)
	}
	nn := &lpmNode{
		prefixlen: k.prefixlen,
		data:      append([]byte(nil), k.data...),
		value:     append([]byte(nil), value[:t.m.ValueSize]...),
		w0:        k.w0,
	}
	slot := &t.root
	var n *lpmNode
	var m uint32
	depth := 0
	for {
		n = *slot
		if n == nil {
			break
		}
		m = lpmMatch(n, k)
		if n.prefixlen != m || n.prefixlen == k.prefixlen {
			if ev {
				t.visit("update", depth, n, k, m, -1, "the new prefix belongs here")
			}
			break
		}
		next := lpmBit(k.data, n.prefixlen)
		if ev {
			t.visit("update", depth, n, k, m, next, fmt.Sprintf("the node's prefix covers the new one; key bit %d is %d", n.prefixlen, next))
		}
		slot = &n.child[next]
		depth++
	}
	fail := func(e Errno, why string) Errno { return t.m.fail("update", e, why) }
	if n == nil {
		if e, why := t.addCheck(flags); e != OK {
			return fail(e, why)
		}
		*slot = nn
		if ev {
			t.m.emit(LPMNodeEvent{Map: t.m.Name, Action: "insert", Prefix: nn.label(), Detail: "into an empty slot"})
		}
		return OK
	}
	if n.prefixlen == m {
		// Same prefix length and every bit of it matches.
		if !n.im {
			if flags == UpdateNoExist {
				return fail(EEXIST, "BPF_NOEXIST but "+n.label()+" is in the trie")
			}
		} else if e, why := t.addCheck(flags); e != OK {
			return fail(e, why)
		}
		nn.child = n.child
		*slot = nn
		if ev {
			if n.im {
				t.m.emit(LPMNodeEvent{Map: t.m.Name, Action: "im_fill", Prefix: nn.label(), Detail: "a real node replaces the intermediate node and takes its children"})
			} else {
				t.m.emit(LPMNodeEvent{Map: t.m.Name, Action: "replace", Prefix: nn.label(), Detail: "replaces " + n.label() + " and takes its children"})
			}
		}
		return OK
	}
	if e, why := t.addCheck(flags); e != OK {
		return fail(e, why)
	}
	if m == k.prefixlen {
		// The new prefix covers the node: it becomes the node's parent.
		b := lpmBit(n.data, m)
		nn.child[b] = n
		*slot = nn
		if ev {
			t.m.emit(LPMNodeEvent{Map: t.m.Name, Action: "insert", Prefix: nn.label(), Detail: fmt.Sprintf("above %s, which becomes child[%d]", n.label(), b)})
		}
		return OK
	}
	// The two prefixes diverge at bit m: an intermediate node splits them.
	im := &lpmNode{prefixlen: m, im: true, data: append([]byte(nil), n.data...), w0: n.w0}
	if lpmBit(k.data, m) == 1 {
		im.child[0], im.child[1] = n, nn
	} else {
		im.child[0], im.child[1] = nn, n
	}
	*slot = im
	if ev {
		t.m.emit(LPMNodeEvent{Map: t.m.Name, Action: "im_create", Prefix: im.label(),
			Detail: fmt.Sprintf("%s and %s first differ at bit %d", nn.label(), n.label(), m)})
		t.m.emit(LPMNodeEvent{Map: t.m.Name, Action: "insert", Prefix: nn.label(), Detail: fmt.Sprintf("child[%d] of the intermediate node", lpmBit(k.data, m))})
	}
	return OK
}

// delete is trie_delete_elem (§6.5).
func (t *LPMTrie) delete(key []byte, src Source) Errno {
	k, ok := t.parseKey(key)
	if !ok {
		return t.m.fail("delete", EINVAL, "key is not key_size bytes")
	}
	if k.prefixlen > t.maxPrefixlen {
		return t.failf("delete", EINVAL, "prefixlen %d is above the maximum %d", k.prefixlen, t.maxPrefixlen)
	}
	ev := t.emitting()
	if ev {
		t.emitKey("delete", k)
	}
	trim := &t.root
	trim2 := trim
	var parent, n *lpmNode
	var m uint32
	depth := 0
	for {
		n = *trim
		if n == nil {
			break
		}
		m = lpmMatch(n, k)
		if n.prefixlen != m || n.prefixlen == k.prefixlen {
			if ev {
				t.visit("delete", depth, n, k, m, -1, "stop")
			}
			break
		}
		next := lpmBit(k.data, n.prefixlen)
		if ev {
			t.visit("delete", depth, n, k, m, next, fmt.Sprintf("key bit %d is %d", n.prefixlen, next))
		}
		parent = n
		trim2 = trim
		trim = &n.child[next]
		depth++
	}
	if n == nil || n.prefixlen != k.prefixlen || n.prefixlen != m || n.im {
		if !ev {
			return ENOENT
		}
		return t.m.fail("delete", ENOENT, t.keyLabel(k)+" is not in the trie")
	}
	t.nEntries--
	if n.child[0] != nil && n.child[1] != nil {
		n.im = true
		n.value = nil
		if ev {
			t.m.emit(LPMNodeEvent{Map: t.m.Name, Action: "im_mark", Prefix: n.label(), Detail: "it has two children, so it stays as an intermediate node"})
		}
		return OK
	}
	if parent != nil && parent.im && n.child[0] == nil && n.child[1] == nil {
		sib := parent.child[0]
		if n == parent.child[0] {
			sib = parent.child[1]
		}
		*trim2 = sib
		if ev {
			t.m.emit(LPMNodeEvent{Map: t.m.Name, Action: "remove", Prefix: n.label()})
			t.m.emit(LPMNodeEvent{Map: t.m.Name, Action: "im_remove", Prefix: parent.label(), Detail: "its other child " + sib.label() + " takes its place"})
		}
		return OK
	}
	switch {
	case n.child[0] != nil:
		*trim = n.child[0]
	case n.child[1] != nil:
		*trim = n.child[1]
	default:
		*trim = nil
	}
	if ev {
		d := "it had no children"
		if *trim != nil {
			d = "its only child " + (*trim).label() + " takes its place"
		}
		t.m.emit(LPMNodeEvent{Map: t.m.Name, Action: "remove", Prefix: n.label(), Detail: d})
	}
	return OK
}

// getNextKey is trie_get_next_key: post-order (child[0] subtree, child[1]
// subtree, then the node), so more specific prefixes come first (§6.6).
func (t *LPMTrie) getNextKey(key []byte) ([]byte, Errno) {
	if t.root == nil {
		return nil, t.m.fail("next", ENOENT, "the trie is empty")
	}
	ev := t.emitting()
	searchRoot := t.root
	var next *lpmNode
	k, ok := lpmKey{}, key != nil
	if ok {
		k, ok = t.parseKey(key)
	}
	switch {
	case key == nil:
		if ev {
			t.m.emit(LPMWalkEvent{Map: t.m.Name, Step: "restart", Detail: "NULL key: start from the first key"})
		}
	case !ok:
		return nil, t.m.fail("next", EINVAL, "key is not key_size bytes")
	case k.prefixlen > t.maxPrefixlen:
		if ev {
			t.m.emit(LPMWalkEvent{Map: t.m.Name, Step: "restart", Prefix: t.keyLabel(k), Detail: "prefixlen above the maximum: start from the first key"})
		}
	default:
		var stack []*lpmNode
		var n *lpmNode
		var m uint32
		for n = t.root; n != nil; {
			stack = append(stack, n)
			m = lpmMatch(n, k)
			if n.prefixlen != m || n.prefixlen == k.prefixlen {
				break
			}
			n = n.child[lpmBit(k.data, n.prefixlen)]
		}
		if n == nil || n.prefixlen != m || n.im {
			if ev {
				t.m.emit(LPMWalkEvent{Map: t.m.Name, Step: "restart", Prefix: t.keyLabel(k), Detail: "not an exact key in the trie: start from the first key"})
			}
			break
		}
		if ev {
			t.m.emit(LPMWalkEvent{Map: t.m.Name, Step: "exact", Prefix: n.label()})
		}
		sp := len(stack) - 1
		n = stack[sp]
		found := false
		for sp > 0 {
			p := stack[sp-1]
			if p.child[0] == n && p.child[1] != nil {
				searchRoot = p.child[1]
				if ev {
					t.m.emit(LPMWalkEvent{Map: t.m.Name, Step: "right_subtree", Prefix: searchRoot.label(), Detail: "left child of " + p.label() + ": continue in its right subtree"})
				}
				found = true
				break
			}
			if !p.im {
				if ev {
					t.m.emit(LPMWalkEvent{Map: t.m.Name, Step: "parent", Prefix: p.label(), Detail: "both subtrees done: the parent comes next"})
				}
				return t.keyOf(p), OK
			}
			if ev {
				t.m.emit(LPMWalkEvent{Map: t.m.Name, Step: "up", Prefix: p.label(), Detail: "intermediate parent: keep climbing"})
			}
			n = p
			sp--
		}
		if !found {
			return nil, t.m.fail("next", ENOENT, "the last key in post-order")
		}
	}
	for n := searchRoot; n != nil; {
		if n.im {
			n = n.child[0]
			continue
		}
		next = n
		if n.child[0] != nil {
			n = n.child[0]
		} else {
			n = n.child[1]
		}
	}
	if next == nil { // cannot happen: IM nodes always have two children
		return nil, t.m.fail("next", ENOENT, "no real node found")
	}
	if ev {
		t.m.emit(LPMWalkEvent{Map: t.m.Name, Step: "leftmost", Prefix: next.label(), Detail: "the first real node in post-order of that subtree"})
	}
	return t.keyOf(next), OK
}

func (t *LPMTrie) keyOf(n *lpmNode) []byte { return LPMKey(n.prefixlen, n.data) }

func (t *LPMTrie) lookupAndDelete(key []byte, flags uint64) ([]byte, Errno) {
	return nil, t.m.fail("lookup_and_delete", ENOTSUPP, "LPM tries do not support lookup_and_delete")
}

func (t *LPMTrie) clone(m *Map) mapOps {
	c := *t
	c.m = m
	c.root = t.root.clone()
	return &c
}

func (n *lpmNode) clone() *lpmNode {
	if n == nil {
		return nil
	}
	c := *n
	c.data = append([]byte(nil), n.data...)
	if n.value != nil {
		c.value = append([]byte(nil), n.value...)
	}
	c.child[0] = n.child[0].clone()
	c.child[1] = n.child[1].clone()
	return &c
}

// ---- read-only view ----

// LPMNodeView is one node of the trie as the UI draws it.
type LPMNodeView struct {
	Prefix    string          `json:"prefix"`
	Prefixlen uint32          `json:"prefixlen"`
	Data      []byte          `json:"data"`
	IM        bool            `json:"im"`
	Value     []byte          `json:"value,omitempty"`
	Children  [2]*LPMNodeView `json:"children"`
}

// Root returns a copy of the trie for views (nil when empty).
func (t *LPMTrie) Root() *LPMNodeView { return t.root.view() }

// MaxPrefixlen is 8 * data_size.
func (t *LPMTrie) MaxPrefixlen() uint32 { return t.maxPrefixlen }

// Nodes counts every node, intermediate ones included.
func (t *LPMTrie) Nodes() (real, intermediate int) {
	var walk func(n *lpmNode)
	walk = func(n *lpmNode) {
		if n == nil {
			return
		}
		if n.im {
			intermediate++
		} else {
			real++
		}
		walk(n.child[0])
		walk(n.child[1])
	}
	walk(t.root)
	return
}

func (n *lpmNode) view() *LPMNodeView {
	if n == nil {
		return nil
	}
	v := &LPMNodeView{Prefix: n.label(), Prefixlen: n.prefixlen, Data: append([]byte(nil), n.data...), IM: n.im}
	if !n.im {
		v.Value = append([]byte(nil), n.value...)
	}
	v.Children[0] = n.child[0].view()
	v.Children[1] = n.child[1].view()
	return v
}

// String draws the subtree as indented text (tests and the CLI).
func (v *LPMNodeView) String() string {
	var b strings.Builder
	var walk func(v *LPMNodeView, indent string, tag string)
	walk = func(v *LPMNodeView, indent, tag string) {
		if v == nil {
			return
		}
		b.WriteString(indent + tag + v.Prefix)
		if v.IM {
			b.WriteString(" [im]")
		} else {
			b.WriteString(" = " + hex.EncodeToString(v.Value))
		}
		b.WriteByte('\n')
		walk(v.Children[0], indent+"  ", "0: ")
		walk(v.Children[1], indent+"  ", "1: ")
	}
	walk(v, "", "")
	return b.String()
}
