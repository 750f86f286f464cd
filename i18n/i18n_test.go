package i18n_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/skillswap/skillswap/i18n"

	// The packages that write texts, imported for the ids they declare (i18n.Key).
	_ "github.com/skillswap/skillswap/accountpages"
	_ "github.com/skillswap/skillswap/auth"
	_ "github.com/skillswap/skillswap/httpapi"
	_ "github.com/skillswap/skillswap/moderation"
	_ "github.com/skillswap/skillswap/notifications"
)

// TestEveryMessageInEveryLanguage fails when an id a package uses lacks a language, or when a
// catalogue holds an id in one language only or an id no package uses (a dead text).
func TestEveryMessageInEveryLanguage(t *testing.T) {
	used := map[i18n.ID]bool{}
	for _, id := range i18n.Registered() {
		used[id] = true
		for _, l := range i18n.Languages {
			if !i18n.Has(l, id) {
				t.Errorf("message %q is used but missing in %s", id, l)
			}
		}
	}
	if len(used) < 100 {
		t.Fatalf("only %d ids registered: the packages' declarations did not run", len(used))
	}
	for _, l := range i18n.Languages {
		for _, id := range i18n.Defined(l) {
			for _, other := range i18n.Languages {
				if !i18n.Has(other, id) {
					t.Errorf("message %q is in %s but not in %s", id, l, other)
				}
			}
			if !used[id] {
				t.Errorf("message %q (%s) is used by no package: remove it or declare it with i18n.Key", id, l)
			}
		}
	}
}

func TestMatchFallsBack(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"fr": "fr", "fr-CA": "fr", "fr_BE": "fr", "FR": "fr", "fr-CA,en;q=0.5": "fr",
		"de": "en", "de-DE,fr;q=0.7": "fr", "en-GB": "en", "": "en", "zz-not a tag!": "en", "ja, de;q=0.5": "en", "fri": "en", "EN": "en",
	} {
		if got := i18n.Match(in); got != want {
			t.Errorf("Match(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestResolveProfileBeatsAcceptLanguage(t *testing.T) {
	t.Parallel()
	cases := []struct{ profile, accept, want string }{
		{"fr", "en-US,en;q=0.9", "fr"},
		{"en", "fr-CA", "en"},
		{"", "fr-CA,fr;q=0.9", "fr"},
		{"", "de", "en"},
		{"", "", "en"},
	}
	for _, c := range cases {
		if got := i18n.Resolve(c.profile, c.accept); got != c.want {
			t.Errorf("Resolve(%q, %q) = %q, want %q", c.profile, c.accept, got, c.want)
		}
	}
}

func TestContextAndRequestLocale(t *testing.T) {
	t.Parallel()
	if got := i18n.LocaleFrom(context.Background()); got != "en" {
		t.Errorf("empty context: %q", got)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Accept-Language", "fr-CH")
	if got := i18n.FromRequest(r); got != "fr" {
		t.Errorf("request with fr-CH: %q", got)
	}
	r = r.WithContext(i18n.WithLocale(r.Context(), "en"))
	if got := i18n.FromRequest(r); got != "en" {
		t.Errorf("the context's locale must win over the header: %q", got)
	}
}

func TestPlurals(t *testing.T) {
	t.Parallel()
	id := i18n.ID("email.digest.matches")
	for _, c := range []struct {
		lang string
		n    int
		want string
	}{
		{"en", 1, "1 new mutual match"}, {"en", 2, "2 new mutual matches"},
		{"fr", 1, "1 nouvelle correspondance mutuelle"}, {"fr", 3, "3 nouvelles correspondances mutuelles"},
	} {
		if got := i18n.For(c.lang).N(id, c.n, nil); got != c.want {
			t.Errorf("%s %d: %q, want %q", c.lang, c.n, got, c.want)
		}
	}
}
