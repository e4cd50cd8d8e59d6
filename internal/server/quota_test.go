package server_test

import (
	"bufio"
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/server"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// listedVersions returns the tenant's stored versions and the active one.
func listedVersions(ts *testserver.Server, tenant string) ([]int, int) {
	ts.T.Helper()
	var out struct {
		Active   int `json:"active_version"`
		Versions []struct {
			Version int `json:"version"`
		} `json:"versions"`
	}
	ts.Must(ts.Do("GET", "/admin/v1/tenants/"+tenant+"/script", testserver.OperatorToken, nil), 200, "list scripts").Decode(ts.T, &out)
	var vs []int
	for _, v := range out.Versions {
		vs = append(vs, v.Version)
	}
	return vs, out.Active
}

// wantCode fails unless r has status and problem code.
func wantCode(t *testing.T, r *testserver.Response, status int, code, what string) {
	t.Helper()
	if r.Status != status || r.ProblemCode() != code {
		t.Fatalf("%s: %s, want %d %s", what, r, status, code)
	}
}

// TestScriptVersionQuota: a tenant stores at most 20 versions by default; the
// 21st upload is 409 quota_exceeded until an inactive version is deleted.
// The active version cannot be deleted.
func TestScriptVersionQuota(t *testing.T) {
	ts := testserver.Start(t, server.Config{})
	key := ts.CreateTenant("acme")
	ts.CreateTenant("other")
	base := "/admin/v1/tenants/acme/script"
	for i := 1; i <= 20; i++ {
		r := ts.Must(ts.Do("PUT", base, key, examples.WATTrivial), 201, fmt.Sprintf("upload %d", i))
		if v := int(r.JSON["version"].(float64)); v != i {
			t.Fatalf("upload %d got version %d", i, v)
		}
	}
	r := ts.Do("PUT", base, key, examples.WATTrivial)
	wantCode(t, r, 409, "quota_exceeded", "21st upload")
	if d := r.Str("detail"); !strings.Contains(d, "20 module versions") {
		t.Errorf("quota_exceeded detail %q does not name the quota", d)
	}
	if vs, _ := listedVersions(ts, "acme"); len(vs) != 20 {
		t.Fatalf("%d versions stored after a refused upload", len(vs))
	}
	// The quota is per tenant.
	ts.Must(ts.Do("PUT", "/admin/v1/tenants/other/script", testserver.OperatorToken, examples.WATTrivial), 201, "another tenant's upload")

	wantCode(t, ts.Do("DELETE", base+"/versions/20", key, nil), 409, "script_active", "delete of the active version")
	ts.Must(ts.Do("DELETE", base+"/versions/2", key, nil), 204, "delete of an inactive version")
	vs, active := listedVersions(ts, "acme")
	if len(vs) != 19 || slices.Contains(vs, 2) || active != 20 {
		t.Fatalf("after deleting 2: versions %v, active %d", vs, active)
	}
	r = ts.Must(ts.Do("PUT", base+"?activate=false", key, examples.WATTrivial), 201, "upload after a delete")
	if v := int(r.JSON["version"].(float64)); v != 21 {
		t.Fatalf("upload after a delete got version %d, want 21 (numbers are not reused)", v)
	}
	wantCode(t, ts.Do("PUT", base, key, examples.WATTrivial), 409, "quota_exceeded", "upload over the quota again")

	for _, tc := range []struct {
		name, path, token string
		status            int
		code              string
	}{
		{"deleted version", base + "/versions/2", key, 404, "not_found"},
		{"unknown version", base + "/versions/99", key, 404, "not_found"},
		{"not a number", base + "/versions/two", key, 404, "not_found"},
		{"activating a deleted version", base + "/versions/2/activate", key, 404, "not_found"},
		{"unknown tenant", "/admin/v1/tenants/nope/script/versions/3", testserver.OperatorToken, 404, "tenant_not_found"},
		{"another tenant's key", "/admin/v1/tenants/other/script/versions/1", key, 403, "forbidden"},
		{"no token", base + "/versions/3", "", 401, "unauthorized"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			method := "DELETE"
			if strings.HasSuffix(tc.path, "/activate") {
				method = "POST"
			}
			wantCode(t, ts.Do(method, tc.path, tc.token, nil), tc.status, tc.code, tc.name)
		})
	}
	waitAudit(t, ts, "acme", func(types []string) bool { return slices.Contains(types, auth.EventScriptDeleted) })
}

