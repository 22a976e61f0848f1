package web

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/bpfplay/bpfplay/sim"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

func init() {
	familyViews = append(familyViews, queueView, ringbufView, progArrayView, mapInMapView, arrayView)
}

// arrayView marks the index this step used on top of the generic table.
func arrayView(a *App, m *sim.Map, name string, st StepView, focus bool) app.UI {
	if _, ok := m.Ops().(*sim.Arraymap); !ok {
		return nil
	}
	var idx []app.UI
	if focus {
		for _, e := range st.Events {
			if e, ok := e.(sim.ArrayIndexEvent); ok && e.Map == m.Name {
				mark := "✓"
				if !e.InRange {
					mark = "✗"
				}
				idx = append(idx, el("p").Class("bp-calc").DataSet("index", e.Index).Text(mark+" "+e.String()))
			}
		}
	}
	return app.Div().Body(append(idx, a.genericMap(m, name, st, focus))...)
}

// queueView draws a queue or stack as its ring of max_entries+1 slots with
// head and tail.
func queueView(a *App, m *sim.Map, name string, st StepView, focus bool) app.UI {
	q, ok := m.Ops().(*sim.QueueStack)
	if !ok {
		return nil
	}
	v := q.View()
	live := map[uint32][]byte{}
	order := map[uint32]int{}
	for i, s := range v.Slots {
		live[s.Index] = s.Value
		order[s.Index] = i
	}
	touched := map[uint32]string{}
	if focus {
		for _, e := range st.Events {
			if e, ok := e.(sim.QueueEvent); ok && e.Map == m.Name {
				touched[e.Slot] = e.Action
			}
		}
	}
	n := int(v.Size)
	shown := min(n, 64)
	d := newSVG(max(300, 20+shown*62), 84, fmt.Sprintf("%s %s", ternary(v.Stack, a.t("stackRing"), a.t("queueRing")), name))
	var vals []string
	for i := 0; i < shown; i++ {
		x := 10 + i*62
		val, ok := live[uint32(i)]
		fill := colInactiv
		text := "·"
		if ok {
			fill, text = colBox, shortBytes(val)
		}
		if act, ok := touched[uint32(i)]; ok {
			fill = colNew
			text = ternary(act == "write", "+", "−") + text
		}
		d.open("g", "data-slot", strconv.Itoa(i), "data-live", ternary(ok, "1", "0"))
		d.rect(x, 24, 58, 28, fill, colLine, "rx", "3")
		d.text(x+4, 42, clip(text, 8), "fill", colText)
		d.text(x+4, 18, strconv.Itoa(i), "fill", colMuted, "font-size", "10")
		if uint32(i) == v.Head {
			d.text(x+4, 68, "head▲", "fill", colAccent, "font-size", "10")
		}
		if uint32(i) == v.Tail {
			d.text(x+4, 80, "tail▲", "fill", colWarn, "font-size", "10")
		}
		d.close("g")
	}
	for _, s := range v.Slots {
		vals = append(vals, hex.EncodeToString(s.Value))
	}
	var out htmlDoc
	out.open("div", "id", "bp-queue-"+m.Name, "data-values", strings.Join(vals, " ")).
		elem("p", fmt.Sprintf(a.t("queueFacts"), v.Len, v.Size, v.Head, v.Tail,
			ternary(v.Stack, a.t("stackOrder"), a.t("queueOrder"))), "class", "bp-legend")
	d.writeTo(&out, "")
	return out.close("div").UI()
}

