package habeasdata

import (
	"context"
	"fmt"
	"time"
)

// Export is everything cerrojo holds about a titular, for a consulta or for
// the titular's own download (Ley 1581 art. 8 lit. a and art. 14).
type Export struct {
	SubjectID   string         `json:"subject_id"`
	GeneratedAt time.Time      `json:"generated_at"`
	Sections    map[string]any `json:"sections"`
}

// Export gathers the titular's data: the Habeas Data ledger, requests and
// holds, and every Source's section.
func (s *Service) Export(ctx context.Context, subjectID string) (Export, error) {
	if err := validSubject("/subject_id", subjectID); err != nil {
		return Export{}, err
	}
	out := Export{SubjectID: subjectID, GeneratedAt: s.Clock.Now().UTC(),
		Sections: map[string]any{}}
	for _, src := range s.Sources {
		v, err := src.Load(ctx, subjectID)
		if err != nil {
			return Export{}, fmt.Errorf("export %s: %w", src.Name, err)
		}
		out.Sections[src.Name] = v
	}
	consents, err := s.History(ctx, subjectID)
	if err != nil {
		return Export{}, err
	}
	if consents == nil {
		consents = []Consent{}
	}
	out.Sections["consents"] = consents
	requests, err := s.List(ctx, Filter{SubjectID: subjectID})
	if err != nil {
		return Export{}, err
	}
	for i := range requests {
		if requests[i].Messages, err = s.messages(ctx, requests[i].ID); err != nil {
			return Export{}, err
		}
	}
	out.Sections["habeas_data_requests"] = requests
	holds, err := s.Holds(ctx, subjectID)
	if err != nil {
		return Export{}, err
	}
	out.Sections["legal_holds"] = holds
	return out, nil
}
