package notifications

import (
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/i18n"
	"github.com/skillswap/skillswap/mail"
)

// templateFS holds the notification emails' layouts (HTML and text) and the unsubscribe page;
// their words come from package i18n's catalogues (email.*, notification.type.*, unsubscribe.*),
// where every registered type has its text in every language (TestEveryMessageInEveryLanguage).
//
//go:embed templates
var templateFS embed.FS

// The parsed templates; a broken embedded file fails every test of the package.
var (
	emailHTML        = htmltemplate.Must(htmltemplate.ParseFS(templateFS, "templates/email.html.tmpl"))
	emailTextLayout  = texttemplate.Must(texttemplate.ParseFS(templateFS, "templates/email.txt.tmpl"))
	digestHTML       = htmltemplate.Must(htmltemplate.ParseFS(templateFS, "templates/digest.html.tmpl"))
	digestTextLayout = texttemplate.Must(texttemplate.ParseFS(templateFS, "templates/digest.txt.tmpl"))
	unsubscribePage  = htmltemplate.Must(htmltemplate.ParseFS(templateFS, "templates/unsubscribe.html.tmpl"))
)

// The message ids of notification emails, pushes and the unsubscribe page.
var (
	msgGreeting             = i18n.Key("email.greeting")
	msgSignature            = i18n.Key("email.signature")
	msgNotificationSubject  = i18n.Key("email.notification.subject")
	msgNotificationHappened = i18n.Key("email.notification.happened")
	msgNotificationSettings = i18n.Key("email.notification.settings")
	msgNotificationCritical = i18n.Key("email.notification.critical")
	msgNotificationUnsub    = i18n.Key("email.notification.unsubscribe")
	msgGenericType          = i18n.Key("notification.generic")
	// typeTexts says what happened, per registered type, in a few words and without content:
	// the subject of its email and the body of its push.
	typeTexts = func() map[domain.NotificationType]i18n.ID {
		m := make(map[domain.NotificationType]i18n.ID, len(registry))
		for _, s := range registry {
			m[s.Type] = i18n.Key("notification.type." + string(s.Type))
		}
		return m
	}()
)

// whatHappened is t's words in l (a generic text for a type valid in domain but not registered
// yet, which the registry test catches).
func whatHappened(l i18n.Localizer, t domain.NotificationType) string {
	if id, ok := typeTexts[t]; ok {
		return l.T(id, nil)
	}
	return l.T(msgGenericType, nil)
}

// emailView is what the email layouts fill in.
type emailView struct {
	Lang, Subject, Greeting, Happened, Settings, CriticalNote, Unsubscribe, Signature string
	Critical                                                                          bool
	UnsubscribeURL                                                                    string
}

// EmailMessage is a rendered notification email.
type EmailMessage struct {
	Subject, Text, HTML string
	// Lang is the language it is written in ("en" or "fr").
	Lang string
}

// RenderEmail writes the email of a notification of type t to the member named name, in locale
// (English when it is neither French nor English). It names what happened but carries no
// content (no message text, no amount): the app shows that to the signed-in member. unsubscribe
// is the one-click link of a non-critical type ("" for none); a critical type's email says why
// it comes whatever the settings.
func RenderEmail(locale, app, name string, t domain.NotificationType, unsubscribe string) (EmailMessage, error) {
	l := i18n.For(locale)
	d := map[string]any{"App": app, "Name": name, "What": whatHappened(l, t)}
	spec := specOf(t)
	v := emailView{
		Lang: l.Lang(), Subject: l.T(msgNotificationSubject, d), Greeting: l.T(msgGreeting, d),
		Happened: l.T(msgNotificationHappened, d), Settings: l.T(msgNotificationSettings, d),
		CriticalNote: l.T(msgNotificationCritical, d), Unsubscribe: l.T(msgNotificationUnsub, d),
		Signature: l.T(msgSignature, d), Critical: spec.Critical, UnsubscribeURL: unsubscribe,
	}
	var text, html strings.Builder
	if err := emailTextLayout.Execute(&text, v); err != nil {
		return EmailMessage{}, fmt.Errorf("notification email %s text: %w", t, err)
	}
	if err := emailHTML.Execute(&html, v); err != nil {
		return EmailMessage{}, fmt.Errorf("notification email %s html: %w", t, err)
	}
	return EmailMessage{Subject: v.Subject, Text: text.String(), HTML: html.String(), Lang: l.Lang()}, nil
}

