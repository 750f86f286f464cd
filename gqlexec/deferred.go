package gqlexec

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
)

// NewDeferredGroup is graphql.NewDeferredGroup for an object whose collected fields are fields,
// made only when one of them is deferred. gqlgen's generated code makes the group for every
// object it resolves: the object's path (a fresh slice), a field set and a map, a sixth of a
// page's allocations, though the group is used only for @defer. Without a deferred field the
// group stays empty and is never processed, so an empty group with the context does.
func NewDeferredGroup(ctx context.Context, fields []graphql.CollectedField) graphql.DeferredGroup {
	for i := range fields {
		if fields[i].IsDeferred() {
			return graphql.NewDeferredGroup(ctx)
		}
	}
	return graphql.DeferredGroup{Context: ctx}
}
