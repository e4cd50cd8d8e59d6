package legacydb

import (
	"strings"
	"testing"
	"time"
)

func TestParseMySQLURL(t *testing.T) {
	tests := []struct {
		dsn                        string
		user, passwd, addr, dbName string
		timeout                    time.Duration
		tls                        string
	}{
		{"mysql://alice:s3cret@db.example.com:3307/app", "alice", "s3cret", "db.example.com:3307", "app", 0, ""},
		{"mysql://alice:s3cret@db.example.com/app", "alice", "s3cret", "db.example.com:3306", "app", 0, ""},
		{"MariaDB://alice@10.0.0.5/app?timeout=3s&tls=skip-verify", "alice", "", "10.0.0.5:3306", "app", 3 * time.Second, "skip-verify"},
		{"mysql://alice:p%40ss%2Fw%3Ard@[2001:db8::1]/app", "alice", "p@ss/w:rd", "[2001:db8::1]:3306", "app", 0, ""},
		{"mysql://alice:p@ss/word@db:3306/app", "alice", "p@ss/word", "db:3306", "app", 0, ""},
		{"mysql://db:3306/", "", "", "db:3306", "", 0, ""},
		{"mysql://a%20b:pw@db/my%20db", "a b", "pw", "db:3306", "my db", 0, ""},
		// The driver's own form is read by the driver, as before.
		{"alice:s3cret@tcp(db:3306)/app?timeout=2s", "alice", "s3cret", "db:3306", "app", 2 * time.Second, ""},
	}
	for _, tt := range tests {
		t.Run(tt.dsn, func(t *testing.T) {
			cfg, err := parseMySQLDSN(tt.dsn)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.User != tt.user || cfg.Passwd != tt.passwd || cfg.Net != "tcp" || cfg.Addr != tt.addr || cfg.DBName != tt.dbName || cfg.Timeout != tt.timeout || cfg.TLSConfig != tt.tls {
				t.Errorf("got user %q passwd %q net %q addr %q db %q timeout %v tls %q", cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName, cfg.Timeout, cfg.TLSConfig)
			}
		})
	}
	for _, dsn := range []string{
		"mysql://alice:pw@/app",          // no host
		"mysql://alice:p%zz@db/app",      // bad escape
		"mysql://alice@db/app?timeout=x", // the driver's own check
		"mysql://alice@db:notaport/app",  // not a port
	} {
		if _, err := parseMySQLDSN(dsn); err == nil {
			t.Errorf("parseMySQLDSN(%q): no error", dsn)
		}
	}
}

func TestMaskMySQLURL(t *testing.T) {
	for dsn, want := range map[string]string{
		"mysql://alice:s3cret@db:3306/app?tls=true": "mysql://***@db:3306/app?tls=true",
		"mysql://alice:p@ss/word@db/app":            "mysql://***@db/app",
		"mariadb://alice@db/app":                    "mariadb://***@db/app",
		"mysql://db/app":                            "mysql://db/app",
	} {
		if got := MaskDSN("mysql", dsn); got != want {
			t.Errorf("MaskDSN(%q) = %q, want %q", dsn, got, want)
		}
	}
	mask := newMasker("mysql", "mysql://a:p%40ss@db/app")
	if got := mask("bad p%40ss or p@ss"); got != "bad *** or ***" {
		t.Errorf("masker: %q", got)
	}
}

// TestOpenMySQLURLFailures: a mysql:// URL fails the way the driver's form
// does, the password masked.
func TestOpenMySQLURLFailures(t *testing.T) {
	const pw = "Sup3r-S3cret-PW"
	for name, tt := range map[string]struct {
		cfg  Config
		want string
	}{
		"refused port": {Config{Driver: "mysql", DSN: "mysql://alice:" + pw + "@127.0.0.1:1/test", Networks: loopback}, ReasonUnreachable},
		"bad param":    {Config{Driver: "mysql", DSN: "mysql://alice:" + pw + "@127.0.0.1/test?timeout=x"}, "timeout"},
		"no host":      {Config{Driver: "mysql", DSN: "mysql://alice:" + pw + "@/test"}, "host"},
		"loopback":     {Config{Driver: "mysql", DSN: "mysql://alice:" + pw + "@127.0.0.1/test"}, ReasonUnreachable},
	} {
		t.Run(name, func(t *testing.T) {
			ce := connectError(t, tt.cfg, pw)
			if !strings.Contains(ce.Reason, tt.want) {
				t.Errorf("reason %q, want it to mention %q", ce.Reason, tt.want)
			}
		})
	}
}

func FuzzParseMySQLDSN(f *testing.F) {
	for _, s := range []string{
		"mysql://alice:s3cret@db:3306/app?tls=true", "mysql://a:p@ss/w@db/app", "mysql://[::1]/x",
		"mariadb://@/", "mysql://a:b@c:d@e/f?g=h#i", "alice:s3cret@tcp(db:3306)/app", "mysql://%",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dsn string) {
		cfg, err := parseMySQLDSN(dsn)
		masked := MaskDSN("mysql", dsn)
		if err != nil || cfg.Passwd == "" || !isMySQLURL(dsn) {
			return
		}
		if start, end, ok := mysqlUserinfo(dsn); ok && strings.Contains(masked, dsn[start:end]) && !strings.Contains(dsn[end:], dsn[start:end]) {
			t.Fatalf("MaskDSN(%q) = %q shows the user information", dsn, masked)
		}
	})
}
