package notifications

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/mail"
)

// templateFS holds the notification emails' layouts (HTML and text), the unsubscribe page and one
// catalogue of words per language (templates/<locale>.json). A type registered in registry.go
// gets its words in every catalogue (TestEveryTypeHasItsEmailInEveryLanguage).
//
//go:embed templates
var templateFS embed.FS

// catalogue is one language's words. Placeholders in braces ({app}, {name}, {what}) are
// replaced before the layout escapes the result (the HTML one with html/template).
type catalogue struct {
	Subject     string `json:"subject"`
	Greeting    string `json:"greeting"`
	Happened    string `json:"happened"`
	Settings    string `json:"settings"`
	Critical    string `json:"critical"`
	Unsubscribe string `json:"unsubscribe"`
	Signature   string `json:"signature"`
	Page        struct {
		Title      string `json:"title"`
		Body       string `json:"body"`
		Button     string `json:"button"`
		DoneTitle  string `json:"doneTitle"`
		DoneBody   string `json:"doneBody"`
		BadTitle   string `json:"badTitle"`
		BadBody    string `json:"badBody"`
		FailedBody string `json:"failedBody"`
	} `json:"page"`
	// Types says what happened, per notification type, in a few words and without content.
	Types map[domain.NotificationType]string `json:"types"`
}

// emailLocales are the languages emails are written in; the first is the fallback.
var emailLocales = []string{domain.LocaleEN, domain.LocaleFR}

// The parsed templates and catalogues; a broken embedded file fails every test of the package.
var (
	emailHTML       = htmltemplate.Must(htmltemplate.ParseFS(templateFS, "templates/email.html.tmpl"))
	emailTextLayout = texttemplate.Must(texttemplate.ParseFS(templateFS, "templates/email.txt.tmpl"))
	unsubscribePage = htmltemplate.Must(htmltemplate.ParseFS(templateFS, "templates/unsubscribe.html.tmpl"))
	catalogues      = mustCatalogues()
)

func mustCatalogues() map[string]catalogue {
	out := make(map[string]catalogue, len(emailLocales))
	for _, l := range emailLocales {
		b, err := templateFS.ReadFile("templates/" + l + ".json")
		if err != nil {
			panic(fmt.Sprintf("notifications: catalogue %s: %v", l, err))
		}
		var c catalogue
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			panic(fmt.Sprintf("notifications: catalogue %s: %v", l, err))
		}
		out[l] = c
	}
	return out
}

// catalogueFor is the catalogue of locale, English when there is none.
func catalogueFor(locale string) (string, catalogue) {
	l := domain.NormalizeLocale(locale)
	if c, ok := catalogues[l]; ok {
		return l, c
	}
	return domain.LocaleEN, catalogues[domain.LocaleEN]
}

// whatHappened is t's words in c, falling back to English and then to the registry's text.
func whatHappened(c catalogue, t domain.NotificationType) string {
	if w := c.Types[t]; w != "" {
		return w
	}
	if w := catalogues[domain.LocaleEN].Types[t]; w != "" {
		return w
	}
	return specOf(t).Text
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
	lang, c := catalogueFor(locale)
	what := whatHappened(c, t)
	fill := strings.NewReplacer("{app}", app, "{name}", name, "{what}", what).Replace
	spec := specOf(t)
	v := emailView{
		Lang: lang, Subject: fill(c.Subject), Greeting: fill(c.Greeting), Happened: fill(c.Happened),
		Settings: fill(c.Settings), CriticalNote: fill(c.Critical), Unsubscribe: fill(c.Unsubscribe),
		Signature: fill(c.Signature), Critical: spec.Critical, UnsubscribeURL: unsubscribe,
	}
	var text, html strings.Builder
	if err := emailTextLayout.Execute(&text, v); err != nil {
		return EmailMessage{}, fmt.Errorf("notification email %s text: %w", t, err)
	}
	if err := emailHTML.Execute(&html, v); err != nil {
		return EmailMessage{}, fmt.Errorf("notification email %s html: %w", t, err)
	}
	return EmailMessage{Subject: v.Subject, Text: text.String(), HTML: html.String(), Lang: lang}, nil
}

// asMail is m addressed to to, as package mail sends it.
func (m EmailMessage) asMail(to string, headers map[string]string) mail.Email {
	return mail.Email{To: to, Subject: m.Subject, Body: m.Text, HTML: m.HTML, Language: m.Lang, Headers: headers}
}
