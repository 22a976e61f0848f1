package scenario

import (
	"fmt"
	"strings"

	"github.com/bpfplay/bpfplay/sim"
)

// This file connects statements to family-specific APIs of sim: the queue
// helpers, bpffs and the ring buffer.

// progLookupPercpu is bpf_map_lookup_percpu_elem.
func progLookupPercpu(m *sim.Map, key []byte, cpu uint64) ([]byte, sim.Errno, error) {
	v, e := m.ProgLookupPercpu(key, int(min(cpu, 1<<31)))
	return v, e, nil
}

// progPush is bpf_map_push_elem.
func progPush(m *sim.Map, value []byte, flags uint64) (sim.Errno, error) {
	return m.ProgPush(value, flags), nil
}

// progPopPeek is bpf_map_pop_elem or bpf_map_peek_elem.
func progPopPeek(m *sim.Map, pop bool) ([]byte, sim.Errno, error) {
	if pop {
		v, e := m.ProgPop()
		return v, e, nil
	}
	v, e := m.ProgPeek()
	return v, e, nil
}

// doPin performs the bpffs statements (sim/inode.go): BPF_OBJ_PIN,
// BPF_OBJ_GET, unlink, mkdir and rmdir.
func (ex *executor) doPin(s *Stmt, step *Step) error {
	st := ex.st
	w := st.w
	st.sealed = true
	switch s.Op {
	case "pin":
		name := s.Args[0].Tok.Text
		b, ok := st.names[name]
		if !ok {
			return ex.errAt(s, s.Args[0].Tok.Col, "undefined map or program %q", name)
		}
		step.Map = name
		step.Errno = w.Pin(b.fd, s.Args[1].Tok.Text)
	case "get":
		name := s.Args[1].Tok.Text
		step.Map = name
		fd, e := w.ObjGet(s.Args[0].Tok.Text)
		step.Errno = e
		if e != sim.OK {
			return nil
		}
		if _, me := w.MapByFD(fd); me == sim.OK {
			st.bind(name, binding{fd: fd})
		} else {
			st.bind(name, binding{fd: fd, prog: true})
		}
	case "unpin":
		step.Errno = w.Unpin(s.Args[0].Tok.Text)
	case "mkdir":
		step.Errno = w.Mkdir(s.Args[0].Tok.Text)
	case "rmdir":
		step.Errno = w.Rmdir(s.Args[0].Tok.Text)
	}
	return nil
}

func cloneHandle(h any) any {
	if r, ok := h.(sim.RingReservation); ok {
		r.Payload = append([]byte(nil), r.Payload...)
		return r
	}
	return h
}

func (ex *executor) doRingbuf(s *Stmt, step *Step) error {
	st := ex.st
	m, err := ex.mapArg(s, 0, step)
	if err != nil {
		return err
	}
	resArg := func() (*reservation, sim.RingReservation, error) {
		a := s.Args[1]
		r, ok := st.res[a.Lit.Int]
		if !ok {
			return nil, sim.RingReservation{}, ex.errAt(s, a.Tok.Col, "no reservation %s", a.Tok.Text)
		}
		if r.mapName != m.Name {
			return nil, sim.RingReservation{}, ex.errAt(s, a.Tok.Col, "reservation %s is in %s, not %s", a.Tok.Text, r.mapName, m.Name)
		}
		h, _ := r.handle.(sim.RingReservation)
		return r, h, nil
	}
	switch s.Op {
	case "bpf reserve":
		res, e := m.RingReserve(s.Args[1].Num, flagsArg(s, 2))
		step.Errno = e
		if e == sim.OK {
			st.nres++
			st.res[st.nres] = &reservation{mapName: m.Name, handle: res, size: int(res.Size)}
			step.Res = st.nres
			step.Display = fmt.Sprintf("#%d", st.nres)
		}
	case "bpf submit", "bpf discard":
		r, h, err := resArg()
		if err != nil {
			return err
		}
		payload := h.Payload
		if s.Op == "bpf submit" && len(s.Args) > 2 {
			a := s.Args[2]
			if a.Kind == ArgValue {
				b, err := a.Lit.Encode(r.size)
				if err != nil {
					return ex.errAt(s, a.Tok.Col, "record of %d bytes: %v", r.size, err)
				}
				payload = b
			}
		}
		if s.Op == "bpf submit" {
			step.Errno = m.RingSubmit(h, payload)
		} else {
			step.Errno = m.RingDiscard(h)
		}
		if step.Errno == sim.OK {
			r.done = true
		}
	case "bpf output":
		b, err := s.Args[1].Lit.EncodeUnsized()
		if err != nil {
			return ex.errAt(s, s.Args[1].Tok.Col, "%v", err)
		}
		step.Errno = m.RingOutput(b, flagsArg(s, 2))
	case "consume":
		recs := m.RingConsume()
		if m.Ringbuf() == nil {
			return ex.errAt(s, s.Args[0].Tok.Col, "%s is not a ring buffer", m.Name)
		}
		step.Records = [][]byte{}
		parts := make([]string, 0, len(recs))
		for _, r := range recs {
			step.Records = append(step.Records, append([]byte{}, r.Data...))
			parts = append(parts, FormatBytes(r.Data))
		}
		step.Display = strings.Join(parts, " ")
	case "consumer":
		step.Errno = m.RingSetConsumer(s.Args[1].Num)
	case "bpf ringbuf_query":
		if m.Ringbuf() == nil {
			return ex.errAt(s, s.Args[0].Tok.Col, "%s is not a ring buffer", m.Name)
		}
		v := m.RingQuery(ringbufQueryFlags[s.Args[1].Tok.Text])
		step.Ret = &v
		step.Display = fmt.Sprint(v)
	}
	return nil
}
