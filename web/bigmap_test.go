package web

import (
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/bpfplay/bpfplay/sim"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// TestBigHashMapStaysUsable: a 65,536-entry hash map is drawn as an
// occupancy summary (plus the touched bucket), not 65,536 rows, and the
// summary's chain-length histogram adds up to the simulator's buckets.
func TestBigHashMapStaysUsable(t *testing.T) {
	w := sim.NewWorld(sim.Config{})
	m, e := w.CreateMap(sim.MapAttr{Name: "big", Type: sim.MapHash, KeySize: 4, ValueSize: 8, MaxEntries: 65536, Flags: sim.FlagZeroSeed})
	if e != sim.OK {
		t.Fatalf("create: %v", e)
	}
	key, val := make([]byte, 4), make([]byte, 8)
	for i := 0; i < 65536; i++ {
		binary.LittleEndian.PutUint32(key, uint32(i))
		if e := m.Update(key, val, 0); e != sim.OK {
			t.Fatalf("update %d: %v", i, e)
		}
	}
	h := m.Ops().(*sim.Hashtab)
	binary.LittleEndian.PutUint32(key, 12345)
	b := h.BucketOf(key)
	st := StepView{Line: 1, Text: "lookup big 12345", Op: "lookup", Map: "big",
		Events: []sim.Event{sim.HashComputedEvent{Map: "big", Bucket: b, NBuckets: h.NBuckets()}}}
	a := &App{}
	a.loc.Lang = "en"
	start := time.Now()
	html := app.HTMLString(hashView(a, m, "big", st, true))
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("drawing took %v", d)
	}
	if !strings.Contains(html, `id="bp-occupancy-big"`) {
		t.Fatal("no occupancy summary")
	}
	if n := strings.Count(html, "<g data-bucket="); n != 1 {
		t.Errorf("%d bucket rows drawn, want only the touched one", n)
	}
	if len(html) > 200<<10 {
		t.Errorf("the view is %d KiB", len(html)>>10)
	}
	// The histogram counts every bucket once.
	lens := h.BucketLens(nil)
	if len(lens) != int(h.NBuckets()) {
		t.Fatalf("BucketLens gave %d buckets", len(lens))
	}
}
