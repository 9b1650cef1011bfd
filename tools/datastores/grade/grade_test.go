package grade

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func fail(check string, s Severity) Finding { return Finding{Check: check, Severity: s, Status: Fail} }

func TestScoreCountsEachFailingCheckOnceAtItsWorstSeverity(t *testing.T) {
	for _, tc := range []struct {
		name     string
		findings []Finding
		score    int
	}{
		{"nothing failed", []Finding{{Check: "tls-disabled", Severity: Critical, Status: Pass}, {Check: "key-permissions", Severity: High, Status: Unknown}}, 100},
		{"one of each", []Finding{fail("a", Critical), fail("b", High), fail("c", Medium), fail("d", Low), fail("e", Info)}, 100 - 40 - 20 - 8 - 2},
		{"the same check on fourteen servers counts once", func() []Finding {
			var fs []Finding
			for range 14 {
				fs = append(fs, fail("password-weak", High))
			}
			return fs
		}(), 80},
		{"a check counts at its worst severity", []Finding{fail("cert-names", Medium), fail("cert-names", High)}, 80},
		{"never below zero", []Finding{fail("a", Critical), fail("b", Critical), fail("c", Critical)}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.score, Score(tc.findings))
		})
	}
}

func TestLetterBoundaries(t *testing.T) {
	for score, letter := range map[int]string{100: "A", 95: "A", 94: "B", 80: "B", 79: "C", 65: "C", 64: "D", 50: "D", 49: "F", 0: "F"} {
		assert.Equal(t, letter, Letter(score), "score %d", score)
	}
}

func TestBelow(t *testing.T) {
	for _, tc := range []struct {
		grade, threshold string
		below            bool
	}{
		{"A", "A", false}, {"B", "A", true}, {"B", "b", false}, {"C", "B", true}, {"F", "D", true}, {"A", "F", false},
	} {
		got, err := Below(tc.grade, tc.threshold)
		assert.NoError(t, err)
		assert.Equal(t, tc.below, got, "%s below %s", tc.grade, tc.threshold)
	}
	_, err := Below("A", "E")
	assert.Error(t, err, "there is no grade E")
}

func TestReportListsFailuresFirstWorstFirst(t *testing.T) {
	r := NewReport(nil, []Finding{
		{Check: "a", Severity: Critical, Status: Pass},
		fail("b", Medium),
		{Check: "c", Severity: High, Status: Unknown},
		fail("d", Critical),
	})
	var order []string
	for _, f := range r.Findings {
		order = append(order, f.Check)
	}
	assert.Equal(t, []string{"d", "b", "c", "a"}, order)
	assert.Equal(t, 52, r.Score)
	assert.Equal(t, "D", r.Grade)
}
