package sim

import (
	"encoding/json"
	"fmt"
)

// Event is one thing that happened inside an operation: a hash computed, a
// bucket walked, a node moved between LRU lists, an instruction executed.
// Every map family and the interpreter define their own event types next to
// the code that emits them, so adding a family never changes existing events.
//
// Kind is a stable, dotted machine name ("hash.bucket"); String is one line
// for people (bpfplay run --trace and the UI captions). Event structs have
// exported fields only (besides a blank noCompare), so they marshal to JSON
// as they are.
type Event interface {
	Kind() string
	String() string
}

// MarshalEvent encodes an event as a JSON object with its fields plus "kind".
func MarshalEvent(e Event) ([]byte, error) {
	raw, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	fields := map[string]json.RawMessage{}
	if len(raw) > 2 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &fields); err != nil {
			return nil, err
		}
	}
	kind, _ := json.Marshal(e.Kind())
	fields["kind"] = kind
	return json.Marshal(fields)
}

// EventSink receives events as they happen. A nil sink drops them, which is
// what benchmarks and bulk oracle runs use.
type EventSink func(Event)

// ErrnoEvent says that an operation failed and why, in the terms of the
// kernel check that failed. Every failing map operation emits one.
type ErrnoEvent struct {
	_ noCompare

	Map    string `json:"map,omitempty"`
	Op     string `json:"op"`
	Errno  Errno  `json:"-"`
	Name   string `json:"errno"`
	Reason string `json:"reason"`
}

func (ErrnoEvent) Kind() string { return "errno" }
func (e ErrnoEvent) String() string {
	return fmt.Sprintf("%s %s: %s (%s)", e.Op, e.Map, e.Name, e.Reason)
}

// NoteEvent is free text from a scenario or lesson, kept in the stream so
// that captions and traces line up with the operations around them.
type NoteEvent struct {
	_ noCompare

	Text string `json:"text"`
}

func (NoteEvent) Kind() string     { return "note" }
func (e NoteEvent) String() string { return e.Text }

// noCompare makes an event type incomparable (==). Events live in
// interfaces, and Go generates an equality function for every comparable
// struct that does: for the event types, about 30 KiB of app.wasm that
// nothing calls. Compare events with reflect.DeepEqual or their String.
type noCompare [0]func()
