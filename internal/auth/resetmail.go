package auth

import (
	"bytes"
	htmltemplate "html/template"
	"net/url"
	texttemplate "text/template"
)

// ResetPath is the path of the hosted "choose a new password" page under
// a tenant, which the mailed link opens with ?token=.
const ResetPath = "/password/reset"

// ResetLink is the link a reset mail carries.
func ResetLink(baseURL, tenant, tok string) string {
	return baseURL + "/t/" + url.PathEscape(tenant) + ResetPath + "?token=" + url.QueryEscape(tok)
}

// senderName is the display name a tenant's mails come from.
func senderName(t *Tenant) string {
	if t.Branding != nil && t.Branding.DisplayName != "" {
		return t.Branding.DisplayName
	}
	if t.Name != "" {
		return t.Name
	}
	return t.ID
}

type resetMailData struct {
	Name    string
	Link    string
	Minutes int
}

var resetText = texttemplate.Must(texttemplate.New("text").Parse(`Someone asked to reset the password of your {{.Name}} account.

To choose a new password, open this link within {{.Minutes}} minutes:

{{.Link}}

If it was not you, ignore this mail: your password stays as it is.
`))

var resetHTML = htmltemplate.Must(htmltemplate.New("html").Parse(`<!doctype html>
<html><body style="font-family: sans-serif">
<p>Someone asked to reset the password of your {{.Name}} account.</p>
<p><a href="{{.Link}}">Choose a new password</a> (the link is valid for {{.Minutes}} minutes).</p>
<p>If it was not you, ignore this mail: your password stays as it is.</p>
</body></html>
`))

// resetMail is the mail with a reset link, in plain text and HTML.
func resetMail(t *Tenant, baseURL, tok, to string) *Mail {
	d := resetMailData{Name: senderName(t), Link: ResetLink(baseURL, t.ID, tok), Minutes: int(ResetTokenTTL.Minutes())}
	var text, html bytes.Buffer
	_ = resetText.Execute(&text, d)
	_ = resetHTML.Execute(&html, d)
	return &Mail{
		Tenant:   t.ID,
		FromName: d.Name,
		To:       to,
		Subject:  "Reset your " + d.Name + " password",
		Text:     text.String(),
		HTML:     html.String(),
	}
}
