package httpapi

import (
	"context"
	"crypto/sha256"
	"errors"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// shapeLimits bound a document's shape. They are checked on the parsed AST before gqlparser's
// validation, whose OverlappingFieldsCanBeMerged rule is quadratic in the fields sharing a
// response name: 5,000 tokens of `__typename` cost 1.4 s of validation, and about 100 ms for
// other shapes (BenchmarkHostileShapes and bench/README.md). Counts include fragment expansion:
// a spread counts what its fragment contains, wherever it is spread.
type shapeLimits struct {
	// MaxDepth: fields nested in fields. Introspection counts too (an `ofType { ofType { ... } }`
	// bomb is still a bomb); the default leaves room for GraphiQL's and Apollo's introspection
	// queries, which nest 14 levels.
	MaxDepth int
	// MaxAliases: aliases, fragments expanded.
	MaxAliases int
	// MaxFields: field selections of all operations, fragments expanded where spread. It also
	// bounds gqlgen's complexity calculation and the execution plan, which walk the same tree.
	MaxFields int
	// MaxSelectionsPerSet: fields one selection set selects at its own level, through inline
	// fragments and spreads: the quadratic part of field merging.
	MaxSelectionsPerSet int
	// MaxFragments: fragment definitions.
	MaxFragments int
	// MaxDirectives: directives anywhere in the document.
	MaxDirectives int
	// MaxVariables: variable definitions, all operations together.
	MaxVariables int
}

// defaultShapeLimits are generous for apps (Apollo's generated documents with a fragment per
// component stay far below) and keep the worst accepted document's validation in milliseconds.
func defaultShapeLimits(maxDepth, maxAliases int) shapeLimits {
	return shapeLimits{
		MaxDepth:            maxDepth,
		MaxAliases:          maxAliases,
		MaxFields:           1000,
		MaxSelectionsPerSet: 100,
		MaxFragments:        100,
		MaxDirectives:       50,
		MaxVariables:        100,
	}
}

// preflight parses a document and checks its shape before gqlgen validates it: it runs as an
// operation-parameter mutator, after automatic persisted queries have resolved the text and
// before gqlgen's executor parses and validates (which it does only on a document-cache miss).
//
// A document already in the document cache passed everything and is not looked at again. A
// refused one (parse error or shape) is remembered by the SHA-256 of its text in a small
// negative cache, so sending it again costs a hash. Whitespace, comment or name variants of a
// document are different keys: each costs a parse (linear in the text, which MAX_BODY_BYTES and
// MAX_QUERY_TOKENS bound) and this linear check, and only a document within the shape limits
// reaches validation, whose worst case the limits bound. Normalising the text would not help:
// aliases and operation names can be varied as freely as whitespace.
type preflight struct {
	limits     shapeLimits
	tokenLimit int
	// maxBytes bounds the document's text before anything reads it: the token limit bounds
	// what a document says, not how much padding (comments, whitespace, long string literals)
	// surrounds it, and each byte of a document is copied, scanned and, once valid, cached.
	maxBytes int
	docs     graphql.Cache[*ast.QueryDocument]
	refused  *sizedLRU[*gqlerror.Error]
	// charge spends points of the client's complexity budget (nil: no budgets). A document
	// not seen before is charged what reading it costs (readingCost), so that sending
	// distinct documents to defeat the cache is paid for like any other work.
	charge func(ctx context.Context, points int) *gqlerror.Error
}

var (
	_ graphql.HandlerExtension          = (*preflight)(nil)
	_ graphql.OperationParameterMutator = (*preflight)(nil)
)

func newPreflight(limits shapeLimits, tokenLimit, maxBytes int, docs graphql.Cache[*ast.QueryDocument]) *preflight {
	return &preflight{
		limits:     limits,
		tokenLimit: tokenLimit,
		maxBytes:   maxBytes,
		docs:       docs,
		// 4096 refusals of 32-byte keys: a few hundred KiB whatever the documents' sizes.
		refused: newSizedLRU[*gqlerror.Error](4096, 4096*512, func(string, *gqlerror.Error) int64 { return 512 }),
	}
}

// ExtensionName implements graphql.HandlerExtension.
func (*preflight) ExtensionName() string { return "Preflight" }

// Validate implements graphql.HandlerExtension.
func (*preflight) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters implements graphql.OperationParameterMutator.
func (p *preflight) MutateOperationParameters(ctx context.Context, params *graphql.RawParams) *gqlerror.Error {
	if params.Query == "" {
		return nil // gqlgen answers "no operation provided"
	}
	if p.maxBytes > 0 && len(params.Query) > p.maxBytes {
		return tooComplex("the document is too long: send variables instead of long literals, without padding", "bytes", len(params.Query), "maxBytes", p.maxBytes)
	}
	if _, ok := p.docs.Get(ctx, params.Query); ok {
		return nil
	}
	sum := sha256.Sum256([]byte(params.Query))
	key := string(sum[:])
	if err, ok := p.refused.Get(ctx, key); ok {
		return copyError(err)
	}
	validation, err := p.check(params.Query)
	if err != nil {
		p.refused.Add(ctx, key, err)
	}
	if p.charge != nil {
		if limited := p.charge(ctx, readingCost(params.Query, validation)); limited != nil {
			return limited
		}
	}
	if err != nil {
		return copyError(err)
	}
	return nil
}

// Points charged to the complexity budget for a document not seen before, calibrated on
// BenchmarkHostileShapes and bench/hostile at about 3 µs of CPU per point, the rate at which
// the costliest accepted operation (the catalogue, about 7,000 points) executes: parsing costs
// about a point per parseBytesPerPoint bytes; validation about validationPointsPerField per field
// plus, for the rule comparing fields that share a selection set (quadratic), half a point per
// pair of fields in each set.
const (
	parseBytesPerPoint       = 32
	validationPointsPerField = 1
)

// readingCost is what reading query costs in complexity points, given its validation estimate
// (0 when it was refused before validation).
func readingCost(query string, validation int) int {
	return len(query)/parseBytesPerPoint + validation
}

// copyError hands out a copy: the error presenter adds the request id to the one it is given.
func copyError(err *gqlerror.Error) *gqlerror.Error {
	c := *err
	c.Extensions = make(map[string]any, len(err.Extensions))
	for k, v := range err.Extensions {
		c.Extensions[k] = v
	}
	return &c
}

// check parses query and checks its shape; it returns the estimated validation cost of a
// document within the limits (readingCost).
func (p *preflight) check(query string) (int, *gqlerror.Error) {
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, p.tokenLimit)
	if err != nil {
		var gqlErr *gqlerror.Error
		if !errors.As(err, &gqlErr) {
			gqlErr = gqlerror.Wrap(err)
		}
		errcode.Set(gqlErr, errcode.ParseFailed)
		return 0, gqlErr
	}
	return checkShape(doc, p.limits)
}

