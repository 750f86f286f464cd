// Package fuzzapi holds FuzzGraphQL, Go's native fuzzing against the GraphQL endpoint of the real
// server (PostgreSQL included): it generates documents and variables from the executable schema,
// mutates raw documents from a seed corpus, sends them signed in and signed out, and checks that
// no answer is INTERNAL_SERVER_ERROR, an HTTP 5xx or raw error text. `make fuzz` runs it for a
// bounded time; the seed corpus (testdata/fuzz) runs with the other tests.
package fuzzapi
