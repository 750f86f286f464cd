package auth

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/i18n"
	"github.com/skillswap/skillswap/mail"
)

// accountEmail names one of the account emails.
type accountEmail string

const (
	emailVerify          accountEmail = "verify"
	emailReset           accountEmail = "reset"
	emailPasswordChanged accountEmail = "password_changed"
	emailPasswordReset   accountEmail = "password_reset_done"
	// emailChangeCode goes to the new address of an email change: its code and link.
	emailChangeCode accountEmail = "change_email"
	// emailChangeInUse goes to the new address of an email change when an account has it
	// already, instead of a code (the request's answer must not tell).
	emailChangeInUse accountEmail = "change_email_in_use"
	// emailChanged goes to the old address once the change is confirmed, with the undo link.
	emailChanged          accountEmail = "email_changed"
	emailTOTPEnabled      accountEmail = "totp_enabled"
	emailTOTPDisabled     accountEmail = "totp_disabled"
	emailRecoveryCodesNew accountEmail = "recovery_codes_regenerated"
	emailProviderLinked   accountEmail = "provider_linked"
	emailProviderUnlinked accountEmail = "provider_unlinked"
	emailPasskeyAdded     accountEmail = "passkey_added"
	emailPasskeyRemoved   accountEmail = "passkey_removed"
	emailDataExport       accountEmail = "data_export_ready"
)

// emailData is what the templates fill in.
type emailData struct {
	App     string
	Name    string
	Code    string
	Link    string
	Minutes int
	Hours   int
	// Passkey is the name of the passkey a notice is about.
	Passkey string
	// Provider names the sign-in provider of a provider notice.
	Provider string
	// NewEmail is the account's new address, in the notice sent to the old one.
	NewEmail string
}

// accountEmails lists every account email; each has its subject, body (paragraphs separated by
// a blank line) and button in package i18n's catalogues as email.account.<kind>.*, text
// templates over emailData.
var accountEmails = []accountEmail{
	emailVerify, emailReset, emailPasswordChanged, emailPasswordReset, emailChangeCode, emailChangeInUse,
	emailChanged, emailTOTPEnabled, emailTOTPDisabled, emailRecoveryCodesNew, emailProviderLinked,
	emailProviderUnlinked, emailPasskeyAdded, emailPasskeyRemoved, emailDataExport,
}

// emailIDs are the message ids of one account email.
type emailIDs struct{ subject, body, button i18n.ID }

// The ids of every account email, and the words all emails share.
var (
	accountEmailIDs = func() map[accountEmail]emailIDs {
		m := make(map[accountEmail]emailIDs, len(accountEmails))
		for _, k := range accountEmails {
			p := "email.account." + string(k) + "."
			m[k] = emailIDs{subject: i18n.Key(p + "subject"), body: i18n.Key(p + "body"), button: i18n.Key(p + "button")}
		}
		return m
	}()
	msgGreeting  = i18n.Key("email.greeting")
	msgSignature = i18n.Key("email.signature")
)

// DataExportEmail renders the email that sends u the link to their data export, valid hours.
func (s *Service) DataExportEmail(u domain.User, link string, hours int) (mail.Email, error) {
	return renderEmail(emailDataExport, u.Locale, u.Email, emailData{App: s.cfg.AppName, Name: u.DisplayName, Link: link, Hours: hours})
}

// htmlEmail lays out the paragraphs; the code, when there is one, stands out.
var htmlEmail = template.Must(template.New("email").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family: sans-serif; line-height: 1.5; color: #222;">
{{range .Paras}}<p>{{.}}</p>
{{end}}{{if .Code}}<p style="font-size: 28px; letter-spacing: 6px; font-weight: bold;">{{.Code}}</p>
{{end}}{{if .Link}}<p><a href="{{.Link}}" style="background: #2b6cb0; color: #fff; padding: 10px 16px; text-decoration: none; border-radius: 4px;">{{.Button}}</a></p>
{{end}}</body></html>
`))

// renderEmail builds one account email to to in locale (English when not served).
func renderEmail(kind accountEmail, locale, to string, d emailData) (mail.Email, error) {
	ids, ok := accountEmailIDs[kind]
	if !ok {
		return mail.Email{}, fmt.Errorf("no %s email", kind)
	}
	l := i18n.For(locale)
	subject := l.T(ids.subject, d)
	paras := append([]string{l.T(msgGreeting, d)}, strings.Split(l.T(ids.body, d), "\n\n")...)
	paras = append(paras, l.T(msgSignature, d))
	body := strings.Join(paras, "\n\n") + "\n"
	var html bytes.Buffer
	err := htmlEmail.Execute(&html, map[string]any{
		"Lang": l.Lang(), "Subject": subject, "Paras": paras,
		"Code": d.Code, "Link": template.URL(d.Link), "Button": l.T(ids.button, d),
	})
	if err != nil {
		return mail.Email{}, fmt.Errorf("%s email html: %w", kind, err)
	}
	return mail.Email{To: to, Subject: subject, Body: body, HTML: html.String(), Language: l.Lang()}, nil
}
