package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wasmauth/wasmauth/runtime"
)

// poolCollector reads the wasm engine's pool statistics at scrape time.
type poolCollector struct {
	stats func() runtime.Stats

	modules, tenants, busy, idle, idleMemory, budget, waiting *prometheus.Desc
	hits, misses, evicted, discarded                          *prometheus.Desc
}

func gaugeDesc(name, help string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName(namespace, "", name), help, nil, nil)
}

// WatchPool exports the wasm instance pools, read from stats at each
// scrape (pass (*runtime.Engine).Stats).
func (m *Metrics) WatchPool(stats func() runtime.Stats) {
	m.reg.MustRegister(&poolCollector{
		stats:      stats,
		modules:    gaugeDesc("script_modules", "Compiled tenant modules kept in memory."),
		tenants:    gaugeDesc("script_pool_tenants", "Tenants with pooled or running instances."),
		busy:       gaugeDesc("script_instances_busy", "Module instances running a call."),
		idle:       gaugeDesc("script_instances_idle", "Idle module instances kept in the pools."),
		idleMemory: gaugeDesc("script_instances_idle_memory_bytes", "Memory counted for idle module instances."),
		budget:     gaugeDesc("script_instances_memory_budget_bytes", "Memory budget of the idle instance pools."),
		waiting:    gaugeDesc("script_calls_waiting", "Calls waiting for a free module instance."),
		hits:       gaugeDesc("script_pool_hits_total", "Calls served by a pooled module instance."),
		misses:     gaugeDesc("script_pool_misses_total", "Calls that created a new module instance."),
		evicted:    gaugeDesc("script_pool_evictions_total", "Idle module instances closed: idle too long, over the memory budget, or tenant gone."),
		discarded:  gaugeDesc("script_instances_discarded_total", "Module instances thrown away after a failed call or memory growth."),
	})
}

// Describe implements prometheus.Collector.
func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.modules, c.tenants, c.busy, c.idle, c.idleMemory, c.budget, c.waiting, c.hits, c.misses, c.evicted, c.discarded} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	for _, v := range []struct {
		d *prometheus.Desc
		v float64
	}{
		{c.modules, float64(s.Modules)},
		{c.tenants, float64(s.Tenants)},
		{c.busy, float64(s.Busy)},
		{c.idle, float64(s.Idle)},
		{c.idleMemory, float64(s.IdleMemory)},
		{c.budget, float64(s.MemoryBudget)},
		{c.waiting, float64(s.WaitingCalls)},
	} {
		ch <- prometheus.MustNewConstMetric(v.d, prometheus.GaugeValue, v.v)
	}
	for _, v := range []struct {
		d *prometheus.Desc
		v uint64
	}{
		{c.hits, s.Hits}, {c.misses, s.Misses}, {c.evicted, s.Evicted}, {c.discarded, s.Discarded},
	} {
		ch <- prometheus.MustNewConstMetric(v.d, prometheus.CounterValue, float64(v.v))
	}
}

// HashQueue is what the password hasher reports: *password.Hasher.
type HashQueue interface {
	// QueueDepth is the number of hashes waiting for a slot.
	QueueDepth() int
	// InFlight is the number of hashes being computed.
	InFlight() int
}

// hashCollector reads the password hasher's queue at scrape time.
type hashCollector struct {
	h               HashQueue
	queue, inFlight *prometheus.Desc
}

// WatchHasher exports the password hashing queue depth and the hashes in
// flight, read from h at each scrape.
func (m *Metrics) WatchHasher(h HashQueue) {
	m.reg.MustRegister(&hashCollector{
		h:        h,
		queue:    gaugeDesc("password_hash_queue_depth", "Password hashes waiting for a hashing slot."),
		inFlight: gaugeDesc("password_hashes_in_flight", "Password hashes being computed."),
	})
}

// Describe implements prometheus.Collector.
func (c *hashCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.queue
	ch <- c.inFlight
}

// Collect implements prometheus.Collector.
func (c *hashCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(c.queue, prometheus.GaugeValue, float64(c.h.QueueDepth()))
	ch <- prometheus.MustNewConstMetric(c.inFlight, prometheus.GaugeValue, float64(c.h.InFlight()))
}
