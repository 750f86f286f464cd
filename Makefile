# SkillSwap API — developer commands. `make run` and `make test` are the quick start.
SHELL := /bin/bash
.DEFAULT_GOAL := help
GO ?= go
BIN := bin/skillswap
STACK := scripts/stack.sh
STATICCHECK_VERSION := v0.8.2

.PHONY: help run test test-go test-redis-broker drill test-typesense fuzz ci deploy-check bench-discovery bench-realtime bench-sessions bench-kpis bench-peers bench-guard bench-hostile bench-tracing generate check-generated schema-snapshot schema-diff vet lint staticcheck build stack-up stack-down stack-status bench clean

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

build: ## build the server binary into bin/
	$(GO) build -o $(BIN) .

run: build ## serve the API and playground on http://localhost:8080 with demo data (PostgreSQL only)
	@$(STACK) up postgres
	@mkdir -p .data && [ -s .data/jwt-dev.key ] || head -c 32 /dev/urandom | base64 > .data/jwt-dev.key
	@[ -s .data/mfa-dev.key ] || head -c 32 /dev/urandom | base64 > .data/mfa-dev.key
	@eval "$$($(STACK) env postgres)"; \
	  export HTTP_ADDR=$${HTTP_ADDR:-127.0.0.1:8080}; \
	  export JWT_KEYS=$${JWT_KEYS:-dev:$$(cat .data/jwt-dev.key)} JWT_ACTIVE_KEY_ID=$${JWT_ACTIVE_KEY_ID:-dev}; \
	  export MFA_ENCRYPTION_KEY=$${MFA_ENCRYPTION_KEY:-$$(cat .data/mfa-dev.key)}; \
	  $(BIN) seed && \
	  echo "" && \
	  echo "  SkillSwap API: http://$$HTTP_ADDR/graphql   playground: http://$$HTTP_ADDR/" && \
	  echo "  demo logins: admin@demo.skillswap.local, camille@demo.skillswap.local, ... password: swap-skills-2026!" && \
	  echo "" && \
	  exec $(BIN) serve

test: ## bring up PostgreSQL, Redis, stripe-mock and the SMTP sink, run every Go test with -race, then the Apollo/graphql-ws e2e suite; chat, notification and e2e tests once more on the Redis broker
	@$(STACK) up
	@eval "$$($(STACK) env)"; \
	  export TEST_DATABASE_URL="$$DATABASE_URL" SKILLSWAP_REQUIRE_SERVICES=1; \
	  $(GO) test -race -count=1 -timeout 20m ./... && \
	  $(MAKE) --no-print-directory test-redis-broker
	@bash e2e/run.sh
	@E2E_BROKER=redis bash e2e/run.sh

test-redis-broker: ## the chat and notification API tests with REDIS_URL as the broker (production's), not the in-process one
	@eval "$$($(STACK) env)"; \
	  export TEST_DATABASE_URL="$$DATABASE_URL" SKILLSWAP_REQUIRE_SERVICES=1 SKILLSWAP_TEST_BROKER=redis; \
	  $(GO) test -race -count=1 -timeout 10m -run '^TestAPI' ./chat/ ./notifications/

test-go: ## only the Go tests (services must be up: make stack-up)
	@eval "$$($(STACK) env)"; \
	  export TEST_DATABASE_URL="$$DATABASE_URL" SKILLSWAP_REQUIRE_SERVICES=1; \
	  $(GO) test -race -count=1 -timeout 20m ./... && \
	  $(MAKE) --no-print-directory test-redis-broker

drill: ## PostgreSQL failover drill: primary + synchronous standby on loopback, chat and booking traffic, crash and promote; reports unavailability and lost writes (see docs/operations.md)
	@bash scripts/drill.sh

test-typesense: ## the search behaviour suite against Typesense (set TYPESENSE_URL and TYPESENSE_API_KEY; no Typesense server runs on our machines)
	@$(STACK) up postgres
	@eval "$$($(STACK) env)"; \
	  export TEST_DATABASE_URL="$$DATABASE_URL" SKILLSWAP_REQUIRE_SERVICES=1; \
	  $(GO) test -tags typesense -count=1 -run TestTypesenseBackend ./search/

generate: ## regenerate graph/ and the resolver files from schema.graphqls and schema/*.graphqls
	$(GO) generate ./...

