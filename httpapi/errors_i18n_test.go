package httpapi

import (
	"context"
	"testing"
	"time"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/i18n"
)

// TestLocalizedDomainErrors: a domain error reaches a French requester through its message id,
// else through the translation of its English format filled with its arguments, else (a text
// passed on whole, such as store's conflict messages) through its whole message; English
// requesters get the English message unchanged; a text the catalogue lacks stays English.
func TestLocalizedDomainErrors(t *testing.T) {
	t.Parallel()
	fr := i18n.WithLocale(context.Background(), "fr")
	en := i18n.WithLocale(context.Background(), "en")
	cases := []struct {
		name   string
		err    *domain.Error
		fr, en string
	}{
		{"message id", domain.NotFound("skill"), "", "skill not found"},
		{"format with arguments", domain.Invalid("minutes", "must be at most %d minutes", 240),
			"doit durer 240 minutes au plus", "must be at most 240 minutes"},
		{"two arguments", domain.Invalid("n", "must be an integer between %d and %d", 1, 9),
			"doit être un entier compris entre 1 et 9", "must be an integer between 1 and 9"},
		{"plain message", domain.Forbidden("not a moderator"), "vous n'êtes pas modérateur", "not a moderator"},
		{"text passed on with %s", domain.Conflict("%s", "this session already has a payment"),
			"cette séance a déjà un paiement", "this session already has a payment"},
		{"rate limited", domain.RateLimited(time.Second), "", "too many attempts, try again later"},
		{"not in the catalogue", domain.Conflict("%s", "something new"), "something new", "something new"},
	}
	for _, c := range cases {
		if got := localized(en, c.err); got != c.en {
			t.Errorf("%s: English %q, want %q", c.name, got, c.en)
		}
		want := c.fr
		if want == "" {
			want = i18n.For("fr").T(domainMessages[c.err.MessageID], c.err.MessageData)
		}
		if got := localized(fr, c.err); got != want || (got == c.en) != (c.fr == c.en) {
			t.Errorf("%s: French %q, want %q (and not the English text)", c.name, got, want)
		}
	}
}
