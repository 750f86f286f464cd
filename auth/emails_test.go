package auth

import (
	"strings"
	"testing"
)

func TestAccountEmailsRenderInBothLanguages(t *testing.T) {
	t.Parallel()
	for _, kind := range accountEmails {
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
			if greeting := map[string]string{"en": "Hello", "fr": "Bonjour", "de": "Hello"}[locale]; !strings.HasPrefix(e.Body, greeting) {
				t.Errorf("%s/%s: body starts %q, want %q", kind, locale, e.Body[:min(len(e.Body), 20)], greeting)
			}
			if e.Language != want {
				t.Errorf("%s/%s: language %q, want %q", kind, locale, e.Language, want)
			}
		}
	}
}

func TestNoticesNameWhatChanged(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kind accountEmail
		want string
	}{
		{emailProviderLinked, "acme"},
		{emailProviderUnlinked, "acme"},
		{emailChanged, "new@example.com"},
	} {
		for _, locale := range []string{"en", "fr"} {
			e, err := renderEmail(tc.kind, locale, "old@example.com", emailData{
				App: "SkillSwap", Name: "Zoé", Provider: "acme", NewEmail: "new@example.com", Link: "https://app.test/x", Hours: 72,
			})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(e.Subject+e.Body, tc.want) || !strings.Contains(e.HTML, tc.want) {
				t.Errorf("%s/%s does not name %q:\n%s\n%s", tc.kind, locale, tc.want, e.Subject, e.Body)
			}
		}
	}
	// Every notice kind queued by SecurityNoticeArgs has its email.
	for notice, kind := range noticeEmails {
		if _, ok := accountEmailIDs[kind]; !ok {
			t.Errorf("notice %s has no email", notice)
		}
	}
}
