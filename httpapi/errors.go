package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/i18n"
)

// API error codes, set in errors[].extensions.code: every code the API answers with is here (and
// in README.md's "Errors" bullet and schema.graphqls' root description). Most are Apollo's.
const (
	CodeUnauthenticated = "UNAUTHENTICATED"
	CodeForbidden       = "FORBIDDEN"
	CodeNotFound        = "NOT_FOUND"
	// CodeBadUserInput: an argument or input field refused, named in extensions.field.
	CodeBadUserInput = "BAD_USER_INPUT"
	CodeConflict     = "CONFLICT"
	// CodeRateLimited comes with extensions.retryAfterSeconds (and HTTP 429 for a spent budget).
	CodeRateLimited = "RATE_LIMITED"
	// CodeUnavailable: a feature whose service is not configured, or (with retryAfterSeconds)
	// PostgreSQL or Redis unreachable for the moment, or the lane of expensive work full
	// (admission.go).
	CodeUnavailable = "SERVICE_UNAVAILABLE"
	// CodeInternal: a bug; the cause is logged, never sent.
	CodeInternal    = "INTERNAL_SERVER_ERROR"
	CodeParseFailed = errcode.ParseFailed
	// CodeValidation: the document fails validation, or a variable's value does not fit its
	// declared type (then with extensions.field, e.g. `$input.startsAt`).
	CodeValidation = errcode.ValidationFailed
	// CodeBadRequest: a request the transport refuses (a mutation over GET or WebSocket, a
	// subscription over plain HTTP, a malformed body, bad persisted-query extension data). gqlws
	// sends it under the same name.
	CodeBadRequest = "BAD_REQUEST"
	// CodeQueryTooComplex: the document's shape (depth, aliases, tokens, fragments) is over a
	// limit, refused before validation (limits.go).
	CodeQueryTooComplex = "QUERY_TOO_COMPLEX"
	// CodeComplexityLimit is gqlgen's code for an operation over MAX_COMPLEXITY (complexity.go).
	CodeComplexityLimit = "COMPLEXITY_LIMIT_EXCEEDED"
	// CodeResponseTooLarge: the response would exceed MAX_RESPONSE_BYTES; nothing of it is sent
	// (response_limit.go).
	CodeResponseTooLarge = "RESPONSE_TOO_LARGE"
	// CodeOperationTimeout: the operation ran past OPERATION_TIMEOUT, or one of its SQL
	// statements past DB_STATEMENT_TIMEOUT, and was stopped.
	CodeOperationTimeout = "OPERATION_TIMEOUT"
	// CodePersistedQueryNotFound is gqlgen's (and Apollo's) answer to an automatic persisted
	// query sent by hash only that this instance does not hold: the client resends it with its text.
	CodePersistedQueryNotFound = "PERSISTED_QUERY_NOT_FOUND"
	// CodeMethodNotAllowed answers an HTTP method /graphql does not serve (405).
	CodeMethodNotAllowed = "METHOD_NOT_ALLOWED"
	// CodeClientClosed marks an operation stopped because its client went away (nginx's 499).
	// It is log-only: no connected client ever reads it, so it is not documented to clients.
	CodeClientClosed = "CLIENT_CLOSED_REQUEST"
)

// The messages the presenter writes itself, in the requester's language (package i18n). Their
// English texts are the API's messages before it spoke French, unchanged.
var (
	// msgOperationTimeout is the message of every OPERATION_TIMEOUT, whichever deadline stopped it.
	msgOperationTimeout = i18n.Key("error.operationTimeout")
	msgCanceled         = i18n.Key("error.canceled")
	msgDependencyDown   = i18n.Key("error.dependencyUnavailable")
	msgInternal         = i18n.Key("error.internal")
	// domainMessages are the texts of the domain errors that name theirs (domain.MessageIDs).
	domainMessages = func() map[domain.MessageID]i18n.ID {
		m := make(map[domain.MessageID]i18n.ID, len(domain.MessageIDs))
		for _, id := range domain.MessageIDs {
			m[id] = i18n.Key("error." + string(id))
		}
		return m
	}()
)

// localized is the message of a domain error in the request's language (i18n.LocaleFrom), at
// two levels: its catalogue text when it names a message id (domain.Error.WithMessage), else the
// translation of its English source text (its format, or its whole message when the format only
// passes a text through) from the error catalogue (i18n.ErrorText) filled with its arguments.
// English requesters get the message as it is. Every domain error text written in the code has its
// French (i18n's TestEveryErrorTextInFrench fails otherwise, and on a message built at run time),
// so the English message is only a last resort.
func localized(ctx context.Context, de *domain.Error) string {
	l := i18n.For(i18n.LocaleFrom(ctx))
	if id, ok := domainMessages[de.MessageID]; ok {
		return l.T(id, de.MessageData)
	}
	return i18n.ErrorMessage(l.Lang(), de.Format, de.Args, de.Message)
}

var kindCodes = map[domain.Kind]string{
	domain.KindInvalid:         CodeBadUserInput,
	domain.KindNotFound:        CodeNotFound,
	domain.KindConflict:        CodeConflict,
	domain.KindUnauthenticated: CodeUnauthenticated,
	domain.KindForbidden:       CodeForbidden,
	domain.KindRateLimited:     CodeRateLimited,
	domain.KindUnavailable:     CodeUnavailable,
}

