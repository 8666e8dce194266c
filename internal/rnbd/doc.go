// Package rnbd builds the report a Colombian data controller (responsable
// del tratamiento) needs to register the databases cerrojo keeps in the
// Registro Nacional de Bases de Datos (RNBD) of the Superintendencia de
// Industria y Comercio (SIC).
//
// Legal basis:
//   - Ley 1581 de 2012, art. 25: creates the RNBD, the public directory of
//     the databases with personal data processed in Colombia.
//   - Decreto 886 de 2014, compiled in Decreto 1074 de 2015, arts.
//     2.2.2.26.1.1 and following: what is registered for each database —
//     the responsable and the encargados, the channels titulares use to
//     exercise their rights, the kind of data (categorías de datos), the
//     finalidades, the security measures (medidas de seguridad), the
//     privacy policy (política de tratamiento de la información) and the
//     international transfers and transmissions.
//   - Circular Única de la SIC, Título V: how the register is filled in
//     and kept up to date.
//   - Ley 1581 de 2012, arts. 5 and 7: datos sensibles and datos de niños,
//     niñas y adolescentes, which the form asks about separately.
//
// The package has two halves. The inventory (inventory.go) classifies every
// table and column of cerrojo's schema: the logical database it belongs to,
// its category as the RNBD form names it, whether it holds personal data,
// and whether it is encrypted at rest with the key ring or stored only as a
// hash or MAC. A test opens freshly migrated SQLite and PostgreSQL databases
// and fails when a table or column is not classified, or when the inventory
// names one that no longer exists, so the report stays true as the schema
// grows. The report (report.go) joins the inventory with what only the
// controller knows (Input: razón social, NIT, finalidades, encargados,
// transfers, measures taken from the configuration) into a Report, which
// renders as JSON or as a Spanish Markdown document to copy into the form.
package rnbd
