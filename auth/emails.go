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
	emailPasskeyAdded: {
		domain.LocaleEN: {"{{.App}}: a passkey was added to your account", []string{
			"Hello {{.Name}},",
			"A passkey named \"{{.Passkey}}\" was just added to your {{.App}} account: it can now sign in without a password.",
			"If it was not you, remove it from your security settings now, reset your password ({{.Link}}) and contact our support.",
		}},
		domain.LocaleFR: {"{{.App}} : une clé d'accès a été ajoutée à votre compte", []string{
			"Bonjour {{.Name}},",
			"Une clé d'accès nommée « {{.Passkey}} » vient d'être ajoutée à votre compte {{.App}} : elle permet désormais de se connecter sans mot de passe.",
			"Si ce n'était pas vous, supprimez-la dès maintenant dans vos paramètres de sécurité, réinitialisez votre mot de passe ({{.Link}}) et contactez notre support.",
		}},
	},
	emailPasskeyRemoved: {
		domain.LocaleEN: {"{{.App}}: a passkey was removed from your account", []string{
			"Hello {{.Name}},",
			"The passkey named \"{{.Passkey}}\" was just removed from your {{.App}} account: it can no longer sign in.",
			"If it was not you, reset your password now ({{.Link}}) and contact our support.",
		}},
		domain.LocaleFR: {"{{.App}} : une clé d'accès a été retirée de votre compte", []string{
			"Bonjour {{.Name}},",
			"La clé d'accès nommée « {{.Passkey}} » vient d'être retirée de votre compte {{.App}} : elle ne permet plus de se connecter.",
			"Si ce n'était pas vous, réinitialisez votre mot de passe dès maintenant ({{.Link}}) et contactez notre support.",
		}},
	},
	emailChangeCode: {
		domain.LocaleEN: {"{{.App}}: your code to change your email address is {{.Code}}", []string{
			"Hello {{.Name}},",
			"To make this address the email of your {{.App}} account, enter this code in the app: {{.Code}}",
			"Or open this link and confirm there: {{.Link}}",
			"The code and the link work once, for {{.Hours}} hours. Until you confirm, your account keeps its current address. If you did not ask for this, ignore this email.",
		}},
		domain.LocaleFR: {"{{.App}} : votre code pour changer d'adresse e-mail est {{.Code}}", []string{
			"Bonjour {{.Name}},",
			"Pour faire de cette adresse l'e-mail de votre compte {{.App}}, saisissez ce code dans l'application : {{.Code}}",
			"Ou ouvrez ce lien et confirmez sur la page : {{.Link}}",
			"Le code et le lien servent une fois, pendant {{.Hours}} heures. Tant que vous ne confirmez pas, votre compte garde son adresse actuelle. Si vous n'avez rien demandé, ignorez ce message.",
		}},
	},
	emailChangeInUse: {
		domain.LocaleEN: {"{{.App}}: this address already has an account", []string{
			"Hello {{.Name}},",
			"Someone asked to move another {{.App}} account to this email address. It already belongs to your account, so nothing was changed.",
			"If you forgot your password, you can choose a new one here: {{.Link}}",
			"If you did not ask for anything, ignore this email.",
		}},
		domain.LocaleFR: {"{{.App}} : cette adresse a déjà un compte", []string{
			"Bonjour {{.Name}},",
			"Quelqu'un a demandé à déplacer un autre compte {{.App}} vers cette adresse e-mail. Elle appartient déjà à votre compte : rien n'a été modifié.",
			"Si vous avez oublié votre mot de passe, vous pouvez en choisir un nouveau ici : {{.Link}}",
			"Si vous n'avez rien demandé, ignorez ce message.",
		}},
	},
	emailChanged: {
		domain.LocaleEN: {"{{.App}}: your email address was changed", []string{
			"Hello {{.Name}},",
			"The email address of your {{.App}} account was just changed to {{.NewEmail}}. We will write to that address from now on.",
			"If it was not you, open this link within {{.Hours}} hours to undo the change: {{.Link}}",
			"Undoing puts this address back, signs every device out and sends you a link to choose a new password: do choose one, since whoever changed your address may know your password. If it was you, there is nothing to do.",
		}},
		domain.LocaleFR: {"{{.App}} : votre adresse e-mail a été modifiée", []string{
			"Bonjour {{.Name}},",
			"L'adresse e-mail de votre compte {{.App}} vient d'être remplacée par {{.NewEmail}}. Nous vous écrirons désormais à cette adresse.",
			"Si ce n'était pas vous, ouvrez ce lien dans les {{.Hours}} heures pour annuler le changement : {{.Link}}",
			"L'annulation rétablit cette adresse, déconnecte tous les appareils et vous envoie un lien pour choisir un nouveau mot de passe : choisissez-en un, car la personne qui a changé votre adresse connaît peut-être votre mot de passe. Si c'était vous, vous n'avez rien à faire.",
		}},
	},
	emailTOTPEnabled: {
		domain.LocaleEN: {"{{.App}}: two-factor sign-in was turned on", []string{
			"Hello {{.Name}},",
			"Two-factor sign-in was just turned on for your {{.App}} account: signing in now asks for a code from your authenticator app. Keep your recovery codes somewhere safe.",
			"If it was not you, someone has access to your account: reset your password now ({{.Link}}) and contact our support.",
		}},
		domain.LocaleFR: {"{{.App}} : la connexion en deux étapes a été activée", []string{
			"Bonjour {{.Name}},",
			"La connexion en deux étapes vient d'être activée sur votre compte {{.App}} : la connexion demande désormais un code de votre application d'authentification. Gardez vos codes de secours en lieu sûr.",
			"Si ce n'était pas vous, quelqu'un a accès à votre compte : réinitialisez votre mot de passe dès maintenant ({{.Link}}) et contactez notre support.",
		}},
	},
	emailTOTPDisabled: {
		domain.LocaleEN: {"{{.App}}: two-factor sign-in was turned off", []string{
			"Hello {{.Name}},",
			"Two-factor sign-in was just turned off for your {{.App}} account, and its recovery codes no longer work.",
			"If it was not you, someone has access to your account: reset your password now ({{.Link}}), turn two-factor sign-in back on and contact our support.",
		}},
		domain.LocaleFR: {"{{.App}} : la connexion en deux étapes a été désactivée", []string{
			"Bonjour {{.Name}},",
			"La connexion en deux étapes vient d'être désactivée sur votre compte {{.App}}, et ses codes de secours ne fonctionnent plus.",
			"Si ce n'était pas vous, quelqu'un a accès à votre compte : réinitialisez votre mot de passe dès maintenant ({{.Link}}), réactivez la connexion en deux étapes et contactez notre support.",
		}},
	},
	emailRecoveryCodesNew: {
		domain.LocaleEN: {"{{.App}}: new recovery codes were made", []string{
			"Hello {{.Name}},",
			"New recovery codes were just made for your {{.App}} account; the previous ones no longer work.",
			"If it was not you, someone has access to your account: reset your password now ({{.Link}}) and contact our support.",
		}},
		domain.LocaleFR: {"{{.App}} : de nouveaux codes de secours ont été générés", []string{
			"Bonjour {{.Name}},",
			"De nouveaux codes de secours viennent d'être générés pour votre compte {{.App}} ; les précédents ne fonctionnent plus.",
			"Si ce n'était pas vous, quelqu'un a accès à votre compte : réinitialisez votre mot de passe dès maintenant ({{.Link}}) et contactez notre support.",
		}},
	},
	emailProviderLinked: {
		domain.LocaleEN: {"{{.App}}: {{.Provider}} was linked to your account", []string{
			"Hello {{.Name}},",
			"Your {{.Provider}} account can now be used to sign in to your {{.App}} account.",
			"If it was not you, reset your password now ({{.Link}}), unlink it in the app's security settings and contact our support.",
		}},
		domain.LocaleFR: {"{{.App}} : {{.Provider}} a été associé à votre compte", []string{
			"Bonjour {{.Name}},",
			"Votre compte {{.Provider}} permet désormais de vous connecter à votre compte {{.App}}.",
			"Si ce n'était pas vous, réinitialisez votre mot de passe dès maintenant ({{.Link}}), dissociez-le dans les paramètres de sécurité de l'application et contactez notre support.",
		}},
	},
	emailProviderUnlinked: {
		domain.LocaleEN: {"{{.App}}: {{.Provider}} was unlinked from your account", []string{
			"Hello {{.Name}},",
			"Your {{.Provider}} account can no longer be used to sign in to your {{.App}} account.",
			"If it was not you, someone has access to your account: reset your password now ({{.Link}}) and contact our support.",
		}},
		domain.LocaleFR: {"{{.App}} : {{.Provider}} a été dissocié de votre compte", []string{
			"Bonjour {{.Name}},",
			"Votre compte {{.Provider}} ne permet plus de vous connecter à votre compte {{.App}}.",
			"Si ce n'était pas vous, quelqu'un a accès à votre compte : réinitialisez votre mot de passe dès maintenant ({{.Link}}) et contactez notre support.",
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
	emailVerify:           {domain.LocaleEN: "Confirm my email", domain.LocaleFR: "Confirmer mon adresse"},
	emailReset:            {domain.LocaleEN: "Choose a new password", domain.LocaleFR: "Choisir un nouveau mot de passe"},
	emailPasswordChanged:  {domain.LocaleEN: "Reset my password", domain.LocaleFR: "Réinitialiser mon mot de passe"},
	emailPasswordReset:    {domain.LocaleEN: "Reset my password", domain.LocaleFR: "Réinitialiser mon mot de passe"},
	emailChangeCode:       {domain.LocaleEN: "Confirm my new address", domain.LocaleFR: "Confirmer ma nouvelle adresse"},
	emailChangeInUse:      {domain.LocaleEN: "Reset my password", domain.LocaleFR: "Réinitialiser mon mot de passe"},
	emailChanged:          {domain.LocaleEN: "Undo this change", domain.LocaleFR: "Annuler ce changement"},
	emailTOTPEnabled:      {domain.LocaleEN: "Reset my password", domain.LocaleFR: "Réinitialiser mon mot de passe"},
	emailTOTPDisabled:     {domain.LocaleEN: "Reset my password", domain.LocaleFR: "Réinitialiser mon mot de passe"},
	emailRecoveryCodesNew: {domain.LocaleEN: "Reset my password", domain.LocaleFR: "Réinitialiser mon mot de passe"},
	emailProviderLinked:   {domain.LocaleEN: "Reset my password", domain.LocaleFR: "Réinitialiser mon mot de passe"},
	emailProviderUnlinked: {domain.LocaleEN: "Reset my password", domain.LocaleFR: "Réinitialiser mon mot de passe"},
	emailPasskeyAdded:     {domain.LocaleEN: "Reset my password", domain.LocaleFR: "Réinitialiser mon mot de passe"},
	emailPasskeyRemoved:   {domain.LocaleEN: "Reset my password", domain.LocaleFR: "Réinitialiser mon mot de passe"},
	emailDataExport:       {domain.LocaleEN: "Download my data", domain.LocaleFR: "Télécharger mes données"},
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
