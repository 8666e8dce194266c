package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"

	"github.com/cerrojo/cerrojo/internal/accounts"
	"github.com/cerrojo/cerrojo/internal/app"
	"github.com/cerrojo/cerrojo/internal/authz"
	"github.com/cerrojo/cerrojo/internal/clients"
)

// authzScenario prepares what a check needs on node a (an account holding
// vendor_staff in one vendor, and a confidential client to ask with) and
// returns the scenario asking whether that person may update a product of
// their vendor. The rule that allows it has a condition, so the answer
// exercises CEL as well as the bindings lookup.
func authzScenario(ctx context.Context, a *app.App) (scenario, error) {
	line := `{"email":"bench.staff@ejemplo.co","name":"Bench Staff","kind":"vendor",` +
		`"password_hash":"$2y$10$UYG1Ra/Mp8gsHMkhgfKZWu04wDfTGvSxXT4CtMGGKEgXKNAw0SHJK"}` + "\n"
	rep, err := a.Accounts.Import(ctx, strings.NewReader(line), accounts.Meta{RequestID: "bench"})
	if err != nil || rep.Imported != 1 {
		return scenario{}, fmt.Errorf("import the bench account: %v %v", err, rep.Failed)
	}
	info, err := a.Accounts.Store.UserByEmail(ctx, "bench.staff@ejemplo.co")
	if err != nil {
		return scenario{}, err
	}
	if _, _, err := a.Authz.Grant(ctx, authz.Actor{System: "bench"}, authz.GrantInput{
		UserID: info.ID, Role: "vendor_staff", Vendor: "ven_bench"}, authz.Meta{}); err != nil {
		return scenario{}, err
	}
	c, secret, err := a.Clients.Create(ctx, clients.NewClient{Name: "bench-service",
		Type: clients.Confidential})
	if err != nil {
		return scenario{}, err
	}
	basic := base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(c.ID) + ":" +
		url.QueryEscape(secret)))
	body := `{"subject":{"id":"` + info.ID + `"},"action":"update","resource":{"type":"product",` +
		`"id":"prd_1","attributes":{"vendor":"ven_bench","status":"published","price":120000}}}`
	return scenario{name: "authz", method: "POST", path: "/v1/authz/check", body: body,
		auth: "Basic " + basic}, nil
}
