package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/wasmauth/wasmauth/internal/httpapi"
)

// openAPIDoc is the part of the document the checks read.
type openAPIDoc struct {
	OpenAPI    string                                `json:"openapi"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components map[string]map[string]any             `json:"components"`
}

var httpMethods = map[string]bool{"get": true, "put": true, "post": true, "delete": true, "patch": true, "head": true, "options": true, "trace": true}

func loadOpenAPI(t *testing.T, raw []byte) openAPIDoc {
	t.Helper()
	var doc openAPIDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("the OpenAPI document is not valid JSON: %v", err)
	}
	return doc
}

func allRoutesServer() *httpapi.Server {
	return httpapi.New(httpapi.Config{Metrics: func(c *fiber.Ctx) error { return nil }}, nil, nil)
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	srv := allRoutesServer()
	doc := loadOpenAPI(t, httpapi.OpenAPIDocument())
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi = %q, want 3.x", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths {
		for method := range item {
			if httpMethods[method] {
				documented[strings.ToUpper(method)+" "+path] = true
			}
		}
	}
	registered := map[string]bool{}
	for _, r := range srv.Routes() {
		registered[r] = true
	}
	if len(registered) == 0 {
		t.Fatal("Routes() is empty")
	}
	var missing, extra []string
	for r := range registered {
		if !documented[r] {
			missing = append(missing, r)
		}
	}
	for r := range documented {
		if !registered[r] {
			extra = append(extra, r)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	for _, r := range missing {
		t.Errorf("registered but not documented: %s", r)
	}
	for _, r := range extra {
		t.Errorf("documented but not registered: %s", r)
	}
}

func TestOpenAPIDocument(t *testing.T) {
	raw := httpapi.OpenAPIDocument()
	doc := loadOpenAPI(t, raw)
	var generic any
	_ = json.Unmarshal(raw, &generic)

	t.Run("refs resolve", func(t *testing.T) {
		walk(generic, func(ref string) {
			name, ok := strings.CutPrefix(ref, "#/components/")
			kind, key, ok2 := strings.Cut(name, "/")
			if !ok || !ok2 {
				t.Errorf("$ref %q is not a local component", ref)
				return
			}
			if _, ok := doc.Components[kind][key]; !ok {
				t.Errorf("$ref %q points nowhere", ref)
			}
		})
	})
	t.Run("security schemes", func(t *testing.T) {
		for _, name := range []string{"operatorToken", "tenantApiKey", "accessToken"} {
			if _, ok := doc.Components["securitySchemes"][name]; !ok {
				t.Errorf("no security scheme %s", name)
			}
		}
	})
	t.Run("operations", func(t *testing.T) {
		ids := map[string]string{}
		for path, item := range doc.Paths {
			for method, rawOp := range item {
				if !httpMethods[method] {
					continue
				}
				var op map[string]any
				if err := json.Unmarshal(rawOp, &op); err != nil {
					t.Fatalf("%s %s: %v", method, path, err)
				}
				where := strings.ToUpper(method) + " " + path
				id, _ := op["operationId"].(string)
				if id == "" {
					t.Errorf("%s has no operationId", where)
				} else if prev, dup := ids[id]; dup {
					t.Errorf("operationId %s used by %s and %s", id, prev, where)
				}
				ids[id] = where
				if resp, _ := op["responses"].(map[string]any); len(resp) == 0 {
					t.Errorf("%s has no responses", where)
				}
			}
		}
	})
	t.Run("problem schema", func(t *testing.T) {
		p, _ := doc.Components["schemas"]["Problem"].(map[string]any)
		props, _ := p["properties"].(map[string]any)
		for _, f := range []string{"type", "title", "status", "detail", "code"} {
			if _, ok := props[f]; !ok {
				t.Errorf("Problem lacks %s", f)
			}
		}
	})
	t.Run("backup is marked as an extension", func(t *testing.T) {
		var op map[string]any
		_ = json.Unmarshal(doc.Paths["/admin/v1/backup"]["get"], &op)
		if op["x-wasmauth-extension"] != true {
			t.Error("GET /admin/v1/backup lacks x-wasmauth-extension: true")
		}
	})
}

// walk calls fn with every "$ref" value in v.
func walk(v any, fn func(string)) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && k == "$ref" {
				fn(s)
				continue
			}
			walk(e, fn)
		}
	case []any:
		for _, e := range x {
			walk(e, fn)
		}
	}
}

func TestOpenAPIServed(t *testing.T) {
	srv := allRoutesServer()
	resp, err := srv.App().Test(httptest.NewRequest("GET", "/openapi.json", nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	body, _ := io.ReadAll(resp.Body)
	if doc := loadOpenAPI(t, body); !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("served openapi = %q", doc.OpenAPI)
	}
}

func BenchmarkOpenAPIServed(b *testing.B) {
	srv := allRoutesServer()
	for b.Loop() {
		resp, err := srv.App().Test(httptest.NewRequest("GET", "/openapi.json", nil), -1)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}
