package scenario

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

// The JSON contract of `bpfplay run --json`, written by hand from
// docs/scenario-language.md: one object per statement, in order, with
// "line", "op", "errno"; "value" (lowercase hex) on a successful lookup,
// peek, pop or lookup_and_delete; "key" on a successful next. Values are
// little-endian integers of the declared size.
func TestJSONContract(t *testing.T) {
	src := `# JSON golden cases

map h type=hash key=4 value=8 max=4 flags=zero_seed
update h 1 1234
lookup h 1
lookup h 2
next h
next h 1
update h 1 5 noexist
lookup_and_delete h 1
map q type=queue value=4 max=2
push q 7
peek q
pop q
pop q
map a type=array key=4 value=2 max=2
lookup_and_delete a 0
lookup a 1
bpf lookup a 1
map bad type=hash key=0 value=4 max=1
update h 3 u64:0x1122334455667788 => ENOENT
walk h
`
	want := []string{
		`{"line":3,"op":"map","errno":"OK"}`,
		`{"line":4,"op":"update","errno":"OK"}`,
		`{"line":5,"op":"lookup","errno":"OK","value":"d204000000000000"}`,
		`{"line":6,"op":"lookup","errno":"ENOENT"}`,
		`{"line":7,"op":"next","errno":"OK","key":"01000000"}`,
		`{"line":8,"op":"next","errno":"ENOENT"}`,
		`{"line":9,"op":"update","errno":"EEXIST"}`,
		`{"line":10,"op":"lookup_and_delete","errno":"OK","value":"d204000000000000"}`,
		`{"line":11,"op":"map","errno":"OK"}`,
		`{"line":12,"op":"push","errno":"OK"}`,
		`{"line":13,"op":"peek","errno":"OK","value":"07000000"}`,
		`{"line":14,"op":"pop","errno":"OK","value":"07000000"}`,
		`{"line":15,"op":"pop","errno":"ENOENT"}`,
		`{"line":16,"op":"map","errno":"OK"}`,
		`{"line":17,"op":"lookup_and_delete","errno":"ENOTSUPP"}`,
		`{"line":18,"op":"lookup","errno":"OK","value":"0000"}`,
		`{"line":19,"op":"bpf lookup","errno":"OK","value":"0000"}`,
		`{"line":20,"op":"map","errno":"EINVAL"}`,
		`{"line":21,"op":"update","errno":"OK","expect":"ENOENT","got":"OK","failed":true}`,
		`{"line":22,"op":"walk","errno":"OK","keys":["03000000"]}`,
	}
	tr := Run(mustParse(t, src), Options{})
	if len(tr.Steps) != len(want) {
		t.Fatalf("%d steps, want %d", len(tr.Steps), len(want))
	}
	for i, w := range want {
		if got := string(tr.Steps[i].JSON(false)); got != w {
			t.Errorf("step %d:\n got %s\nwant %s", i, got, w)
		}
	}
}

func TestJSONErrorAndEvents(t *testing.T) {
	tr := Run(mustParse(t, "lookup nosuch 1\nnote hi\n"), Options{})
	if got, w := string(tr.Steps[0].JSON(false)), `{"line":1,"op":"lookup","error":"t.bpfs:1:8: undefined map \"nosuch\""}`; got != w {
		t.Errorf("got %s\nwant %s", got, w)
	}
	if got, w := string(tr.Steps[1].JSON(true)), `{"line":2,"op":"note","errno":"OK","events":[{"kind":"note","text":"hi"}]}`; got != w {
		t.Errorf("got %s\nwant %s", got, w)
	}
}

func TestStepText(t *testing.T) {
	tr := Run(mustParse(t, "map h type=hash key=4 value=8 max=4\nupdate   h 1 1234\nlookup h 1   => 1234 # c\nlookup h 1 => 5\n"), Options{})
	if got := tr.Steps[1].Text; got != "update h 1 1234" {
		t.Errorf("text %q", got)
	}
	if got := tr.Steps[2].Result(); got != "OK 1234" {
		t.Errorf("result %q", got)
	}
	s := tr.Steps[3].String()
	if !strings.HasPrefix(s, "   4  lookup h 1 ") || !strings.HasSuffix(s, "OK 1234   FAILED: expected 5") {
		t.Errorf("line %q", s)
	}
}

// Hash is a digest of the JSON lines: with no events it can be computed
// from the hand-written contract lines, the same way on every platform.
func TestHashFromContract(t *testing.T) {
	src := "map h type=hash key=4 value=8 max=4 flags=zero_seed\nupdate h 1 1234\nlookup h 1\nnext h 1\n"
	lines := []string{
		`{"line":1,"op":"map","errno":"OK","events":[]}`,
		`{"line":2,"op":"update","errno":"OK","events":[]}`,
		`{"line":3,"op":"lookup","errno":"OK","value":"d204000000000000","events":[]}`,
		`{"line":4,"op":"next","errno":"ENOENT","events":[]}`,
	}
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n") + "\n"))
	if got, want := Run(mustParse(t, src), Options{NoEvents: true}).Hash(), hex.EncodeToString(sum[:]); got != want {
		t.Errorf("Hash = %s, want %s", got, want)
	}
}
