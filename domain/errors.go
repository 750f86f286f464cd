package domain

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies a domain error; the API's error presenter maps each kind to one
// `extensions.code`, in one place.
type Kind int

const (
	// KindInvalid is bad input from the caller (BAD_USER_INPUT).
	KindInvalid Kind = iota + 1
	// KindNotFound means the entity does not exist or the caller may not know it does (NOT_FOUND).
	KindNotFound
	// KindConflict means the request clashes with the current state (CONFLICT).
	KindConflict
	// KindUnauthenticated means the caller is not, or no longer, signed in (UNAUTHENTICATED).
	KindUnauthenticated
	// KindForbidden means the caller is signed in but may not do this (FORBIDDEN).
	KindForbidden
	// KindRateLimited means the caller must slow down (RATE_LIMITED).
	KindRateLimited
	// KindUnavailable means a feature is disabled by configuration or a dependency is down.
	KindUnavailable
)

// Error is an error whose message is safe to show to API clients.
type Error struct {
	// Kind decides the API code.
	Kind Kind
	// Message is shown to the client as is: never put internal details in it.
	Message string
	// Field names the input field at fault (dotted path relative to the input), if any.
	Field string
	// RetryAfter tells a rate-limited client when to try again.
	RetryAfter time.Duration
	// Details are extra machine-readable facts for the client (for example the current state).
	Details map[string]any
	// Err is the underlying cause, logged but never sent.
	Err error
	// MessageID names Message's text in the API's catalogues of French and English (package
	// i18n, id "error.<MessageID>"), when it has one: the error presenter then answers in the
	// requester's language. Empty: the presenter translates Format instead (see Format).
	MessageID MessageID
	// MessageData fills the named text's placeholders (such as {{.Entity}}).
	MessageData map[string]any
	// Format is the English source text Message was made from (the constructor's format or
	// message), and Args its arguments: without a MessageID, the error presenter looks Format up
	// in the error catalogue of the requester's language (i18n.ErrorText) and fills the
	// translation with Args.
	Format string
	// Args are Format's arguments.
	Args []any
}

// MessageID names the text of an error message in the catalogues (see Error.MessageID). Every
// one is a constant of messages.go listed in MessageIDs, so the catalogue test sees them all.
type MessageID string

// WithMessage names e's text in the catalogues (MessageID, MessageData) and returns e.
func (e *Error) WithMessage(id MessageID, data map[string]any) *Error {
	e.MessageID, e.MessageData = id, data
	return e
}

// WithText replaces e's message with another English text, translated like a constructor's
// through the error catalogue (it drops a message id the constructor set), and returns e.
func (e *Error) WithText(message string) *Error {
	e.Message, e.Format, e.Args, e.MessageID, e.MessageData = message, message, nil, "", nil
	return e
}

func (e *Error) Error() string {
	msg := e.Message
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", msg, e.Err)
	}
	return msg
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Invalid reports bad input in field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Kind: KindInvalid, Field: field, Message: fmt.Sprintf(format, args...), Format: format, Args: args}
}

// NotFound reports that an entity of the named kind does not exist (or is hidden from the caller).
func NotFound(entity string) *Error {
	return &Error{Kind: KindNotFound, Message: entity + " not found", MessageID: MsgNotFound, MessageData: map[string]any{"Entity": entity}}
}

// Conflict reports a clash with the current state.
func Conflict(format string, args ...any) *Error {
	return &Error{Kind: KindConflict, Message: fmt.Sprintf(format, args...), Format: format, Args: args}
}

// Unauthenticated reports a missing, invalid or expired credential.
func Unauthenticated(message string) *Error {
	return &Error{Kind: KindUnauthenticated, Message: message, Format: message}
}

// Forbidden reports that the caller lacks a permission.
func Forbidden(format string, args ...any) *Error {
	return &Error{Kind: KindForbidden, Message: fmt.Sprintf(format, args...), Format: format, Args: args}
}

// RateLimited tells the caller to retry after the given delay.
func RateLimited(retryAfter time.Duration) *Error {
	return &Error{Kind: KindRateLimited, Message: "too many attempts, try again later", RetryAfter: retryAfter, MessageID: MsgRateLimited}
}

// Unavailable reports a feature that is disabled or a dependency that is down.
func Unavailable(message string) *Error {
	return &Error{Kind: KindUnavailable, Message: message, Format: message}
}

// IsKind reports whether err is a domain error of kind k.
func IsKind(err error, k Kind) bool {
	var de *Error
	return errors.As(err, &de) && de.Kind == k
}

// ErrNotFound is returned by the store when a row does not exist; callers usually turn it into
// NotFound with the entity name.
var ErrNotFound = &Error{Kind: KindNotFound, Message: "not found", MessageID: MsgNotFoundAny}
