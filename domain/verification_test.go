package domain

import (
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestUnverifiedPolicy(t *testing.T) {
	t.Parallel()
	at := time.Now()
	unverified := Actor{User: User{ID: uuid.New()}}
	verified := Actor{User: User{ID: uuid.New(), EmailVerifiedAt: &at}}
	tests := []struct {
		list   string
		actor  Actor
		action UnverifiedAction
		ok     bool
	}{
		{"", unverified, UnverifiedMessage, false},
		{"", unverified, UnverifiedBook, false},
		{"", verified, UnverifiedMessage, true},
		{"message", unverified, UnverifiedMessage, true},
		{"message", unverified, UnverifiedBook, false},
		{" MESSAGE , book ", unverified, UnverifiedBook, true},
	}
	for _, tt := range tests {
		p, err := ParseUnverifiedPolicy(tt.list)
		if err != nil {
			t.Fatalf("ParseUnverifiedPolicy(%q): %v", tt.list, err)
		}
		err = p.Require(tt.actor, tt.action)
		if (err == nil) != tt.ok {
			t.Errorf("%q, %s: %v, want ok=%v", tt.list, tt.action, err, tt.ok)
		}
		if err != nil {
			de := err.(*Error)
			if de.Kind != KindForbidden || de.Details["reason"] != ReasonEmailNotVerified {
				t.Errorf("error %+v, want FORBIDDEN with reason %s", de, ReasonEmailNotVerified)
			}
		}
	}
	if _, err := ParseUnverifiedPolicy("MESSAGE,PAY"); err == nil {
		t.Error("an unknown action was accepted")
	}
}
