package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	goruntime "runtime"
	"strconv"
	"strings"
)

// Machine describes where a run happened.
type Machine struct {
	CPUs       int        // logical CPUs (what nproc prints)
	GOMAXPROCS int        // Go's processors
	CPUModel   string     // "model name" of /proc/cpuinfo, or "unknown"
	GoVersion  string     // the toolchain that built the program
	OSArch     string     // GOOS/GOARCH
	LoadStart  [3]float64 // load averages (1, 5, 15 min) when the run began
	LoadEnd    [3]float64 // and when it ended
}

// DetectMachine fills a Machine from the running system; the load averages
// are those of now, in both LoadStart and LoadEnd.
func DetectMachine() Machine {
	m := Machine{
		CPUs:       goruntime.NumCPU(),
		GOMAXPROCS: goruntime.GOMAXPROCS(0),
		CPUModel:   "unknown",
		GoVersion:  goruntime.Version(),
		OSArch:     goruntime.GOOS + "/" + goruntime.GOARCH,
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if model := parseCPUModel(b); model != "" {
			m.CPUModel = model
		}
	}
	m.LoadStart, _ = LoadAverage()
	m.LoadEnd = m.LoadStart
	return m
}

// LoadAverage reads the 1, 5 and 15 minute load averages from /proc/loadavg.
func LoadAverage() ([3]float64, error) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return [3]float64{}, fmt.Errorf("reading the load average: %w", err)
	}
	return parseLoadAverage(string(b))
}

func parseLoadAverage(s string) ([3]float64, error) {
	var l [3]float64
	f := strings.Fields(s)
	if len(f) < 3 {
		return l, fmt.Errorf("load average %q: want three numbers", s)
	}
	for i := range l {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return l, fmt.Errorf("load average %q: %w", s, err)
		}
		l[i] = v
	}
	return l, nil
}

// parseCPUModel returns the first "model name" of a /proc/cpuinfo, or "".
func parseCPUModel(cpuinfo []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(cpuinfo))
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(key) == "model name" {
			return strings.TrimSpace(value)
		}
	}
	return ""
}

// String is the machine in one line, for the report.
func (m Machine) String() string {
	return fmt.Sprintf("%d CPUs (nproc; GOMAXPROCS %d), %s, %s %s, load average %s at start, %s at end",
		m.CPUs, m.GOMAXPROCS, m.CPUModel, m.GoVersion, m.OSArch, fmtLoad(m.LoadStart), fmtLoad(m.LoadEnd))
}

func fmtLoad(l [3]float64) string {
	return fmt.Sprintf("%.2f %.2f %.2f", l[0], l[1], l[2])
}
