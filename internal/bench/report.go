package bench

import (
	"fmt"
	"strings"
	"time"
)

// Verdict says how a row compares with its target.
type Verdict int

// Verdicts of a row.
const (
	Reported Verdict = iota // no target: the number is reported
	Met                     // the target is met
	Missed                  // the target is missed
	Failed                  // the measurement itself failed
)

// String is the verdict as the table's "met" column shows it.
func (v Verdict) String() string {
	switch v {
	case Met:
		return "yes"
	case Missed:
		return "**no**"
	case Failed:
		return "**failed**"
	}
	return "—"
}

// verdict returns Met when ok, else Missed.
func verdict(ok bool) Verdict {
	if ok {
		return Met
	}
	return Missed
}

// Row is one line of the table.
type Row struct {
	Name     string  // what the row is called in the issue
	Measures string  // what was measured
	Result   string  // the measured numbers
	Target   string  // the promise, or "reported"
	Verdict  Verdict //
	Bound    string  // what bounds the row, for BENCHMARKS.md
}

// LanguageRow is one example module in the per-language table.
type LanguageRow struct {
	Language string
	Size     int           // bytes of the uploaded module
	Cold     time.Duration // a login on a new instance: instantiate, _initialize, call
	Init     time.Duration // the new instance's _initialize alone
	Warm     time.Duration // a login on a pooled instance
	Fuel     int64         // fuel of one login
	InitFuel int64         // fuel of _initialize
}

// Report is the outcome of a Run.
type Report struct {
	Machine   Machine
	Started   time.Time
	Elapsed   time.Duration
	Command   string
	Rows      []Row
	Languages []LanguageRow
	Notes     []string // anything worth knowing about the run
}

// OK reports whether every row met its target or was only reported.
func (r *Report) OK() bool {
	for _, row := range r.Rows {
		if row.Verdict == Missed || row.Verdict == Failed {
			return false
		}
	}
	return true
}

// Table returns the results as one markdown table.
func (r *Report) Table() string {
	var b strings.Builder
	b.WriteString("| row | measures | result | target | met |\n| --- | --- | --- | --- | --- |\n")
	for _, row := range r.Rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", cell(row.Name), cell(row.Measures), cell(row.Result), cell(row.Target), row.Verdict)
	}
	return b.String()
}

// LanguageTable returns the per-language table in markdown.
func (r *Report) LanguageTable() string {
	var b strings.Builder
	b.WriteString("| language | module size | cold instance (login) | of which _initialize | warm login | fuel per login | fuel of _initialize |\n")
	b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, l := range r.Languages {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", l.Language, fmtBytes(int64(l.Size)),
			fmtDur(l.Cold), fmtDur(l.Init), fmtDur(l.Warm), fmtCount(l.Fuel), fmtCount(l.InitFuel))
	}
	return b.String()
}

// Markdown returns the whole report: the machine, the table, the
// per-language table and what bounds each row.
func (r *Report) Markdown() string {
	var b strings.Builder
	b.WriteString("# wasmauth benchmarks\n\n")
	fmt.Fprintf(&b, "Command: `%s`, started %s, took %s.\n\n", r.Command, r.Started.UTC().Format(time.RFC3339), r.Elapsed.Round(time.Second))
	fmt.Fprintf(&b, "Machine: %s.\n\n", r.Machine)
	b.WriteString(r.Table())
	if len(r.Languages) > 0 {
		b.WriteString("\n## Example modules\n\n")
		b.WriteString("One login of the seed user dave (salted SHA-256, so the script's own work shows) on the examples' SQLite legacy.db, through the engine as the server calls it; times are medians.\n\n")
		b.WriteString(r.LanguageTable())
	}
	if len(r.Notes) > 0 {
		b.WriteString("\n## Notes on this run\n\n")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	b.WriteString("\n## What bounds each row\n\n")
	for _, row := range r.Rows {
		if row.Bound != "" {
			fmt.Fprintf(&b, "- **%s**: %s\n", row.Name, row.Bound)
		}
	}
	return b.String()
}

// cell makes s safe inside a markdown table cell.
func cell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}

// fmtDur formats d with three significant digits in a fitting unit.
func fmtDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "—"
	case d < time.Millisecond:
		return fmt.Sprintf("%.3g µs", float64(d)/float64(time.Microsecond))
	case d < time.Second:
		return fmt.Sprintf("%.3g ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.3g s", d.Seconds())
}

// fmtBytes formats a size in KiB or MiB.
func fmtBytes(n int64) string {
	switch {
	case n < 0:
		return "-" + fmtBytes(-n)
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// signedBytes formats a difference of sizes with its sign, +1.0 MiB or -1.0 MiB.
func signedBytes(n int64) string {
	if n < 0 {
		return fmtBytes(n)
	}
	return "+" + fmtBytes(n)
}

// fmtCount formats a count with thousands separators.
func fmtCount(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + fmtCount(-n)
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// fmtRate formats a rate per second.
func fmtRate(perSecond float64) string {
	if perSecond >= 100 {
		return fmt.Sprintf("%.0f/s", perSecond)
	}
	return fmt.Sprintf("%.1f/s", perSecond)
}