// errorPresenter is the one place where errors become API errors: domain errors get their code
// and their safe message in the requester's language (localized; extensions are the same in
// every language); gqlgen's own parse/validation errors keep theirs, a variable whose
// value does not fit its type gets a clear message and extensions.field; an operation whose
// client went away is logged at debug level only; a deadline (the operation's, or PostgreSQL's
// statement_timeout) is OPERATION_TIMEOUT, logged as a warning; an unreachable PostgreSQL or
// Redis is SERVICE_UNAVAILABLE with retryAfterSeconds; anything else is logged with the request
// id and replaced by a generic INTERNAL_SERVER_ERROR. schema is the API's schema (the types of
// variables).
func errorPresenter(log *slog.Logger, schema *ast.Schema) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		ext := gqlErr.Extensions
		if ext == nil {
			ext = map[string]any{}
		}
		reqID := RequestIDFrom(ctx)
		if reqID != "" {
			ext["requestId"] = reqID
		}
		gqlErr.Extensions = ext

		var de *domain.Error
		if errors.As(err, &de) {
			ext["code"] = kindCodes[de.Kind]
			gqlErr.Message = localized(ctx, de)
			if de.Field != "" {
				ext["field"] = inputFieldPath(ctx, de.Field)
			} else if f := argumentPath(ctx, gqlErr.Path); f != "" {
				ext["field"] = f
			}
			if de.Kind == domain.KindRateLimited {
				ext["retryAfterSeconds"] = int(math.Ceil(de.RetryAfter.Seconds()))
			}
			for k, v := range de.Details {
				ext[k] = v
			}
			if de.Err != nil {
				log.DebugContext(ctx, "domain error cause", "request_id", reqID, "err", de.Err)
			}
			return gqlErr
		}
		if isVariableError(ctx, gqlErr) {
			presentVariableError(ctx, schema, gqlErr)
			return gqlErr
		}
		if _, ok := ext["code"]; ok {
			// gqlgen's parse, validation and complexity errors: safe and already coded.
			return gqlErr
		}
		var ge *gqlerror.Error
		if errors.As(err, &ge) && ge.Err == nil && ge.Rule != "" {
			ext["code"] = CodeValidation
			return gqlErr
		}
		if errors.As(err, &ge) && ge.Err == nil && len(ge.Path) == 0 && graphql.GetFieldContext(ctx) == nil {
			// An uncoded request error gqlgen's handler extensions write for the client before
			// anything runs (automatic persisted queries: "unsupported APQ version", "provided
			// APQ hash does not match query"): the request is wrong, not the server.
			ext["code"] = CodeBadRequest
			return gqlErr
		}
		if clientGone(ctx, err) {
			// The client went away (closed the connection, stopped the subscription): nobody
			// reads this answer and nothing is wrong with the server.
			log.DebugContext(ctx, "operation canceled by the client", "request_id", reqID, "path", gqlErr.Path.String())
			gqlErr.Message = i18n.For(i18n.LocaleFrom(ctx)).T(msgCanceled, nil)
			gqlErr.Extensions = map[string]any{"code": CodeClientClosed, "requestId": reqID}
			return gqlErr
		}
		if timedOut(ctx, err) {
			// Too much work for the time allowed, not a bug: the same answer as an operation
			// stopped at its deadline as a whole (stoppedResponse).
			log.WarnContext(ctx, "operation timed out", "request_id", reqID, "path", gqlErr.Path.String(), "err", err)
			gqlErr.Message = i18n.For(i18n.LocaleFrom(ctx)).T(msgOperationTimeout, nil)
			gqlErr.Extensions = map[string]any{"code": CodeOperationTimeout, "requestId": reqID}
			return gqlErr
		}
		if dependencyDown(err) {
			log.WarnContext(ctx, "dependency unavailable", "request_id", reqID, "path", gqlErr.Path.String(), "err", err)
			gqlErr.Message = i18n.For(i18n.LocaleFrom(ctx)).T(msgDependencyDown, nil)
			gqlErr.Extensions = map[string]any{
				"code": CodeUnavailable, "requestId": reqID,
				"retryAfterSeconds": int(math.Ceil(dependencyRetryAfter.Seconds())),
			}
			return gqlErr
		}
		log.ErrorContext(ctx, "internal error", "request_id", reqID, "path", gqlErr.Path.String(), "err", err)
		gqlErr.Message = i18n.For(i18n.LocaleFrom(ctx)).T(msgInternal, nil)
		gqlErr.Extensions = map[string]any{"code": CodeInternal, "requestId": reqID}
		return gqlErr
	}
}

// inputFieldPath prefixes a service's field name with "input." when the failing field takes an
// input object, so clients can map it onto the form they submitted.
func inputFieldPath(ctx context.Context, field string) string {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil {
		return field
	}
	for _, arg := range fc.Field.Arguments {
		if arg.Name == "input" {
			return "input." + field
		}
	}
	return field
}

// argumentPath names the argument an input-coercion error is about (a scalar refused a value,
// e.g. `input.startsAt` or `input.skills.2.note`): the part of the error's path below the field
// being resolved. Empty for an error of the field itself.
func argumentPath(ctx context.Context, path ast.Path) string {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return ""
	}
	fieldPath := fc.Path()
	if len(path) <= len(fieldPath) {
		return ""
	}
	for i, el := range fieldPath {
		if path[i] != el {
			return ""
		}
	}
	parts := make([]string, 0, len(path)-len(fieldPath))
	for _, el := range path[len(fieldPath):] {
		switch el := el.(type) {
		case ast.PathName:
			parts = append(parts, string(el))
		case ast.PathIndex:
			parts = append(parts, strconv.Itoa(int(el)))
		}
	}
	return strings.Join(parts, ".")
}

// recoverFunc turns a resolver panic into an internal error and logs the stack's value.
func recoverFunc(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "panic in resolver", "request_id", RequestIDFrom(ctx), "panic", fmt.Sprint(p))
		return errors.New("panic")
	}
}
