// Package habeasdata is cerrojo's Habeas Data ledger: the versions of the
// privacy policy (Política de Tratamiento de la Información), each person's
// consent per purpose with its evidence, the data-subject requests that Ley
// Estatutaria 1581 de 2012 lets people file (consultas and reclamos) with
// their legal deadlines, the export of a person's data, and its suppression.
//
// # Legal basis
//
//   - Ley 1581 de 2012 art. 4 lit. c and art. 9: processing needs the
//     titular's prior, express and informed authorization, for purposes
//     that were declared (finalidades). Decreto 1377 de 2013 art. 5, 7 and
//     8 (Decreto 1074 de 2015 arts. 2.2.2.25.2.2, .2.4 and .2.5): the
//     authorization may be given in writing, orally or by unequivocal
//     conduct, never by silence, and the controller must be able to prove
//     it. Hence a consent is a ledger row with the policy version, the
//     channel, the time, the IP and User-Agent, a hash of the exact text
//     shown and who recorded it; and a person who never decided on a
//     purpose has not consented to it, whatever they keep doing.
//   - Ley 1581 art. 6 and Decreto 1377 art. 6: sensitive data needs its own
//     explicit authorization and no activity may be conditioned on it.
//     A sensitive purpose can therefore never be required.
//   - Ley 1581 art. 7 and Decreto 1377 art. 12: data of children and
//     adolescents needs the authorization of their legal representative.
//   - Ley 1581 art. 8 lit. e and art. 9, Decreto 1377 art. 9: the
//     authorization can be revoked at any time.
//   - Ley 1581 art. 14 and 15: consultas are answered in 10 business days,
//     extendable once by 5; reclamos in 15, extendable once by 8; an
//     incomplete reclamo is answered with what is missing within 5 days and
//     is deemed withdrawn 2 months later; a complete reclamo puts the
//     "reclamo en trámite" legend on the person's data until it is decided.
//     The counting rule is package calendar's.
//   - Ley 1581 art. 8 lit. e and Decreto 1377 art. 9: suppression, limited
//     by legal or contractual duties to keep the data (Decreto 1377 art. 11).
//
// # Guarantees
//
//   - The consent ledger is append-only: database triggers refuse every
//     UPDATE and DELETE except suppression's one transition, which replaces
//     the subject by a keyed pseudonym and erases the evidence that names
//     the person, keeping the proof that consent was given or refused.
//   - Every change is audited in the same transaction as the change.
//   - Deadlines are computed from the server clock at receipt, never from a
//     date the requester supplies.
package habeasdata
