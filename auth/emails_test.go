package auth

import (
	"strings"
	"testing"
)

func TestAccountEmailsRenderInBothLanguages(t *testing.T) {
	t.Parallel()
	for kind := range emailTexts {
		for _, locale := range []string{"en", "fr", "de"} {
			e, err := renderEmail(kind, locale, "a@example.com", emailData{
				App: "SkillSwap", Name: "<b>Zoé</b>", Code: "012345", Link: "https://app.test/x?token=abc", Minutes: 20, Hours: 24,
			})
			if err != nil {
				t.Fatalf("%s/%s: %v", kind, locale, err)
			}
			if e.Subject == "" || !strings.Contains(e.Body, "<b>Zoé</b>") || strings.Contains(e.HTML, "<b>Zoé</b>") {
				t.Errorf("%s/%s: the name must be in the text and escaped in the HTML:\n%s\n%s", kind, locale, e.Body, e.HTML)
			}
			if !strings.Contains(e.HTML, `href="https://app.test/x?token=abc"`) {
				t.Errorf("%s/%s: no link in the HTML:\n%s", kind, locale, e.HTML)
			}
			want := map[string]string{"en": "en", "fr": "fr", "de": "en"}[locale]
			if e.Language != want {
				t.Errorf("%s/%s: language %q, want %q", kind, locale, e.Language, want)
			}
		}
	}
}
