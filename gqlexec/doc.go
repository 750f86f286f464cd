// Package gqlexec holds what the executor gqlgen generates calls instead of gqlgen's own runtime
// where that costs the pages their time: lists resolve their elements in turn when nothing below
// them can wait (MarshalList, Prime); scalars read from memory are answered without a field
// context or field middleware, charging the response's budget (ReadScalar, Budget); a field's
// arguments are parsed and an object's fields collected once per response (Args,
// CollectFields); objects are written without gqlgen's per-object map (Object) and make their
// @defer bookkeeping only when one of their fields is deferred (NewDeferredGroup). The code
// generator (scripts/gqlgen) rewrites the generated code to call these, and writes the table of
// fields that may wait that MarshalList reads. Middleware gives each response the record Prime,
// Args and CollectFields keep.
package gqlexec
