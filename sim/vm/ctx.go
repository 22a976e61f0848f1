package vm

import (
	"encoding/binary"
	"fmt"

	"github.com/bpfplay/bpfplay/sim"
)

// Program contexts (R1 on entry).
//
//   - socket_filter, sched_cls, sched_act: struct __sk_buff. Field values
//     are what BPF_PROG_TEST_RUN gives a frame on the loopback device:
//     len, pkt_type, protocol (the EtherType, network byte order in a u32),
//     ifindex 1. Socket filters see the packet after the Ethernet header
//     and cannot use data/data_end; tc programs see the whole frame and get
//     packet pointers from data/data_end.
//   - xdp: struct xdp_md {data, data_end, data_meta, ingress_ifindex,
//     rx_queue_index, egress_ifindex}, all u32 loads.
//   - other types (kprobe, tracepoint ...): Options.Ctx as read-only bytes.
const (
	ctxRaw = iota
	ctxSkb
	ctxXDP
)

// struct __sk_buff offsets (UAPI).
const (
	skbLen           = 0
	skbPktType       = 4
	skbMark          = 8
	skbQueueMapping  = 12
	skbProtocol      = 16
	skbVlanPresent   = 20
	skbVlanTCI       = 24
	skbVlanProto     = 28
	skbPriority      = 32
	skbIngressIfidx  = 36
	skbIfindex       = 40
	skbTCIndex       = 44
	skbCB            = 48 // cb[5], to 68
	skbHash          = 68
	skbTCClassid     = 72
	skbData          = 76
	skbDataEnd       = 80
	skbNapiID        = 84
	skbFamily        = 88
	skbLocalPortEnd  = 140 // family .. local_port end
	skbDataMeta      = 140
	skbFlowKeys      = 144
	skbTstamp        = 152
	skbWireLen       = 160
	skbGsoSegs       = 164
	skbSk            = 168
	skbGsoSize       = 176
	skbTstampType    = 180
	skbHwtstamp      = 184
	skbSize          = 192
	xdpData          = 0
	xdpDataEnd       = 4
	xdpDataMeta      = 8
	xdpIngressIfidx  = 12
	xdpRxQueueIndex  = 16
	xdpEgressIfindex = 20
	xdpSize          = 24
	ethHdrLen        = 14
)

func (m *Machine) setupContext() *RuntimeError {
	typ := m.entry.typ
	switch typ {
	case sim.ProgSocketFilter, sim.ProgSchedCLS, sim.ProgSchedACT, sim.ProgXDP:
		pkt := m.opt.Packet
		if pkt == nil {
			pkt = make([]byte, 64)
		}
		if len(pkt) < ethHdrLen {
			return &RuntimeError{PC: 0, Verifier: fmt.Sprintf("packet of %d bytes is shorter than ETH_HLEN (14)", len(pkt)),
				Explain: "BPF_PROG_TEST_RUN refuses packets shorter than an Ethernet header with EINVAL."}
		}
		if len(pkt) > 0xffff {
			return &RuntimeError{PC: 0, Verifier: fmt.Sprintf("packet of %d bytes is too large", len(pkt)),
				Explain: "The simulator takes packets of at most 65535 bytes."}
		}
		m.pkt = append([]byte(nil), pkt...)
		if typ == sim.ProgSocketFilter {
			m.pktStart = ethHdrLen
		}
		data := m.pkt[m.pktStart:]
		m.regions[regPkt] = region{kind: kPkt, buf: data, base: regionBase(regPkt), name: "packet"}
		if typ == sim.ProgXDP {
			m.ctxKind = ctxXDP
			m.ctxBuf = make([]byte, xdpSize)
			binary.LittleEndian.PutUint32(m.ctxBuf[xdpIngressIfidx:], 1)
		} else {
			m.ctxKind = ctxSkb
			b := make([]byte, skbSize)
			binary.LittleEndian.PutUint32(b[skbLen:], uint32(len(data)))
			binary.LittleEndian.PutUint32(b[skbPktType:], pktType(m.pkt))
			// skb->protocol is __be16: the EtherType bytes as they are.
			binary.LittleEndian.PutUint32(b[skbProtocol:], uint32(m.pkt[12])|uint32(m.pkt[13])<<8)
			binary.LittleEndian.PutUint32(b[skbIfindex:], 1)
			m.ctxBuf = b
		}
	default:
		m.ctxKind = ctxRaw
		m.ctxBuf = append([]byte(nil), m.opt.Ctx...)
		if m.opt.Ctx == nil {
			m.ctxBuf = make([]byte, 64)
		}
	}
	m.regions[regCtx] = region{kind: kCtx, buf: m.ctxBuf, base: regionBase(regCtx), name: "ctx"}
	return nil
}

