// Package incidents keeps the register of security incidents (registro de
// incidentes de seguridad) that Colombian data-protection law requires, and
// tracks the term to report each one to the Superintendencia de Industria y
// Comercio (SIC).
//
// # Legal basis
//
// Ley Estatutaria 1581 de 2012 art. 17 lit. n (Responsable del Tratamiento)
// and art. 18 lit. k (Encargado del Tratamiento) oblige the controller and
// the processor to inform the SIC "cuando se presenten violaciones a los
// códigos de seguridad y existan riesgos en la administración de la
// información de los Titulares". SIC Circular Externa 003 de 2018, which
// amended Título V of the Circular Única, sets how: the incident is reported
// through the Registro Nacional de Bases de Datos (RNBD) within 15 business
// days (días hábiles) after it is detected and brought to the attention of
// the person or area in charge of handling it.
//
// # Guarantees
//
//   - The SIC term runs from NotifiedToAreaAt (which defaults to DetectedAt)
//     and is counted by calendar.Deadline: Colombian civil dates (UTC-5), a
//     day that is not a business day deemed the next business day, the day
//     of notice not counted, Colombian national holidays skipped. SICDue is
//     the last day of the term; the term runs until midnight at its end.
//   - Instants default to the injected clock; an instant supplied by the
//     caller is refused when it lies in the future of that clock.
//   - The life of an incident is open → contained → closed, in that order.
//     The report to the SIC and the notice to titulares are recorded apart
//     from the status, at most once each, and not after closing. An incident
//     closes only once reported to the SIC, or with a stated reason why no
//     report was needed (CloseReasons). Any other move is ErrConflict.
//   - Every change writes its audit record in the same transaction as the
//     change, so either both are committed or neither is. Audit records carry
//     the incident id, status, category, counts, dates and the RNBD filing
//     number, never the title, description, notes or other free text, which
//     may describe personal data.
//   - Updates are conditional on a version counter, so two admins acting on
//     one incident at once cannot both succeed; the loser gets ErrConflict.
//   - The timeline of notes is append-only: the package has no way to edit
//     or delete a note.
//
// # Limits
//
// The package does not file anything with the SIC: RecordSICReport records
// a filing made by a person in the RNBD. Office hours are not modelled (see
// calendar.Deadline). The term is the general one of the Circular; a
// contract or sector rule that asks for sooner notice is not known here.
package incidents