// checkShape measures doc in one pass over its AST, each fragment measured once however often
// it is spread, and refuses it with QUERY_TOO_COMPLEX when a limit is exceeded; within the
// limits, it returns the estimated cost of validating doc in complexity points (readingCost).
func checkShape(doc *ast.QueryDocument, l shapeLimits) (int, *gqlerror.Error) {
	if len(doc.Fragments) > l.MaxFragments {
		return 0, tooComplex("the document defines too many fragments", "fragments", len(doc.Fragments), "maxFragments", l.MaxFragments)
	}
	m := measurer{doc: doc, limits: l, fragments: map[string]*shape{}}
	var total shape
	variables := 0
	for _, op := range doc.Operations {
		variables += len(op.VariableDefinitions)
		m.directives += len(op.Directives)
		for _, v := range op.VariableDefinitions {
			m.directives += len(v.Directives)
		}
		s := m.set(op.SelectionSet)
		total.add(s)
		total.depth = max(total.depth, s.depth)
	}
	for _, f := range doc.Fragments {
		m.directives += len(f.Directives)
		m.fragment(f.Name) // unused fragments are validated too
	}
	switch {
	case m.cycle != "":
		err := gqlerror.Errorf("fragment %s spreads itself", m.cycle)
		errcode.Set(err, errcode.ValidationFailed)
		return 0, err
	case m.widest > l.MaxSelectionsPerSet:
		return 0, tooComplex("a selection set selects too many fields", "selections", m.widest, "maxSelectionsPerSet", l.MaxSelectionsPerSet)
	case total.fields > l.MaxFields:
		return 0, tooComplex("the operation selects too many fields", "fields", total.fields, "maxFields", l.MaxFields)
	case total.depth > l.MaxDepth:
		return 0, tooComplex("the operation is nested too deeply", "depth", total.depth, "maxDepth", l.MaxDepth)
	case total.aliases > l.MaxAliases:
		return 0, tooComplex("the operation uses too many aliases", "aliases", total.aliases, "maxAliases", l.MaxAliases)
	case m.directives > l.MaxDirectives:
		return 0, tooComplex("the document uses too many directives", "directives", m.directives, "maxDirectives", l.MaxDirectives)
	case variables > l.MaxVariables:
		return 0, tooComplex("the document defines too many variables", "variables", variables, "maxVariables", l.MaxVariables)
	}
	return min(total.fields*validationPointsPerField+m.pairs/2, saturated), nil
}

