package httpapi

import _ "embed"

// openAPIDocument is the OpenAPI 3.1 description of every route, served at
// /openapi.json. TestOpenAPIMatchesRoutes keeps it in step with routes().
//
//go:embed openapi.json
var openAPIDocument []byte

// OpenAPIDocument returns a copy of the embedded OpenAPI document.
func OpenAPIDocument() []byte { return append([]byte(nil), openAPIDocument...) }
