# wasmauth — run "make help" for the targets.
GO ?= go

.PHONY: help build test race check format lint vet bench examples demo clean

help: ## Show this help.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

build: ## Build the wasmauth binary into ./bin.
	$(GO) build -o bin/wasmauth ./cmd/wasmauth

test: ## Run every test (the README's command).
	$(GO) test ./...

race: ## Run the tests with the race detector.
	$(GO) test -race ./...

vet: ## Run go vet.
	$(GO) vet ./...

format: ## Format the Go sources.
	gofmt -w $$(git ls-files '*.go')

lint: vet ## gofmt check and go vet.
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)

check: lint ## Format check, vet, tidy check, tests.
	$(GO) mod tidy && git diff --exit-code go.mod go.sum
	$(GO) test ./...

bench: ## Measure wasmauth against its limits: one table, written to bench-results.md (BENCHMARKS.md).
	$(GO) run ./cmd/wasmauth-bench -out bench-results.md

examples: ## Rebuild every example guest module from source.
	$(MAKE) -C examples-wasm all

demo: ## Run the server with the demo tenant.
	$(GO) run ./cmd/wasmauth demo

clean: ## Remove build output and the local data folder.
	rm -rf bin data
