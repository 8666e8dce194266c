package audittest

import (
	"context"
	"errors"
	"testing"

	"github.com/cerrojo/cerrojo/internal/audit"
)

func TestRecorderValidatesAndKeepsOrder(t *testing.T) {
	var r Recorder
	ctx := context.Background()
	ok := audit.Event{Actor: audit.Actor{Type: audit.ActorSystem}, Action: "key.rotate",
		Outcome: audit.OutcomeSuccess}
	if _, err := r.Record(ctx, ok); err != nil {
		t.Fatal(err)
	}
	bad := ok
	bad.Details = map[string]string{"password": "x"}
	if _, err := r.Append(ctx, nil, bad); !errors.Is(err, audit.ErrInvalidEvent) {
		t.Fatalf("got %v, want ErrInvalidEvent", err)
	}
	ok.Action = "role.grant"
	r.Append(ctx, nil, ok)
	if got := r.Actions(); len(got) != 2 || got[0] != "key.rotate" || got[1] != "role.grant" {
		t.Fatalf("got %v", got)
	}
	r.Err = errors.New("down")
	if _, err := r.Record(ctx, ok); err != r.Err {
		t.Fatalf("got %v, want the injected error", err)
	}
}
