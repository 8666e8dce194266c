package config

import (
	"fmt"
	"reflect"
	"strings"
)

// Key describes one configuration key.
type Key struct {
	Path    string // YAML path, such as database.url
	Env     string // environment variable, such as CERROJO_DATABASE_URL
	Type    string // duration, string, bool, integer, secret, url or list
	Default string // the default as `config check` would print it
}

// Keys lists every configuration key in declaration order.
func Keys() []Key {
	var keys []Key
	def := reflect.ValueOf(Default())
	walkKeys(def, "", func(path, env string, v reflect.Value) {
		keys = append(keys, Key{Path: path, Env: env, Type: typeName(v), Default: fmt.Sprint(v)})
	})
	return keys
}

func walkKeys(v reflect.Value, prefix string, visit func(path, env string, v reflect.Value)) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name := f.Tag.Get("yaml")
		if name == "" || name == "-" {
			continue
		}
		fv := v.Field(i)
		if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeFor[Duration]() {
			walkKeys(fv, prefix+name+".", visit)
			continue
		}
		visit(prefix+name, f.Tag.Get("env"), fv)
	}
}

func typeName(v reflect.Value) string {
	switch v.Type() {
	case reflect.TypeFor[Duration]():
		return "duration"
	case reflect.TypeFor[Secret]():
		return "secret"
	case reflect.TypeFor[CredentialURL]():
		return "url"
	}
	switch v.Kind() {
	case reflect.Slice:
		return "list"
	case reflect.Bool:
		return "bool"
	case reflect.Int, reflect.Int64:
		return "integer"
	}
	return "string"
}

// structFields maps the YAML names of t's fields to their indexes.
func structFields(t reflect.Type) map[string]int {
	m := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		if name := t.Field(i).Tag.Get("yaml"); name != "" && name != "-" {
			m[name] = i
		}
	}
	return m
}

// fieldByPath returns the field of the struct v at a dotted YAML path.
func fieldByPath(v reflect.Value, path string) reflect.Value {
	for part := range strings.SplitSeq(path, ".") {
		v = v.Field(structFields(v.Type())[part])
	}
	return v
}
