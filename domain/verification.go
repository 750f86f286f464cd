package domain

import (
	"fmt"
	"strings"
)

// UnverifiedAction is something a member whose email is not verified may be kept from doing.
type UnverifiedAction string

// The actions UnverifiedPolicy governs.
const (
	// UnverifiedMessage is opening conversations and sending messages.
	UnverifiedMessage UnverifiedAction = "MESSAGE"
	// UnverifiedBook is proposing (booking) skill sessions.
	UnverifiedBook UnverifiedAction = "BOOK"
)

// ReasonEmailNotVerified is the `extensions.reason` of the FORBIDDEN error a member with an
// unverified email gets for an action UnverifiedPolicy keeps from them.
const ReasonEmailNotVerified = "EMAIL_NOT_VERIFIED"

// UnverifiedPolicy is the one gate of the actions it governs (messaging, booking: proposing a
// session, paid or not): a member must have accepted the current terms and privacy policy
// (Legal; CONSENT_REQUIRED) and, unless UNVERIFIED_MAY lets them, have verified their email
// (EMAIL_NOT_VERIFIED). The zero policy requires no consent and allows unverified members
// nothing it governs: the default is no messaging and no booking.
type UnverifiedPolicy struct {
	May []UnverifiedAction
	// Legal are the current versions of the documents members must have accepted (zero: none).
	Legal LegalVersions
}

// ParseUnverifiedPolicy reads a comma-separated list of actions (MESSAGE, BOOK; case-insensitive).
func ParseUnverifiedPolicy(list string) (UnverifiedPolicy, error) {
	var p UnverifiedPolicy
	for item := range strings.SplitSeq(list, ",") {
		a := UnverifiedAction(strings.ToUpper(strings.TrimSpace(item)))
		switch a {
		case "":
		case UnverifiedMessage, UnverifiedBook:
			p.May = append(p.May, a)
		default:
			return UnverifiedPolicy{}, fmt.Errorf("unknown action %q (known: MESSAGE, BOOK)", item)
		}
	}
	return p, nil
}

// Require is FORBIDDEN with extensions.reason CONSENT_REQUIRED (and extensions.documents) when
// the actor has not accepted a current legal document, else EMAIL_NOT_VERIFIED when the actor's
// email is not verified and the policy does not let such members do action; nil otherwise.
func (p UnverifiedPolicy) Require(actor Actor, action UnverifiedAction) error {
	if !actor.SignedIn() {
		return nil
	}
	if missing := p.Legal.Missing(actor.User); len(missing) > 0 {
		e := Forbidden("accept the current terms and privacy policy first (acceptPolicies)")
		e.Details = map[string]any{"reason": ReasonConsentRequired, "documents": missing}
		return e
	}
	if actor.User.EmailVerified() {
		return nil
	}
	for _, a := range p.May {
		if a == action {
			return nil
		}
	}
	e := Forbidden("verify your email address first: enter the code we sent you or open its link")
	e.Details = map[string]any{"reason": ReasonEmailNotVerified}
	return e
}
