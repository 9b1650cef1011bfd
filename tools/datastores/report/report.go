// Package report writes an audit's report as text (for a terminal), JSON (for tools) or
// Markdown (for a pull request or a wiki page).
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/datastores/datastores/tools/datastores/grade"
)

// Formats are the names Write accepts.
var Formats = []string{"text", "json", "markdown"}

// Write renders r in format. verbose lists passing checks too (text and markdown; JSON always
// has every finding).
func Write(w io.Writer, r grade.Report, format string, verbose bool) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case "markdown":
		return markdown(w, r, verbose)
	case "text", "":
		return text(w, r, verbose)
	}
	return fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(Formats, ", "))
}

func counts(r grade.Report) (fail, unknown, pass int) {
	for _, f := range r.Findings {
		switch f.Status {
		case grade.Fail:
			fail++
		case grade.Unknown:
			unknown++
		default:
			pass++
		}
	}
	return
}

func text(w io.Writer, r grade.Report, verbose bool) error {
	fail, unknown, pass := counts(r)
	fmt.Fprintf(w, "Grade %s (score %d/100): %d failed, %d could not be checked, %d passed\n", r.Grade, r.Score, fail, unknown, pass)
	if len(r.Servers) == 0 {
		fmt.Fprintln(w, "No PostgreSQL or Redis server found.")
	} else {
		fmt.Fprintf(w, "Servers: %s\n", strings.Join(r.Servers, ", "))
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, f := range r.Findings {
		if f.Status == grade.Pass && !verbose {
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s: %s\n", strings.ToUpper(string(f.Status)), f.Severity, f.Check, f.Source, f.Target, f.Message)
		if f.Fix != "" {
			fmt.Fprintf(tw, "\t\t\t\tfix: %s\n", f.Fix)
		}
	}
	return tw.Flush()
}

func markdown(w io.Writer, r grade.Report, verbose bool) error {
	fail, unknown, pass := counts(r)
	fmt.Fprintf(w, "## Data plane audit: grade %s\n\n", r.Grade)
	fmt.Fprintf(w, "Score %d/100: %d failed, %d could not be checked, %d passed.\n\n", r.Score, fail, unknown, pass)
	if len(r.Servers) > 0 {
		fmt.Fprintf(w, "Servers: %s.\n\n", strings.Join(code(r.Servers), ", "))
	}
	fmt.Fprintln(w, "| Status | Severity | Check | Source | Target | Finding | Fix |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	for _, f := range r.Findings {
		if f.Status == grade.Pass && !verbose {
			continue
		}
		fmt.Fprintf(w, "| %s | %s | `%s` | %s | %s | %s | %s |\n", f.Status, f.Severity, f.Check, f.Source, cell(f.Target), cell(f.Message), cell(f.Fix))
	}
	return nil
}

func code(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = "`" + s + "`"
	}
	return out
}

// cell escapes what would end a Markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
