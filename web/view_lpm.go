package web

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/bpfplay/bpfplay/sim"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

func init() { familyViews = append(familyViews, lpmView) }

// maxDrawnLPM bounds the nodes drawn; bigger tries show counts and the
// current descent only.
const maxDrawnLPM = 200

type lpmPlaced struct {
	n     *sim.LPMNodeView
	x, y  int
	px    int // parent's x (-1 for the root)
	py    int
	child int // which child of its parent (0/1)
}

// lpmBits writes hex data as bits, a space between bytes, with "│" after
// the first mark bits.
func lpmBits(hexData string, mark int) string {
	data, _ := hex.DecodeString(hexData)
	var b strings.Builder
	for i, c := range data {
		if i > 0 {
			b.WriteByte(' ')
		}
		for j := 7; j >= 0; j-- {
			if i*8+(7-j) == mark && mark > 0 {
				b.WriteString("│")
			}
			b.WriteByte('0' + c>>uint(j)&1)
		}
	}
	if mark == len(data)*8 && mark > 0 {
		b.WriteString("│")
	}
	return b.String()
}

// lpmView draws the trie: real nodes (solid, with values) and intermediate
// nodes (dashed, "im"), the key layout, and this step's descent bit by bit
// ending at the longest match.
func lpmView(a *App, m *sim.Map, name string, st StepView, focus bool) app.UI {
	t, ok := m.Ops().(*sim.LPMTrie)
	if !ok {
		return nil
	}
	var visits []sim.LPMVisitEvent
	var walks []sim.LPMWalkEvent
	var key *sim.LPMKeyEvent
	best := ""
	changed := map[string]string{}
	if focus {
		for _, e := range st.Events {
			switch e := e.(type) {
			case sim.LPMVisitEvent:
				if e.Map == m.Name {
					visits = append(visits, e)
				}
			case sim.LPMBestEvent:
				if e.Map == m.Name {
					best = e.Prefix
				}
			case sim.LPMNodeEvent:
				if e.Map == m.Name {
					changed[e.Prefix] = e.Action
				}
			case sim.LPMWalkEvent:
				if e.Map == m.Name {
					walks = append(walks, e)
				}
			case sim.LPMKeyEvent:
				if e.Map == m.Name {
					key = &e
				}
			}
		}
	}
	visitOrder := map[string]int{}
	for i, v := range visits {
		visitOrder[v.Node] = i + 1
	}
	real, im := t.Nodes()
	root := t.Root()
	var placed []lpmPlaced
	col := 0
	var place func(n *sim.LPMNodeView, depth, px, py, child int)
	place = func(n *sim.LPMNodeView, depth, px, py, child int) {
		if n == nil || len(placed) >= maxDrawnLPM {
			return
		}
		// In-order x: left subtree, node, right subtree.
		idx := len(placed)
		placed = append(placed, lpmPlaced{n: n, y: 30 + depth*56, px: px, py: py, child: child})
		place(n.Children[0], depth+1, -2, idx, 0)
		placed[idx].x = 20 + col*140
		col++
		place(n.Children[1], depth+1, -2, idx, 1)
	}
	place(root, 0, -1, -1, 0)
	maxY := 60
	for _, p := range placed {
		if p.y+40 > maxY {
			maxY = p.y + 40
		}
	}
	d := newSVG(max(420, 40+col*140), maxY, fmt.Sprintf("%s %s", a.t("lpmTrie"), name))
	for _, p := range placed {
		if p.py >= 0 {
			par := placed[p.py]
			d.line(par.x+65, par.y+30, p.x+65, p.y, colLine)
			d.text((par.x+p.x)/2+65, (par.y+30+p.y)/2, strconv.Itoa(p.child), "fill", colMuted, "font-size", "10")
		}
	}
	for _, p := range placed {
		n := p.n
		fill, dash := colBox, ""
		if n.IM {
			fill, dash = colInactiv, "4 3"
		}
		label := n.Prefix
		mark := ""
		if o, ok := visitOrder[n.Prefix]; ok {
			fill = colMatch
			mark = strconv.Itoa(o) + "·"
		}
		isBest := best != "" && n.Prefix == best
		if isBest {
			fill = colNew
			mark = "★" + mark
		}
		if act, ok := changed[n.Prefix]; ok {
			mark += act + " "
		}
		kv := []string{"data-prefix", n.Prefix, "data-im", ternary(n.IM, "1", "0")}
		if o, ok := visitOrder[n.Prefix]; ok {
			kv = append(kv, "data-visit", strconv.Itoa(o))
		}
		if isBest {
			kv = append(kv, "data-best", "1")
		}
		d.open("g", kv...)
		d.title(fmt.Sprintf("%s · prefixlen %d · data %s", n.Prefix, n.Prefixlen, hex.EncodeToString(n.Data)))
		if dash != "" {
			d.rect(p.x, p.y, 130, 30, fill, colLine, "rx", "4", "stroke-dasharray", dash)
		} else {
			d.rect(p.x, p.y, 130, 30, fill, colLine, "rx", "4")
		}
		d.text(p.x+4, p.y+13, clip(mark+label, 21), "fill", colText, "font-size", "11")
		sub := "im"
		if !n.IM {
			sub = "= " + shortBytes(n.Value)
		}
		d.text(p.x+4, p.y+26, clip(sub, 21), "fill", colMuted, "font-size", "10")
		d.close("g")
	}
	if root == nil {
		d.text(20, 30, "∅ "+a.t("empty"), "fill", colMuted)
	}
	// The view is static (no event handlers): one HTML fragment mounted with
	// app.Raw is far less wasm code than a go-app element tree.
	ended := ""
	if len(visits) > 0 {
		ended = visits[len(visits)-1].Node
	}
	var h htmlDoc
	h.open("div", "id", "bp-lpm-"+m.Name, "class", "bp-lpm", "data-best", best, "data-ended", ended).
		elem("p", fmt.Sprintf(a.t("lpmFacts"), real, im, t.MaxPrefixlen()), "class", "bp-legend").
		elem("p", fmt.Sprintf(a.t("lpmKeyLayout"), t.MaxPrefixlen()/8), "class", "bp-calc")
	if key != nil {
		// The key of this step and its data bits, with the point where the
		// descent stopped matching marked.
		text := fmt.Sprintf(a.t("lpmKey"), key.Op, key.Prefixlen, spaced(key.Data), key.Prefix)
		if len(visits) > 0 {
			matched := int(visits[len(visits)-1].Match)
			text += "\n" + fmt.Sprintf(a.t("lpmKeyBits"), matched) + "\n" + lpmBits(key.Data, matched)
		}
		h.elem("pre", text, "id", "bp-lpm-key", "class", "bp-calc",
			"data-prefixlen", strconv.FormatUint(uint64(key.Prefixlen), 10), "data-key", key.Data)
	}
	d.writeTo(&h, "bp-lpm-svg-"+m.Name)
	if len(visits) > 0 || len(walks) > 0 {
		h.open("ol", "id", "bp-lpm-steps", "class", "bp-legend")
		for _, v := range visits {
			line := fmt.Sprintf("%s%s: %d/%d %s", v.Node, ternary(v.IM, " (im)", ""), v.Match, v.Compared, a.t("bitsMatch"))
			if v.Next >= 0 {
				line += fmt.Sprintf(" → child[%d] (%s)", v.Next, v.Why)
			} else {
				line += " · " + v.Why
			}
			h.elem("li", line)
		}
		for _, w := range walks {
			h.elem("li", w.String())
		}
		h.close("ol")
	}
	if best != "" {
		h.elem("p", "★ "+a.t("longestMatch")+": "+best, "id", "bp-lpm-best")
	}
	h.elem("p", a.t("lpmLegend"), "class", "bp-legend")
	if focus {
		a.iterationHTML(&h, name, m)
	}
	return h.close("div").UI()
}