check-generated: ## fail when graph/ (or the resolver stubs, or schema.snapshot.graphql) differ from what gqlgen and schema-snapshot generate now
	@before=$$(find graph resolvers -type f -name '*.go' | sort | xargs sha256sum); \
	  $(GO) generate ./... && \
	  after=$$(find graph resolvers -type f -name '*.go' | sort | xargs sha256sum); \
	  if [ "$$before" != "$$after" ]; then \
	    echo "graph/ was stale: 'make generate' changed it (now regenerated; commit the result):"; \
	    diff <(echo "$$before") <(echo "$$after") || true; exit 1; \
	  fi
	@before=$$(sha256sum schema.snapshot.graphql 2>/dev/null); \
	  $(GO) run ./scripts/schemasnapshot -o schema.snapshot.graphql && \
	  if [ "$$before" != "$$(sha256sum schema.snapshot.graphql)" ]; then \
	    echo "schema.snapshot.graphql was stale: 'make schema-snapshot' changed it (now rewritten; commit it)"; \
	    git --no-pager diff --stat -- schema.snapshot.graphql; exit 1; \
	  fi
	@echo "generated code is up to date"

schema-snapshot: ## rewrite schema.snapshot.graphql, the sorted SDL of the schema the server executes (commit it)
	$(GO) run ./scripts/schemasnapshot -o schema.snapshot.graphql

schema-diff: ## fail on a breaking change between committed versions of schema.snapshot.graphql not listed in schema.breaking-changes
	@bash scripts/schema-diff.sh

vet: ## go vet (also the files behind the typesense build tag)
	$(GO) vet ./...
	$(GO) vet -tags typesense ./search/

staticcheck: ## staticcheck (installed with go install at a pinned version)
	@command -v staticcheck >/dev/null 2>&1 || $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	@PATH="$$PATH:$$($(GO) env GOPATH)/bin" staticcheck ./...

lint: vet staticcheck ## vet + staticcheck + gofmt
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi

FUZZTIME ?= 60s

fuzz: ## fuzz the GraphQL endpoint for FUZZTIME (default 60s) against a throwaway database: never INTERNAL_SERVER_ERROR, a 5xx or raw error text (failures land in internal/fuzzapi/testdata/fuzz: commit them with the fix)
	@$(STACK) up postgres
	@eval "$$($(STACK) env)"; \
	  export TEST_DATABASE_URL="$$DATABASE_URL" SKILLSWAP_REQUIRE_SERVICES=1; \
	  $(GO) test -run '^$$' -fuzz '^FuzzGraphQL$$' -fuzztime $(FUZZTIME) ./internal/fuzzapi/

deploy-check: ## validate the Dockerfile, compose.yaml, the Helm chart and the alert rules offline, build the static binary and run the chart's commands and probes against it (deploy/check, a module of its own)
	@$(STACK) up postgres redis
	@eval "$$($(STACK) env postgres redis)"; \
	  export TEST_DATABASE_URL="$$DATABASE_URL" SKILLSWAP_REQUIRE_SERVICES=1; \
	  cd deploy/check && $(GO) vet ./... && $(GO) test -count=1 -timeout 15m ./...

ci: check-generated lint schema-diff test bench-guard fuzz deploy-check ## what CI runs

stack-up: ## start the local services (all of them)
	@$(STACK) up

stack-down: ## stop the local services (data stays in .data/)
	@$(STACK) down

stack-status:
	@$(STACK) status

bench: ## run the benchmarks of bench/ (see bench/README.md)
	@bash bench/run.sh

bench-discovery: ## search and matching latency on 100,000 synthetic members (see bench/README.md)
	@bash bench/discovery.sh

bench-realtime: ## subscription fan-out across two instances, idle connection memory (see bench/README.md)
	@bash bench/realtime.sh

bench-sessions: ## upcomingSessions latency and confirmSessionCompleted throughput on 100,000 members (see bench/README.md)
	@bash bench/sessions.sh

bench-kpis: ## productKpis latency (26 weekly cohorts) and the KPI refresh on 100,000 members (see bench/README.md)
	@bash bench/kpis.sh

bench-guard: ## allocation and goroutine budgets of the nested page: BenchmarkNestedPage for 50 pages, fails over nestedPageMaxAllocs or nestedPageMaxGoroutines (services must be up; see bench/README.md)
	@eval "$$($(STACK) env)"; \
	  export TEST_DATABASE_URL="$$DATABASE_URL" SKILLSWAP_REQUIRE_SERVICES=1; \
	  $(GO) test -run '^$$' -bench NestedPage -benchtime 50x -count 1 ./bench/

bench-peers: ## SkillSwap and PostGraphile 5 side by side on 100,000 members: four queries, req/s, latency, CPU per request (see bench/README.md)
	@bash bench/peers.sh

bench-tracing: ## viewer throughput with tracing off vs on at 10 % sampling, interleaved (see bench/README.md)
	@bash bench/tracing.sh

bench-hostile: ## hostile load: viewer p99 while 4 clients send the most expensive accepted documents, RSS under a flood of large documents (bench/hostile.sh)
	bash bench/hostile.sh

clean: stack-down ## stop services and delete .data/ and bin/
	rm -rf .data bin
