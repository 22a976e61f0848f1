package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/bpfplay/bpfplay/lessons"
)

// lessonCLI runs `bpfplay lesson ARGS...` and returns the exit status and
// what it printed.
func lessonCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	oldOut, oldErr := stdout, stderr
	stdout, stderr = &out, &errb
	defer func() { stdout, stderr = oldOut, oldErr }()
	code := dispatch(append([]string{"lesson"}, args...))
	return code, out.String(), errb.String()
}

func TestLessonList(t *testing.T) {
	code, out, errs := lessonCLI(t, "list")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(lessons.All()) {
		t.Fatalf("%d lines for %d lessons:\n%s", len(lines), len(lessons.All()), out)
	}
	f := strings.Fields(lines[0])
	if f[0] != "hash-buckets" || f[1] != "en,zh-CN" || !strings.Contains(lines[0], "001 §哈希表映射") {
		t.Errorf("first line %q: want id, languages, seed topics", lines[0])
	}

	code, out, _ = lessonCLI(t, "list", "--json")
	if code != 0 {
		t.Fatalf("list --json: exit %d", code)
	}
	var got []struct {
		ID        string            `json:"id"`
		Languages []string          `json:"languages"`
		Seeds     []string          `json:"seeds"`
		Title     map[string]string `json:"title"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("list --json: %v\n%s", err, out)
	}
	if len(got) != len(lessons.All()) || got[2].ID != "get-next-key" || got[2].Title["zh-CN"] == "" || len(got[2].Languages) != 2 {
		t.Errorf("list --json: %+v", got)
	}
}

func TestLessonRun(t *testing.T) {
	code, out, errs := lessonCLI(t, "run", "get-next-key", "--lang", "zh")
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errs, out)
	}
	for _, want := range []string{"get_next_key 的重新开始", "--- restart ---", "next my_map 2 => 1", "键 1 被返回了两次"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	code, out, _ = lessonCLI(t, "run", "--lang=en", "lpm-match")
	if code != 0 || !strings.Contains(out, "192.168.1.1 matches 192.168.1.0/24") {
		t.Errorf("run lpm-match --lang=en: exit %d", code)
	}
}

func TestLessonRunErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"run"},
		{"run", "no-such-lesson"},
		{"run", "hash-buckets", "--lang", "fr"},
		{"run", "hash-buckets", "--lang"},
		{"run", "hash-buckets", "lpm-match"},
		{"list", "extra"},
		{"frobnicate"},
	} {
		if code, _, errs := lessonCLI(t, args...); code != 2 || errs == "" {
			t.Errorf("lesson %q: exit %d, stderr %q; want 2 and a message", args, code, errs)
		}
	}
}

// A failing expectation exits 1 and a statement that cannot run exits 2.
func TestPlayLessonFailures(t *testing.T) {
	mk := func(script string) *lessons.Lesson {
		return &lessons.Lesson{ID: "t", Script: script, Text: map[string]*lessons.Text{
			"en": {Title: "T", Summary: "s", Intro: "i", Notes: map[string]string{}, Outro: "o"},
		}}
	}
	var out, errb bytes.Buffer
	if code := playLesson(&out, &errb, mk("map h type=hash key=4 value=8 max=4\nlookup h 1 => 5\n"), "en"); code != 1 {
		t.Errorf("failed expectation: exit %d, want 1\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "FAIL: expected 5, got ENOENT") {
		t.Errorf("no FAIL line:\n%s", out.String())
	}
	out.Reset()
	if code := playLesson(&out, &errb, mk("lookup nothing 1\n"), "en"); code != 2 {
		t.Errorf("undefined map: exit %d, want 2", code)
	}
	if code := playLesson(&out, &errb, mk("frobnicate\n"), "en"); code != 2 {
		t.Errorf("parse error: exit %d, want 2", code)
	}
}
