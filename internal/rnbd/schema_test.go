package rnbd

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"testing"

	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

// gooseTable is the migrations' own version table, not part of the schema.
const gooseTable = "cerrojo_schema_migrations"

// TestInventoryCoversSchema keeps the report true: it fails naming every
// table or column of a freshly migrated database that the inventory does
// not classify, and every inventory entry that no longer exists.
func TestInventoryCoversSchema(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		schema := liveSchema(t, db)
		if len(schema) == 0 {
			t.Fatal("the migrated database has no tables")
		}
		for _, name := range sortedKeys(schema) {
			inv, ok := tables[name]
			if !ok {
				t.Errorf("table %s (columns %s) is not classified: add it to tables "+
					"in inventory.go", name, strings.Join(schema[name], ", "))
				continue
			}
			for _, col := range schema[name] {
				if _, ok := inv.Columns[col]; !ok {
					t.Errorf("column %s.%s is not classified in inventory.go", name, col)
				}
			}
			for _, col := range sortedColumns(inv) {
				if !slices.Contains(schema[name], col) {
					t.Errorf("inventory classifies %s.%s, which does not exist", name, col)
				}
			}
		}
		for _, tb := range Inventory() {
			if _, ok := schema[tb.Name]; !ok {
				t.Errorf("inventory classifies table %s, which does not exist", tb.Name)
			}
		}
	})
}

// liveSchema returns every table of db and its columns, sorted.
func liveSchema(t *testing.T, db *storage.DB) map[string][]string {
	t.Helper()
	ctx := context.Background()
	out := map[string][]string{}
	var q string
	switch db.Dialect() {
	case storage.SQLite:
		q = `SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
			WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`
	case storage.Postgres:
		q = `SELECT c.table_name, c.column_name FROM information_schema.columns c
			JOIN information_schema.tables t
				ON t.table_schema = c.table_schema AND t.table_name = c.table_name
			WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'`
	default:
		t.Fatalf("unknown dialect %s", db.Dialect())
	}
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		t.Fatalf("list columns: %v", err)
	}
	defer rows.Close()
	for rows.Next() {
		var table, col sql.NullString
		if err := rows.Scan(&table, &col); err != nil {
			t.Fatalf("scan: %v", err)
		}
		if table.String == gooseTable {
			continue
		}
		out[table.String] = append(out[table.String], col.String)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("list columns: %v", err)
	}
	for _, cols := range out {
		slices.Sort(cols)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// TestInventoryIsConsistent checks the entries themselves.
func TestInventoryIsConsistent(t *testing.T) {
	for _, tb := range Inventory() {
		if _, ok := database(tb.Database); !ok {
			t.Errorf("table %s: unknown database %q", tb.Name, tb.Database)
		}
		if tb.Description == "" || len(tb.Columns) == 0 {
			t.Errorf("table %s: needs a description and columns", tb.Name)
		}
		for _, name := range sortedColumns(tb) {
			c := tb.Columns[name]
			where := tb.Name + "." + name
			if c.Description == "" || !slices.Contains(categoryOrder, c.Category) {
				t.Errorf("%s: needs a description and a known category", where)
			}
			if c.Category == Metadata && c.Personal {
				t.Errorf("%s: metadata marked as personal", where)
			}
			if (c.Category == Sensitive) != (c.SensitiveKind != "") {
				t.Errorf("%s: SensitiveKind goes with the sensitive category", where)
			}
			if strings.HasSuffix(name, "_sealed") && !c.Encrypted {
				t.Errorf("%s: a _sealed column must be marked encrypted", where)
			}
			if strings.HasSuffix(name, "_mac") && c.Hash == "" {
				t.Errorf("%s: a _mac column must name its MAC", where)
			}
			if strings.HasSuffix(name, "_hash") && c.Hash == "" {
				t.Errorf("%s: a _hash column must name its hash", where)
			}
		}
	}
	keys := map[string]bool{}
	for _, d := range databases {
		if keys[d.Key] || d.Name == "" || d.Retention == "" {
			t.Errorf("database %q: repeated key or missing name or retention", d.Key)
		}
		keys[d.Key] = true
	}
}