// ringbufView draws the data area's records from consumer to producer.
func ringbufView(a *App, m *sim.Map, name string, st StepView, focus bool) app.UI {
	r, ok := m.Ops().(*sim.Ringbuf)
	if !ok {
		return nil
	}
	v := r.View()
	const width = 640
	d := newSVG(width+20, 70, fmt.Sprintf("%s %s", a.t("ringbuf"), name))
	d.rect(10, 20, width, 26, colInactiv, colLine)
	scale := func(off uint64) int { return 10 + int(off*uint64(width)/max(v.Size, 1)) }
	for _, rec := range v.Records {
		x := scale(rec.Offset)
		w := max(4, scale(rec.Offset+uint64(rec.Len)+8)-x)
		fill, tag := colBox, "✓"
		if rec.Busy {
			fill, tag = colCur, "busy"
		} else if rec.Discard {
			fill, tag = colGone, "✗"
		}
		d.open("g", "data-pos", strconv.FormatUint(rec.Pos, 10), "data-len", strconv.Itoa(int(rec.Len)), "data-busy", ternary(rec.Busy, "1", "0"), "data-discard", ternary(rec.Discard, "1", "0"))
		d.rect(x, 20, w, 26, fill, colAccent)
		d.text(x+2, 37, clip(tag+strconv.Itoa(int(rec.Len)), max(1, w/7)), "fill", colText, "font-size", "10")
		d.close("g")
	}
	d.text(scale(v.Consumer&(v.Size-1)), 14, "C▼", "fill", colAccent, "font-size", "10")
	d.text(scale(v.Producer&(v.Size-1)), 62, "P▲", "fill", colWarn, "font-size", "10")
	var out htmlDoc
	out.open("div", "id", "bp-ringbuf-"+m.Name).
		elem("p", fmt.Sprintf("size %d · consumer %d · producer %d · pending %d · %s %d",
			v.Size, v.Consumer, v.Producer, v.Pending, a.t("records"), len(v.Records)), "class", "bp-legend")
	d.writeTo(&out, "")
	return out.elem("p", a.t("ringLegend"), "class", "bp-legend").close("div").UI()
}

// progArrayView draws the slots of a program array and this step's
// tail-call chain (from the interpreter's tail-call events).
func progArrayView(a *App, m *sim.Map, name string, st StepView, focus bool) app.UI {
	p, ok := m.Ops().(*sim.ProgArray)
	if !ok {
		return nil
	}
	v := p.View()
	var d htmlDoc
	d.open("div", "id", "bp-progarray-"+m.Name)
	if v.Owner != "" {
		d.elem("p", a.t("owner")+": "+v.Owner, "class", "bp-legend")
	}
	d.open("table", "class", "bp-table").elem("caption", a.t("slots")).open("tbody")
	for _, s := range v.Slots {
		prog := s.Prog
		if prog == "" {
			prog = "∅ " + a.t("empty")
		}
		idx := strconv.FormatUint(uint64(s.Index), 10)
		d.open("tr", "data-slot", idx, "data-prog", s.Prog).
			elem("th", idx, "scope", "row").elem("td", prog).close("tr")
	}
	return d.close("tbody").close("table").close("div").UI()
}

// mapInMapView lists the inner maps of array_of_maps / hash_of_maps.
func mapInMapView(a *App, m *sim.Map, name string, st StepView, focus bool) app.UI {
	var v sim.MapInMapView
	switch o := m.Ops().(type) {
	case *sim.ArrayOfMaps:
		v = o.View()
	case *sim.HashOfMaps:
		v = o.View()
	default:
		return nil
	}
	var d htmlDoc
	d.open("div").elem("p", a.t("template")+": "+v.Template, "class", "bp-legend").
		open("table", "class", "bp-table").
		open("thead").open("tr").elem("th", a.t("key"), "scope", "col").elem("th", a.t("innerMap"), "scope", "col").close("tr").close("thead").
		open("tbody")
	for _, s := range v.Slots {
		d.open("tr", "data-key", hex.EncodeToString(s.Key)).
			open("td").elem("code", shortBytes(s.Key)).close("td").
			elem("td", fmt.Sprintf("%s (id %d)", s.InnerName, s.InnerID)).close("tr")
	}
	return d.close("tbody").close("table").close("div").UI()
}
