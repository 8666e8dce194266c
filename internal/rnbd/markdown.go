package rnbd

import (
	"fmt"
	"strings"
)

// Markdown renders r as a Spanish (es-CO) document whose sections follow the
// RNBD form, for a compliance officer to copy from. Equal reports render to
// equal bytes.
func (r Report) Markdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	p("# %s\n\n", r.Title)
	p("Inventario de las bases de datos con datos personales que trata cerrojo, " +
		"preparado para su inscripción en el Registro Nacional de Bases de Datos " +
		"(Ley 1581 de 2012, art. 25; Decreto 1074 de 2015, arts. 2.2.2.26.1.1 y " +
		"siguientes; Circular Única de la SIC, Título V).\n\n")

	p("## 1. Responsable del tratamiento\n\n")
	p("| Campo | Valor |\n|---|---|\n")
	c := r.Controller
	row(&b, "Razón social", c.Name)
	row(&b, "NIT", c.NIT)
	row(&b, "Dirección", strings.Trim(c.Address+", "+c.City, ", "))
	row(&b, "Correo electrónico", c.Email)
	row(&b, "Teléfono", c.Phone)
	p("\n")

	p("## 2. Política de tratamiento de la información\n\n")
	p("- Versión: %s\n- Publicada en: %s\n\n", orNone(r.PolicyVersion), orNone(r.PolicyURL))
	p("### Finalidades\n\n")
	writePurposes(&b, r.Purposes)
	p("\n")

	p("## 3. Canales de atención a los titulares\n\n")
	p("Canales para consultas y reclamos (Ley 1581 de 2012, arts. 14 y 15):\n\n")
	ch := r.Channels
	p("- Correo electrónico: %s\n- Formulario web: %s\n", orNone(ch.Email), orNone(ch.URL))
	if ch.Phone != "" {
		p("- Teléfono: %s\n", ch.Phone)
	}
	if ch.Address != "" {
		p("- Dirección física: %s\n", ch.Address)
	}
	p("\n")

	p("## 4. Encargados del tratamiento\n\n")
	if len(r.Processors) == 0 {
		p("No se declaran encargados.\n\n")
	} else {
		p("| Encargado | NIT | País | Servicio |\n|---|---|---|---|\n")
		for _, e := range r.Processors {
			cells(&b, e.Name, orDash(e.NIT), e.Country, e.Service)
		}
		p("\n")
	}

	p("## 5. Transferencias y transmisiones internacionales\n\n")
	if len(r.Transfers) == 0 {
		p("No se declaran transferencias ni transmisiones internacionales.\n\n")
	} else {
		p("| Destinatario | País | Tipo | Finalidad | Garantía |\n|---|---|---|---|---|\n")
		for _, t := range r.Transfers {
			cells(&b, t.Recipient, t.Country, t.Kind, t.Purpose, t.Safeguard)
		}
		p("\n")
	}

	p("## 6. Medidas de seguridad de la información\n\n")
	for _, m := range r.SecurityMeasures {
		p("- %s\n", m)
	}
	p("\n")

	p("## 7. Bases de datos\n\n")
	for i, d := range r.Databases {
		writeDatabase(&b, i+1, d)
	}
	return b.String()
}

func writePurposes(b *strings.Builder, ps []Purpose) {
	if len(ps) == 0 {
		b.WriteString("Ninguna.\n")
		return
	}
	for _, p := range ps {
		fmt.Fprintf(b, "- `%s`: %s", p.Code, p.Description)
		if p.Sensitive {
			b.WriteString(" (involucra datos sensibles)")
		}
		b.WriteString("\n")
	}
}

func writeDatabase(b *strings.Builder, n int, d DatabaseReport) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p("### 7.%d. %s\n\n", n, d.Name)
	p("%s\n\n", d.Description)
	if !d.PersonalData {
		p("**No contiene datos personales**: no requiere inscripción en el RNBD; se " +
			"incluye para completar el inventario.\n\n")
	}
	p("- Titulares: %s\n", d.Holders)
	cats := make([]string, len(d.Categories))
	for i, c := range d.Categories {
		cats[i] = string(c)
	}
	p("- Categorías de datos: %s\n", strings.Join(cats, "; "))
	p("- Datos sensibles: %s. %s\n", yesNo(d.Sensitive), d.SensitiveNote)
	p("- Datos de menores: %s. %s\n", yesNo(d.Minors), d.MinorsNote)
	p("- Conservación: %s\n\n", d.Retention)
	p("#### Finalidades\n\n")
	writePurposes(b, d.Purposes)
	p("\n#### Medidas de seguridad\n\n")
	for _, m := range d.SecurityMeasures {
		p("- %s\n", m)
	}
	p("\n#### Tablas\n\n")
	for _, t := range d.Tables {
		p("**%s**: %s\n\n", t.Name, t.Description)
		p("| Columna | Categoría | Dato personal | Protección | Descripción |\n")
		p("|---|---|---|---|---|\n")
		for _, c := range t.Columns {
			cells(b, "`"+c.Name+"`", categoryText(c.Column), yesNo(c.Personal),
				protection(c.Column), c.Description)
		}
		p("\n")
	}
}

func categoryText(c Column) string {
	if c.SensitiveKind != "" {
		return string(c.Category) + " (" + c.SensitiveKind + ")"
	}
	return string(c.Category)
}

func protection(c Column) string {
	var parts []string
	if c.Hash != "" {
		parts = append(parts, "hash "+c.Hash)
	}
	if c.Encrypted {
		parts = append(parts, "cifrado AES-256-GCM")
	}
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, ", ")
}

func row(b *strings.Builder, k, v string) { cells(b, k, orNone(v)) }

// cells writes one table row, escaping what would break it.
func cells(b *strings.Builder, vs ...string) {
	b.WriteString("|")
	for _, v := range vs {
		v = strings.ReplaceAll(v, "|", `\|`)
		v = strings.Join(strings.Fields(v), " ")
		b.WriteString(" " + v + " |")
	}
	b.WriteString("\n")
}

func yesNo(v bool) string {
	if v {
		return "Sí"
	}
	return "No"
}

func orNone(s string) string {
	if s == "" {
		return "(no declarado)"
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
