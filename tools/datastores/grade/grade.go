// Package grade defines what an audit reports (findings with a severity and a fix) and turns
// them into a letter grade, the way the source documents' checklist graded a platform by hand.
//
// Scoring, kept simple enough to do in one's head: start at 100; every check that fails takes
// off the weight of its worst severity, once, however many servers fail it (fourteen databases
// with the same fault are one fault to fix); checks that pass or could not run take off nothing.
package grade

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Severity orders findings; the zero value is Info.
type Severity int

const (
	Info Severity = iota
	Low
	Medium
	High
	Critical
)

var severityNames = []string{"info", "low", "medium", "high", "critical"}

func (s Severity) String() string { return severityNames[s] }

// Weight is what a failing check of this severity takes off the score.
func (s Severity) Weight() int {
	return [...]int{0, 2, 8, 20, 40}[s]
}

// ParseSeverity reads a severity name.
func ParseSeverity(name string) (Severity, error) {
	for i, n := range severityNames {
		if n == strings.ToLower(name) {
			return Severity(i), nil
		}
	}
	return Info, fmt.Errorf("unknown severity %q (want one of %s)", name, strings.Join(severityNames, ", "))
}

func (s Severity) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

func (s *Severity) UnmarshalJSON(b []byte) error {
	var name string
	if err := json.Unmarshal(b, &name); err != nil {
		return err
	}
	v, err := ParseSeverity(name)
	*s = v
	return err
}

// Status is the outcome of one check on one target.
type Status string

const (
	Pass    Status = "pass"
	Fail    Status = "fail"
	Unknown Status = "unknown" // the check could not run (no access, not in the manifests)
)

// Finding is one check's outcome on one target.
type Finding struct {
	Check    string   `json:"check"`    // the check's name, e.g. "plaintext-accepted"
	Title    string   `json:"title"`    // what a failure of the check means
	Severity Severity `json:"severity"` // of a failure; for pass and unknown, the check's usual severity
	Status   Status   `json:"status"`
	Target   string   `json:"target"` // what was checked: "postgres ns/name", "secret ns/name", "namespace ns"
	Source   string   `json:"source"` // where the evidence comes from: "manifest", "server" or "cluster"
	Message  string   `json:"message"`
	Fix      string   `json:"fix,omitempty"`
}

// Grades from best to worst, with the lowest score each needs.
var grades = []struct {
	letter string
	min    int
}{{"A", 95}, {"B", 80}, {"C", 65}, {"D", 50}, {"F", 0}}

// Report is an audit's result.
type Report struct {
	Grade    string    `json:"grade"`
	Score    int       `json:"score"`
	Servers  []string  `json:"servers"` // what the audit found, e.g. "postgres datastores/test-postgres-app"
	Findings []Finding `json:"findings"`
}

// NewReport sorts the findings (failures first, worst first) and grades them.
func NewReport(servers []string, findings []Finding) Report {
	rank := map[Status]int{Fail: 0, Unknown: 1, Pass: 2}
	sort.SliceStable(findings, func(i, j int) bool {
		a, b := findings[i], findings[j]
		if rank[a.Status] != rank[b.Status] {
			return rank[a.Status] < rank[b.Status]
		}
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.Check != b.Check {
			return a.Check < b.Check
		}
		return a.Target < b.Target
	})
	score := Score(findings)
	return Report{Grade: Letter(score), Score: score, Servers: servers, Findings: findings}
}

// Score is 100 minus the weight of each failing check's worst severity, at least 0.
func Score(findings []Finding) int {
	worst := map[string]Severity{}
	for _, f := range findings {
		if f.Status == Fail && f.Severity >= worst[f.Check] {
			worst[f.Check] = f.Severity
		}
	}
	score := 100
	for _, s := range worst {
		score -= s.Weight()
	}
	return max(score, 0)
}

// Letter is the grade of a score.
func Letter(score int) string {
	for _, g := range grades {
		if score >= g.min {
			return g.letter
		}
	}
	return "F"
}

// Below reports whether grade is worse than threshold ("A".."F"); an unknown threshold is an error.
func Below(grade, threshold string) (bool, error) {
	pos := func(letter string) int {
		for i, g := range grades {
			if g.letter == strings.ToUpper(letter) {
				return i
			}
		}
		return -1
	}
	t := pos(threshold)
	if t < 0 {
		return false, fmt.Errorf("--fail-under %q: want one of A, B, C, D, F", threshold)
	}
	return pos(grade) > t, nil
}

// Failed returns the failing findings.
func (r Report) Failed() []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Status == Fail {
			out = append(out, f)
		}
	}
	return out
}

// Has reports whether the check failed on any target.
func (r Report) Has(check string) bool {
	for _, f := range r.Findings {
		if f.Status == Fail && f.Check == check {
			return true
		}
	}
	return false
}
