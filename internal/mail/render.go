package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"slices"
	"strings"
	texttemplate "text/template"
	"time"
)

//go:embed templates/*.tmpl
var templateFiles embed.FS

// Renderer turns an Email's data into a Message in the recipient's
// language. It is safe for concurrent use.
type Renderer struct {
	site    string
	support string
	hosts   []string
	sets    map[Locale]templateSet
}

// templateSet holds one locale's templates. Subjects and plain text go
// through text/template; HTML goes through html/template, which escapes
// every value for the context it lands in (text, attribute, URL).
type templateSet struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// view is what every template receives: the site's details and the
// email's own data under .Data.
type view struct {
	Site    string
	Support string
	Data    Email
}

// linkView is a button's target and label, for the HTML "button"
// template.
type linkView struct {
	URL   string
	Label string
}

// NewRenderer parses the embedded templates for every locale and checks
// that each locale has the subject, text and HTML of every email, so that
// a missing translation stops start-up instead of a send.
func NewRenderer(cfg Config) (*Renderer, error) {
	if err := checkSiteName(cfg.SiteName); err != nil {
		return nil, fmt.Errorf("new renderer: site name %w", err)
	}
	if cfg.SupportURL != "" {
		if err := checkLink(cfg.SupportURL, cfg.LinkHosts); err != nil {
			return nil, fmt.Errorf("new renderer: support URL: %w", err)
		}
	}

	r := &Renderer{site: cfg.SiteName, support: cfg.SupportURL, hosts: slices.Clone(cfg.LinkHosts),
		sets: map[Locale]templateSet{}}
	for _, l := range Locales {
		set, err := parseLocale(l)
		if err != nil {
			return nil, fmt.Errorf("new renderer: %w", err)
		}
		r.sets[l] = set
	}
	return r, nil
}

func parseLocale(l Locale) (templateSet, error) {
	funcs := map[string]any{
		"when":   func(t time.Time) string { return formatTime(l, t) },
		"within": func(d time.Duration) string { return formatDuration(l, d) },
		"factor": func(k FactorKind) string { return factorNames[l][k] },
		"mask":   maskAddress,
		"link":   func(url, label string) linkView { return linkView{URL: url, Label: label} },
	}
	text, err := texttemplate.New(string(l)).Funcs(funcs).Option("missingkey=error").
		ParseFS(templateFiles, "templates/"+string(l)+".txt.tmpl")
	if err != nil {
		return templateSet{}, fmt.Errorf("parse %s text templates: %w", l, err)
	}
	html, err := htmltemplate.New(string(l)).Funcs(funcs).Option("missingkey=error").
		ParseFS(templateFiles, "templates/layout.html.tmpl", "templates/"+string(l)+".html.tmpl")
	if err != nil {
		return templateSet{}, fmt.Errorf("parse %s HTML templates: %w", l, err)
	}

	for _, e := range allEmails {
		for _, name := range []string{e.kind() + ".subject", e.kind() + ".text"} {
			if text.Lookup(name) == nil {
				return templateSet{}, fmt.Errorf("locale %s has no template %s", l, name)
			}
		}
		if html.Lookup(e.kind()+".html") == nil {
			return templateSet{}, fmt.Errorf("locale %s has no template %s.html", l, e.kind())
		}
	}
	return templateSet{text: text, html: html}, nil
}

// Render builds the message for e in locale l (Spanish when l has no
// templates) addressed to to. Every field of e is checked first: links
// against the link rules, codes against their alphabet, names against
// control characters; nothing is rendered from data that fails.
func (r *Renderer) Render(l Locale, to string, e Email) (Message, error) {
	if e == nil {
		return Message{}, fmt.Errorf("render: %w: no email data", ErrInvalidData)
	}
	if err := CheckAddress(to); err != nil {
		return Message{}, fmt.Errorf("render %s: recipient: %w", e.kind(), err)
	}
	if err := e.check(r.hosts); err != nil {
		return Message{}, fmt.Errorf("render %s: %w", e.kind(), err)
	}

	set, ok := r.sets[l]
	if !ok {
		set = r.sets[SpanishColombia]
	}
	v := view{Site: r.site, Support: r.support, Data: e}
	var subject, text, html bytes.Buffer
	if err := set.text.ExecuteTemplate(&subject, e.kind()+".subject", v); err != nil {
		return Message{}, fmt.Errorf("render %s subject: %w", e.kind(), err)
	}
	if err := set.text.ExecuteTemplate(&text, e.kind()+".text", v); err != nil {
		return Message{}, fmt.Errorf("render %s text: %w", e.kind(), err)
	}
	if err := set.html.ExecuteTemplate(&html, e.kind()+".html", v); err != nil {
		return Message{}, fmt.Errorf("render %s HTML: %w", e.kind(), err)
	}

	m := Message{
		To:      to,
		Subject: strings.Join(strings.Fields(subject.String()), " "),
		Text:    tidyText(text.String()),
		HTML:    tidyText(html.String()),
	}
	if err := m.Validate(); err != nil {
		return Message{}, fmt.Errorf("render %s: %w", e.kind(), err)
	}
	return m, nil
}

// tidyText lets templates be laid out for their readers rather than for
// their output: it trims trailing spaces, drops blank lines at the start,
// keeps at most one blank line in a row, and ends the text with exactly
// one newline.
func tidyText(s string) string {
	lines := strings.Split(s, "\n")
	out := make([]string, 0, len(lines))
	blank := true // drops blank lines at the start
	for _, line := range lines {
		line = strings.TrimRight(line, " \t")
		if line == "" {
			if blank {
				continue
			}
			blank = true
		} else {
			blank = false
		}
		out = append(out, line)
	}
	return strings.TrimRight(strings.Join(out, "\n"), "\n") + "\n"
}