// TestConcurrentUploadsKeepTheQuota: 40 uploads at once to a tenant with no
// versions store exactly 20; the others are 409 quota_exceeded.
func TestConcurrentUploadsKeepTheQuota(t *testing.T) {
	ts := testserver.Start(t, server.Config{})
	key := ts.CreateTenant("acme")
	const n = 40
	statuses := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := ts.Try("PUT", "/admin/v1/tenants/acme/script?activate=false", key, examples.WATTrivial)
			if err == nil {
				statuses[i] = r.Status
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	counts := map[int]int{}
	for i, st := range statuses {
		if errs[i] != nil {
			t.Fatalf("upload %d: %v", i, errs[i])
		}
		counts[st]++
	}
	if counts[201] != 20 || counts[409] != 20 {
		t.Fatalf("%d concurrent uploads: statuses %v, want 20 x 201 and 20 x 409", n, counts)
	}
	if vs, _ := listedVersions(ts, "acme"); len(vs) != 20 {
		t.Fatalf("%d versions stored, want 20", len(vs))
	}
}

// TestScriptByteQuota: the operator's byte quota counts every stored
// version, and a delete frees its bytes.
func TestScriptByteQuota(t *testing.T) {
	size := int64(len(examples.WATTrivial))
	ts := testserver.Start(t, server.Config{ScriptQuota: auth.ScriptQuota{Bytes: 2*size + size/2}})
	key := ts.CreateTenant("acme")
	base := "/admin/v1/tenants/acme/script"
	ts.Must(ts.Do("PUT", base, key, examples.WATTrivial), 201, "first upload")
	ts.Must(ts.Do("PUT", base, key, examples.WATTrivial), 201, "second upload")
	r := ts.Do("PUT", base, key, examples.WATTrivial)
	wantCode(t, r, 409, "quota_exceeded", "upload over the byte quota")
	if d := r.Str("detail"); !strings.Contains(d, strconv.FormatInt(2*size+size/2, 10)+" bytes") {
		t.Errorf("quota_exceeded detail %q does not name the byte quota", d)
	}
	ts.Must(ts.Do("DELETE", base+"/versions/1", key, nil), 204, "delete of the inactive version 1")
	ts.Must(ts.Do("PUT", base, key, examples.WATTrivial), 201, "upload after the delete")
}

// TestDeleteScriptDropsInstances: deleting a version closes the tenant's
// idle instances of its module at once, not when the pool's idle timeout
// comes.
func TestDeleteScriptDropsInstances(t *testing.T) {
	ts := testserver.Start(t, server.Config{})
	key := ts.CreateTenant("acme")
	base := "/admin/v1/tenants/acme/script"
	ts.Must(ts.Do("PUT", base, key, examples.WATTrivial), 201, "upload version 1")
	ts.Must(ts.Do("POST", base+"/test", key, map[string]any{"op": "get_user", "identifier": "x", "version": 1}), 200, "run version 1")
	if n := idleInstances(t, ts); n != 1 {
		t.Fatalf("%v idle instances after a call of version 1, want 1", n)
	}
	ts.Must(ts.Do("PUT", base, key, examples.CLegacy), 201, "upload version 2")
	ts.Must(ts.Do("DELETE", base+"/versions/1", key, nil), 204, "delete version 1")
	if n := idleInstances(t, ts); n != 0 {
		t.Fatalf("%v idle instances after deleting version 1, want 0", n)
	}
}

// idleInstances reads the pools' idle instance gauge from /metrics.
func idleInstances(t *testing.T, ts *testserver.Server) float64 {
	t.Helper()
	r := ts.Must(ts.Do("GET", "/metrics", testserver.OperatorToken, nil), 200, "metrics")
	sc := bufio.NewScanner(bytes.NewReader(r.Body))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "wasmauth_script_instances_idle "); ok {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("no wasmauth_script_instances_idle in /metrics:\n%s", r.Body)
	return 0
}

// waitAudit polls the tenant's audit (written in the background) until ok
// holds for its event types, failing after a generous bound.
func waitAudit(t *testing.T, ts *testserver.Server, tenant string, ok func(types []string) bool) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var out struct {
			Events []struct {
				Type    string `json:"type"`
				Subject string `json:"subject"`
			} `json:"events"`
		}
		ts.Must(ts.Do("GET", "/admin/v1/tenants/"+tenant+"/audit?limit=1000", testserver.OperatorToken, nil), 200, "audit").Decode(t, &out)
		var types []string
		for _, e := range out.Events {
			types = append(types, e.Type)
		}
		if ok(types) {
			return types
		}
		if time.Now().After(deadline) {
			t.Fatalf("audit of %s never satisfied the check: %v", tenant, types)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