// RenderWelcome renders the welcome email in locale with the notification emails' layouts, HTML
// and text: it is sent once, at sign-up, so it has no settings line nor unsubscribe link.
func RenderWelcome(locale, app, name string) (EmailMessage, error) {
	l := i18n.For(locale)
	d := map[string]any{"App": app, "Name": name}
	v := emailView{
		Lang: l.Lang(), Subject: l.T(msgWelcomeSubject, d), Greeting: l.T(msgGreeting, d),
		Happened: l.T(msgWelcomeBody, d), Signature: l.T(msgSignature, d),
	}
	var text, html strings.Builder
	if err := emailTextLayout.Execute(&text, v); err != nil {
		return EmailMessage{}, fmt.Errorf("welcome email text: %w", err)
	}
	if err := emailHTML.Execute(&html, v); err != nil {
		return EmailMessage{}, fmt.Errorf("welcome email html: %w", err)
	}
	return EmailMessage{Subject: v.Subject, Text: text.String(), HTML: html.String(), Lang: l.Lang()}, nil
}

// asMail is m addressed to to, as package mail sends it.
func (m EmailMessage) asMail(to string, headers map[string]string) mail.Email {
	return mail.Email{To: to, Subject: m.Subject, Body: m.Text, HTML: m.HTML, Language: m.Lang, Headers: headers}
}

// The message ids of the digest email.
var (
	msgDigestSubject      = i18n.Key("email.digest.subject")
	msgDigestIntro        = i18n.Key("email.digest.intro")
	msgDigestMessages     = i18n.Key("email.digest.messages")
	msgDigestConversation = i18n.Key("email.digest.conversation")
	msgDigestMatches      = i18n.Key("email.digest.matches")
	msgDigestSessions     = i18n.Key("email.digest.sessions")
	msgDigestOutro        = i18n.Key("email.digest.outro")
	msgDigestSettings     = i18n.Key("email.digest.settings")
	msgDigestUnsubscribe  = i18n.Key("email.digest.unsubscribe")
)

// digestItem is one line of a digest, with its sub-lines (one per conversation).
type digestItem struct {
	Text string
	Sub  []string
}

// digestView is what the digest layouts fill in.
type digestView struct {
	Lang, Subject, Greeting, Intro, Outro, Settings, Unsubscribe, Signature, UnsubscribeURL string
	Items                                                                                   []digestItem
}

// RenderDigest writes the digest email of a, in locale, with the same layout and words as the
// per-event emails: counts only, never message text nor names. unsubscribe is the digest's
// one-click link ("" for none).
func RenderDigest(locale, app, name string, a DigestEmailArgs, unsubscribe string) (EmailMessage, error) {
	l := i18n.For(locale)
	d := map[string]any{"App": app, "Name": name}
	v := digestView{
		Lang: l.Lang(), Subject: l.T(msgDigestSubject, d), Greeting: l.T(msgGreeting, d), Intro: l.T(msgDigestIntro, d),
		Outro: l.T(msgDigestOutro, d), Settings: l.T(msgDigestSettings, d), Unsubscribe: l.T(msgDigestUnsubscribe, d),
		Signature: l.T(msgSignature, d), UnsubscribeURL: unsubscribe,
	}
	if len(a.Conversations) > 0 {
		total := 0
		it := digestItem{}
		for i, c := range a.Conversations {
			total += c.Unread
			it.Sub = append(it.Sub, l.N(msgDigestConversation, c.Unread, map[string]any{"N": i + 1}))
		}
		it.Text = l.N(msgDigestMessages, total, map[string]any{"Conversations": len(a.Conversations)})
		v.Items = append(v.Items, it)
	}
	if a.NewMatches > 0 {
		v.Items = append(v.Items, digestItem{Text: l.N(msgDigestMatches, a.NewMatches, nil)})
	}
	if a.UpcomingSessions > 0 {
		days := int(DigestUpcomingWindow / (24 * time.Hour))
		v.Items = append(v.Items, digestItem{Text: l.N(msgDigestSessions, a.UpcomingSessions, map[string]any{"Days": days})})
	}
	var text, html strings.Builder
	if err := digestTextLayout.Execute(&text, v); err != nil {
		return EmailMessage{}, fmt.Errorf("digest email text: %w", err)
	}
	if err := digestHTML.Execute(&html, v); err != nil {
		return EmailMessage{}, fmt.Errorf("digest email html: %w", err)
	}
	return EmailMessage{Subject: v.Subject, Text: text.String(), HTML: html.String(), Lang: l.Lang()}, nil
}
