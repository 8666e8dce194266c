package audit

import "context"

type operatorKey struct{}

// WithOperator returns ctx carrying the person the admin API authenticated,
// so the changes they make are recorded as theirs.
func WithOperator(ctx context.Context, userID string) context.Context {
	return context.WithValue(ctx, operatorKey{}, userID)
}

// Operator is the actor of an admin request: the authenticated person
// (WithOperator), or fallback when there is none (a handler reached
// without the admin listener's guard, as in package tests).
func Operator(ctx context.Context, fallback Actor) Actor {
	if id := OperatorID(ctx); id != "" {
		return Actor{Type: ActorPerson, ID: id}
	}
	return fallback
}

// OperatorID is the authenticated operator's user id, or "".
func OperatorID(ctx context.Context) string {
	id, _ := ctx.Value(operatorKey{}).(string)
	return id
}
