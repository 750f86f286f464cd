package notifications

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/i18n"
)

// Every type the domain knows has its text in every language (i18n's
// TestEveryMessageInEveryLanguage checks every declared id; this checks every type declares one).
func TestEveryTypeHasItsTextInEveryLanguage(t *testing.T) {
	t.Parallel()
	for _, typ := range domain.AllNotificationTypes {
		id, ok := typeTexts[typ]
		if !ok {
			t.Errorf("%s has no text id (register it in registry.go)", typ)
			continue
		}
		for _, l := range i18n.Languages {
			if !i18n.Has(l, id) {
				t.Errorf("%s: no %s text (%s)", typ, l, id)
			}
		}
	}
}

func TestEmailsAreWrittenInTheMembersLanguage(t *testing.T) {
	t.Parallel()
	link := "https://app.test/unsubscribe?t=abc"
	for _, tc := range []struct {
		locale, lang, subject, greeting, unsubscribe string
	}{
		{"en", "en", "SkillSwap: Your session is confirmed", "Hello <b>Zoé</b>,", "Stop emails like this one"},
		{"fr-CA", "fr", "SkillSwap : Votre session est confirmée", "Bonjour <b>Zoé</b>,", "Ne plus recevoir ce type d'e-mail"},
		{"de", "en", "SkillSwap: Your session is confirmed", "Hello <b>Zoé</b>,", "Stop emails like this one"},
		{"", "en", "SkillSwap: Your session is confirmed", "Hello <b>Zoé</b>,", "Stop emails like this one"},
	} {
		m, err := RenderEmail(tc.locale, "SkillSwap", "<b>Zoé</b>", domain.NotificationSessionConfirmed, link)
		if err != nil {
			t.Fatal(err)
		}
		if m.Lang != tc.lang || m.Subject != tc.subject {
			t.Errorf("%q: lang %q subject %q", tc.locale, m.Lang, m.Subject)
		}
		if !strings.Contains(m.Text, tc.greeting) || !strings.Contains(m.Text, tc.unsubscribe+": "+link) {
			t.Errorf("%q: text part:\n%s", tc.locale, m.Text)
		}
		// The name is escaped in the HTML; the link is a link.
		if strings.Contains(m.HTML, "<b>Zoé</b>") || !strings.Contains(m.HTML, "&lt;b&gt;Zoé&lt;/b&gt;") ||
			!strings.Contains(m.HTML, `href="`+link+`"`) || !strings.Contains(m.HTML, `lang="`+tc.lang+`"`) {
			t.Errorf("%q: html part:\n%s", tc.locale, m.HTML)
		}
	}
}

func TestCriticalEmailsSayWhyTheyComeAndOfferNoUnsubscribe(t *testing.T) {
	t.Parallel()
	for _, l := range i18n.Languages {
		m, err := RenderEmail(l, "SkillSwap", "Zoé", domain.NotificationPaymentFailed, "")
		if err != nil {
			t.Fatal(err)
		}
		loc := i18n.For(l)
		if !strings.Contains(m.Text, loc.T(msgNotificationCritical, nil)) || strings.Contains(m.Text, loc.T(msgNotificationUnsub, nil)) || strings.Contains(m.HTML, "href") {
			t.Errorf("%s: critical email:\n%s\n%s", l, m.Text, m.HTML)
		}
	}
}

func TestUnsubscribeTokens(t *testing.T) {
	t.Parallel()
	links := NewUnsubscribeLinks([]byte("0123456789abcdef0123456789abcdef"), "https://app.test/")
	other := NewUnsubscribeLinks([]byte("another key, another deployment."), "https://app.test")
	u := uuid.Must(uuid.NewV7())
	tok := links.Token(u, domain.NotificationSessionConfirmed)
	if got, typ, ok := links.Parse(tok); !ok || got != u || typ != domain.NotificationSessionConfirmed {
		t.Fatalf("parse own token: %v %v %v", got, typ, ok)
	}
	if url := links.URL(u, domain.NotificationSessionConfirmed); url != "https://app.test/unsubscribe?t="+tok {
		t.Fatalf("url %s", url)
	}
	flip := []byte(tok)
	flip[len(flip)/2] ^= 1
	for name, bad := range map[string]string{
		"empty":                        "",
		"not base64":                   "%%%",
		"tampered":                     string(flip),
		"truncated":                    tok[:len(tok)-2],
		"same bytes, other spelling":   setPaddingBit(tok),
		"another key":                  other.Token(u, domain.NotificationSessionConfirmed),
		"critical type":                links.Token(u, domain.NotificationPaymentFailed),
		"own-email type":               links.Token(u, domain.NotificationModerationSanctionImposed),
		"unregistered type":            links.Token(u, "NOT_A_TYPE"),
		"another type, same signature": swapType(t, tok, domain.NotificationSessionCancelled),
		"no links (nil key)":           tok,
	} {
		l := links
		if name == "no links (nil key)" {
			l = NewUnsubscribeLinks(nil, "https://app.test")
		}
		if _, _, ok := l.Parse(bad); ok {
			t.Errorf("%s: accepted", name)
		}
	}
}

// swapType is tok with its type replaced and its signature kept.
func swapType(t *testing.T, tok string, typ domain.NotificationType) string {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		t.Fatal(err)
	}
	old := raw[16 : len(raw)-macSize]
	out := append(append(append([]byte{}, raw[:16]...), typ...), raw[16+len(old):]...)
	return base64.RawURLEncoding.EncodeToString(out)
}

// setPaddingBit is tok with an unused low bit of its last character set: the same bytes for a
// lenient decoder, another spelling of the token.
func setPaddingBit(tok string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, tok[len(tok)-1])
	return tok[:len(tok)-1] + string(alphabet[i|1])
}