// pktType is what eth_type_trans decides on the loopback device (whose
// address is all zeros).
func pktType(f []byte) uint32 {
	// The loopback device's address and its broadcast address are both
	// all zeros, so ff:ff:ff:ff:ff:ff counts as multicast there.
	dst := f[:6]
	zero := true
	for _, c := range dst {
		if c != 0 {
			zero = false
		}
	}
	switch {
	case zero:
		return 0 // PACKET_HOST
	case dst[0]&1 != 0:
		return 2 // PACKET_MULTICAST
	}
	return 3 // PACKET_OTHERHOST
}

func (m *Machine) ctxFail(pc, off, size int) bool {
	return m.fail(pc, fmt.Sprintf("invalid bpf_context access off=%d size=%d", off, size),
		fmt.Sprintf("A %s program may not access its context at offset %d with %d bytes.", m.entry.typ, off, size))
}

func (m *Machine) ctxPtrCheck(r uint8, pc int) bool {
	if d := int64(m.regs[r] - m.regions[regCtx].base); d != 0 {
		return m.fail(pc, fmt.Sprintf("dereference of modified ctx ptr R%d off=%d disallowed", r, d),
			"Context fields are read through the unchanged ctx pointer with a constant offset.")
	}
	return true
}

// ctxLoad reads a context field.
func (m *Machine) ctxLoad(in *insn, pc int) (uint64, uint32, bool) {
	if !m.ctxPtrCheck(in.src, pc) {
		return 0, 0, false
	}
	off, size := int(in.off), int(in.size)
	if off < 0 || off+size > len(m.ctxBuf) || off%size != 0 {
		return 0, 0, m.ctxFail(pc, off, size)
	}
	pkt := &m.regions[regPkt]
	switch m.ctxKind {
	case ctxXDP:
		if size != 4 || in.op == opLdxSX {
			return 0, 0, m.ctxFail(pc, off, size)
		}
		switch off {
		case xdpData:
			return pkt.base, mkProv(kPkt, regPkt), true
		case xdpDataEnd:
			return pkt.base + uint64(len(pkt.buf)), mkProv(kPktEnd, regPkt), true
		case xdpDataMeta:
			return pkt.base, mkProv(kPktMeta, regPkt), true
		}
	case ctxSkb:
		tc := m.entry.typ != sim.ProgSocketFilter
		switch {
		case off >= skbData && off < skbDataEnd+4, off >= skbDataMeta && off < skbDataMeta+4:
			if !tc || size != 4 || in.op == opLdxSX {
				return 0, 0, m.ctxFail(pc, off, size)
			}
			switch off {
			case skbData:
				return pkt.base, mkProv(kPkt, regPkt), true
			case skbDataEnd:
				return pkt.base + uint64(len(pkt.buf)), mkProv(kPktEnd, regPkt), true
			default:
				return pkt.base, mkProv(kPktMeta, regPkt), true
			}
		case off >= skbFlowKeys && off < skbTstamp, off >= skbSk && off < skbGsoSize:
			return 0, 0, m.ctxFail(pc, off, size)
		case off >= skbTstamp && off < skbWireLen, off >= skbHwtstamp:
			if !tc || size != 8 {
				return 0, 0, m.ctxFail(pc, off, size)
			}
		case off >= skbCB && off < skbHash:
		case !tc && (off >= skbTCClassid && off < skbData || off >= skbFamily && off < skbLocalPortEnd || off >= skbWireLen && off < skbGsoSegs):
			return 0, 0, m.ctxFail(pc, off, size)
		case off >= skbTstampType && off < skbHwtstamp:
			if off != skbTstampType || size != 1 {
				return 0, 0, m.ctxFail(pc, off, size)
			}
		default:
			if size > 4 {
				return 0, 0, m.ctxFail(pc, off, size)
			}
		}
	}
	return loadN(m.ctxBuf[off : off+size]), provScalar, true
}

// ctxStore writes a context field.
func (m *Machine) ctxStore(in *insn, v uint64, pc int) bool {
	if !m.ctxPtrCheck(in.dst, pc) {
		return false
	}
	off, size := int(in.off), int(in.size)
	if m.ctxKind != ctxSkb || off < 0 || off+size > len(m.ctxBuf) || off%size != 0 {
		return m.ctxFail(pc, off, size)
	}
	tc := m.entry.typ != sim.ProgSocketFilter
	switch {
	case off >= skbCB && off+size <= skbHash:
	case tc && size == 4 && (off == skbMark || off == skbPriority || off == skbTCIndex || off == skbTCClassid || off == skbQueueMapping):
	case tc && size == 8 && off == skbTstamp:
	default:
		return m.ctxFail(pc, off, size)
	}
	storeN(m.ctxBuf[off:off+size], v)
	if m.emitInsn {
		m.w.Emit(MemEvent{Prog: m.prog.name, PC: pc, Region: "ctx", Off: off, Data: fmt.Sprintf("%x", m.ctxBuf[off:off+size])})
	}
	return true
}
