package auth

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"
	texttemplate "text/template"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/mail"
)

// accountEmail names one of the account emails.
type accountEmail string

const (
	emailVerify          accountEmail = "verify"
	emailReset           accountEmail = "reset"
	emailPasswordChanged accountEmail = "password_changed"
	emailPasswordReset   accountEmail = "password_reset_done"
	emailDataExport      accountEmail = "data_export_ready"
)

// emailData is what the templates fill in.
type emailData struct {
	App     string
	Name    string
	Code    string
	Link    string
	Minutes int
	Hours   int
}

// emailTexts holds each email's subject and paragraphs per locale; the paragraphs are text
// templates over emailData, escaped for the HTML version.
var emailTexts = map[accountEmail]map[string]struct {
	Subject string
	Paras   []string
}{
	emailVerify: {
		domain.LocaleEN: {"{{.App}}: your verification code is {{.Code}}", []string{
			"Hello {{.Name}},",
			"To confirm this email address, enter this code in the app: {{.Code}}",
			"Or open this link and confirm there: {{.Link}}",
			"The code and the link work once, for {{.Hours}} hours. If you did not create a {{.App}} account, ignore this email.",
		}},
		domain.LocaleFR: {"{{.App}} : votre code de vérification est {{.Code}}", []string{
			"Bonjour {{.Name}},",
			"Pour confirmer cette adresse, saisissez ce code dans l'application : {{.Code}}",
			"Ou ouvrez ce lien et confirmez sur la page : {{.Link}}",
			"Le code et le lien servent une fois, pendant {{.Hours}} heures. Si vous n'avez pas créé de compte {{.App}}, ignorez ce message.",
		}},
	},
	emailReset: {
		domain.LocaleEN: {"{{.App}}: reset your password", []string{
			"Hello {{.Name}},",
			"Someone, probably you, asked to reset the password of your {{.App}} account. To choose a new one, open this link: {{.Link}}",
			"It works once, for {{.Minutes}} minutes. Resetting signs you out on every device.",
			"If you did not ask for this, ignore this email: your password stays as it is.",
		}},
		domain.LocaleFR: {"{{.App}} : réinitialisez votre mot de passe", []string{
			"Bonjour {{.Name}},",
			"Quelqu'un, sans doute vous, a demandé à réinitialiser le mot de passe de votre compte {{.App}}. Pour en choisir un nouveau, ouvrez ce lien : {{.Link}}",
			"Il sert une fois, pendant {{.Minutes}} minutes. La réinitialisation vous déconnecte de tous vos appareils.",
			"Si vous n'avez rien demandé, ignorez ce message : votre mot de passe reste inchangé.",
		}},
	},
	emailPasswordChanged: {
		domain.LocaleEN: {"{{.App}}: your password was changed", []string{
			"Hello {{.Name}},",
			"The password of your {{.App}} account was just changed, and your other devices were signed out.",
			"If it was not you, reset your password now from the sign-in screen ({{.Link}}) and contact our support.",
		}},
		domain.LocaleFR: {"{{.App}} : votre mot de passe a été modifié", []string{
			"Bonjour {{.Name}},",
			"Le mot de passe de votre compte {{.App}} vient d'être modifié, et vos autres appareils ont été déconnectés.",
			"Si ce n'était pas vous, réinitialisez votre mot de passe dès maintenant depuis l'écran de connexion ({{.Link}}) et contactez notre support.",
		}},
	},
	emailPasswordReset: {
		domain.LocaleEN: {"{{.App}}: your password was reset", []string{
			"Hello {{.Name}},",
			"The password of your {{.App}} account was just reset with a link sent to this address, and every device was signed out.",
			"If it was not you, reset your password again now ({{.Link}}) and contact our support.",
		}},
		domain.LocaleFR: {"{{.App}} : votre mot de passe a été réinitialisé", []string{
			"Bonjour {{.Name}},",
			"Le mot de passe de votre compte {{.App}} vient d'être réinitialisé grâce à un lien envoyé à cette adresse, et tous les appareils ont été déconnectés.",
			"Si ce n'était pas vous, réinitialisez-le à nouveau dès maintenant ({{.Link}}) et contactez notre support.",
		}},
	},
	emailDataExport: {
		domain.LocaleEN: {"{{.App}}: your data export is ready", []string{
			"Hello {{.Name}},",
			"The copy of your {{.App}} data you asked for is ready: a zip archive of JSON files. Download it with this link: {{.Link}}",
			"The link works for {{.Hours}} hours, without signing in; then the archive is deleted. Do not share it: it holds your personal data.",
			"If you did not ask for this export, change your password and contact our support.",
		}},
		domain.LocaleFR: {"{{.App}} : l'export de vos données est prêt", []string{
			"Bonjour {{.Name}},",
			"La copie de vos données {{.App}} que vous avez demandée est prête : une archive zip de fichiers JSON. Téléchargez-la avec ce lien : {{.Link}}",
			"Le lien fonctionne pendant {{.Hours}} heures, sans connexion ; l'archive est ensuite supprimée. Ne le partagez pas : il donne accès à vos données personnelles.",
			"Si vous n'avez pas demandé cet export, changez votre mot de passe et contactez notre support.",
		}},
	},
}

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

var buttonLabels = map[accountEmail]map[string]string{
	emailVerify:          {domain.LocaleEN: "Confirm my email", domain.LocaleFR: "Confirmer mon adresse"},
	emailReset:           {domain.LocaleEN: "Choose a new password", domain.LocaleFR: "Choisir un nouveau mot de passe"},
	emailPasswordChanged: {domain.LocaleEN: "Reset my password", domain.LocaleFR: "Réinitialiser mon mot de passe"},
	emailPasswordReset:   {domain.LocaleEN: "Reset my password", domain.LocaleFR: "Réinitialiser mon mot de passe"},
	emailDataExport:      {domain.LocaleEN: "Download my data", domain.LocaleFR: "Télécharger mes données"},
}

// renderEmail builds one account email to to in locale (English when unknown).
func renderEmail(kind accountEmail, locale, to string, d emailData) (mail.Email, error) {
	locale = domain.NormalizeLocale(locale)
	t, ok := emailTexts[kind][locale]
	if !ok {
		return mail.Email{}, fmt.Errorf("no %s email in %q", kind, locale)
	}
	fill := func(s string) (string, error) {
		tt, err := texttemplate.New("").Parse(s)
		if err != nil {
			return "", err
		}
		var b strings.Builder
		if err := tt.Execute(&b, d); err != nil {
			return "", err
		}
		return b.String(), nil
	}
	subject, err := fill(t.Subject)
	if err != nil {
		return mail.Email{}, fmt.Errorf("%s email subject: %w", kind, err)
	}
	paras := make([]string, len(t.Paras))
	for i, p := range t.Paras {
		if paras[i], err = fill(p); err != nil {
			return mail.Email{}, fmt.Errorf("%s email: %w", kind, err)
		}
	}
	sign := map[string]string{domain.LocaleEN: "The " + d.App + " team", domain.LocaleFR: "L'équipe " + d.App}[locale]
	body := strings.Join(append(paras, sign), "\n\n") + "\n"
	var html bytes.Buffer
	err = htmlEmail.Execute(&html, map[string]any{
		"Lang": locale, "Subject": subject, "Paras": append(paras, sign),
		"Code": d.Code, "Link": template.URL(d.Link), "Button": buttonLabels[kind][locale],
	})
	if err != nil {
		return mail.Email{}, fmt.Errorf("%s email html: %w", kind, err)
	}
	return mail.Email{To: to, Subject: subject, Body: body, HTML: html.String(), Language: locale}, nil
}