func tooComplex(msg, key string, n int, maxKey string, limit int) *gqlerror.Error {
	return &gqlerror.Error{
		Message:    msg,
		Extensions: map[string]any{"code": CodeQueryTooComplex, key: n, maxKey: limit},
	}
}

// shape is what a selection set expands to. Counts saturate at saturated so that a fragment
// doubling at every level cannot overflow them.
type shape struct {
	fields, aliases, depth int
	// top is the fields selected at the set's own level (through fragments).
	top int
}

const saturated = 1 << 40

func (s *shape) add(o shape) {
	s.fields = min(s.fields+o.fields, saturated)
	s.aliases = min(s.aliases+o.aliases, saturated)
	s.top = min(s.top+o.top, saturated)
}

type measurer struct {
	doc        *ast.QueryDocument
	limits     shapeLimits
	fragments  map[string]*shape // measured; nil while being measured
	directives int
	widest     int
	// pairs counts, over selection sets, the pairs of fields each selects at its level.
	pairs int
	cycle string
}

func (m *measurer) fragment(name string) shape {
	if s, ok := m.fragments[name]; ok {
		if s == nil {
			m.cycle = name
			return shape{}
		}
		return *s
	}
	f := m.doc.Fragments.ForName(name)
	if f == nil {
		return shape{} // validation reports the unknown fragment
	}
	m.fragments[name] = nil
	s := m.set(f.SelectionSet)
	m.fragments[name] = &s
	return s
}

func (m *measurer) set(set ast.SelectionSet) shape {
	var out shape
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			m.directives += len(s.Directives)
			child := m.set(s.SelectionSet)
			out.fields = min(out.fields+1+child.fields, saturated)
			out.aliases = min(out.aliases+child.aliases, saturated)
			if s.Alias != "" && s.Alias != s.Name {
				out.aliases++
			}
			out.top++
			out.depth = max(out.depth, 1+child.depth)
		case *ast.InlineFragment:
			m.directives += len(s.Directives)
			child := m.set(s.SelectionSet)
			out.add(child)
			out.depth = max(out.depth, child.depth)
		case *ast.FragmentSpread:
			m.directives += len(s.Directives)
			child := m.fragment(s.Name)
			out.add(child)
			out.depth = max(out.depth, child.depth)
		}
	}
	m.widest = max(m.widest, out.top)
	n := min(out.top, saturated>>20)
	m.pairs = min(m.pairs+n*(n-1)/2, saturated)
	return out
}
