// Package gqlexec holds what the executor gqlgen generates calls instead of gqlgen's own runtime
// where that costs the pages their time: lists resolve their elements in turn when nothing below
// them can wait (MarshalList, Prime), and an object makes its @defer bookkeeping only when one of
// its fields is deferred (NewDeferredGroup). The code generator (scripts/gqlgen) rewrites the
// generated calls to these, and writes the table of fields that may wait that MarshalList reads.
package gqlexec
