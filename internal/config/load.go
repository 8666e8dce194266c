package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxFileBytes caps the configuration file: a real one is a few KiB, and a
// cap keeps a wrong path (a log, a disk image) from being read into memory.
const maxFileBytes = 1 << 20

// Sources says where a loaded configuration came from.
type Sources struct {
	// File is the YAML file that was read, or "" when none was.
	File string
	// Keys maps a key's YAML path to where its value came from: the file
	// (with its line) or the environment variable. Keys left at their
	// default are absent.
	Keys map[string]string
}

// Load builds the configuration from the defaults, then the YAML file at path
// (when path is not empty), then the environment as getenv reports it. It
// validates the result; any error names the key and the value.
func Load(path string, getenv func(string) string) (Config, Sources, error) {
	cfg := Default()
	src := Sources{File: path, Keys: map[string]string{}}

	if path != "" {
		if err := loadFile(path, &cfg, src.Keys); err != nil {
			return Config{}, src, err
		}
	}
	if err := loadEnv(getenv, &cfg, src.Keys); err != nil {
		return Config{}, src, err
	}
	applyProfile(&cfg, src.Keys)
	if err := cfg.Validate(); err != nil {
		return Config{}, src, withSources(err, src.Keys)
	}
	return cfg, src, nil
}

// withSources tells each validation error where its value came from, so an
// error about a value from the file names the file and line.
func withSources(err error, sources map[string]string) error {
	var errs []error
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		errs = joined.Unwrap()
	} else {
		errs = []error{err}
	}
	for _, e := range errs {
		var ke *KeyError
		if errors.As(e, &ke) && ke.Source == "" {
			ke.Source = sources[ke.Key]
		}
	}
	return err
}

func loadFile(path string, cfg *Config, sources map[string]string) error {
	// #nosec G304 -- the --config file named by the operator; reading it is the point.
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("read config file: %w", err)
	}
	defer f.Close()

	data, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return fmt.Errorf("read config file %s: %w", path, err)
	}
	if len(data) > maxFileBytes {
		return fmt.Errorf("config file %s is larger than %d bytes", path, maxFileBytes)
	}

	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil && err != io.EOF {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	// A second document ("---") would be silently ignored; refuse it.
	var extra yaml.Node
	if err := dec.Decode(&extra); err != io.EOF {
		return fmt.Errorf("config file %s line %d: holds more than one YAML document; "+
			"keep one", path, extra.Line)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil // an empty file sets nothing
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil
	}
	d := fileDecoder{path: path, sources: sources}
	return d.decodeMapping(root, reflect.ValueOf(cfg).Elem(), "")
}

type fileDecoder struct {
	path    string
	sources map[string]string
}

func (d fileDecoder) where(n *yaml.Node) string {
	return fmt.Sprintf("%s line %d", d.path, n.Line)
}

// decodeMapping walks a YAML mapping alongside the struct v. Walking the
// node tree ourselves, instead of letting the YAML library fill the struct,
// gives every error the key's full path and line and lets environment and
// file values share one parser.
func (d fileDecoder) decodeMapping(node *yaml.Node, v reflect.Value, prefix string) error {
	if node.Kind != yaml.MappingNode {
		name := strings.TrimSuffix(prefix, ".")
		if name == "" {
			name = "the top level"
		}
		return fmt.Errorf("%s: %s must be a mapping of keys to values", d.where(node), name)
	}

	fields := structFields(v.Type())
	seen := make(map[string]int, len(node.Content)/2)
	for i := 0; i+1 < len(node.Content); i += 2 {
		keyNode, valNode := node.Content[i], node.Content[i+1]
		key := keyNode.Value
		path := prefix + key

		// The YAML library accepts a repeated key in a node tree; a config
		// where the second silently wins hides mistakes.
		if line, dup := seen[key]; dup {
			return fmt.Errorf("%s: key %q is already defined on line %d", d.where(keyNode), path,
				line)
		}
		seen[key] = keyNode.Line

		idx, ok := fields[key]
		if !ok {
			return fmt.Errorf("%s: unknown key %q", d.where(keyNode), path)
		}
		field := v.Field(idx)

		if field.Kind() == reflect.Struct && field.Type() != reflect.TypeFor[Duration]() {
			if valNode.Tag == "!!null" {
				continue
			}
			if err := d.decodeMapping(valNode, field, path+"."); err != nil {
				return err
			}
			continue
		}
		if field.Kind() == reflect.Slice {
			if valNode.Tag == "!!null" {
				continue
			}
			if err := d.decodeList(valNode, field, path); err != nil {
				return err
			}
			d.sources[path] = d.where(valNode)
			continue
		}
		if valNode.Tag == "!!null" {
			continue // "key:" with nothing after it keeps the default
		}
		if valNode.Kind != yaml.ScalarNode {
			return fmt.Errorf("%s: %s must be a single value", d.where(valNode), path)
		}
		if err := setLeaf(field, valNode.Value); err != nil {
			env := v.Type().Field(idx).Tag.Get("env")
			return &KeyError{Key: path, Env: env, Value: shown(field, valNode.Value),
				Source: d.where(valNode), Reason: err.Error()}
		}
		d.sources[path] = d.where(valNode)
	}
	return nil
}

// decodeList reads a YAML sequence of mappings into the slice of structs
// v (such as social.providers); each item's keys are named path[i].key.
// The sequence replaces the default list.
func (d fileDecoder) decodeList(node *yaml.Node, v reflect.Value, path string) error {
	if node.Kind != yaml.SequenceNode {
		return fmt.Errorf("%s: %s must be a list", d.where(node), path)
	}
	out := reflect.MakeSlice(v.Type(), 0, len(node.Content))
	for i, item := range node.Content {
		elem := reflect.New(v.Type().Elem()).Elem()
		if err := d.decodeMapping(item, elem, fmt.Sprintf("%s[%d].", path, i)); err != nil {
			return err
		}
		out = reflect.Append(out, elem)
	}
	v.Set(out)
	return nil
}

// setList reads a list key from its environment variable, which holds the
// list as JSON (a YAML flow sequence), such as
// [{"name":"google","kind":"google",...}].
func setList(field reflect.Value, raw, path, env string) error {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(raw), &doc); err != nil || len(doc.Content) == 0 {
		return errors.New("must be a JSON list of objects")
	}
	d := fileDecoder{path: env, sources: map[string]string{}}
	return d.decodeList(doc.Content[0], field, path)
}

func loadEnv(getenv func(string) string, cfg *Config, sources map[string]string) error {
	var errs []error
	for _, k := range Keys() {
		raw := getenv(k.Env)
		if raw == "" {
			continue // an empty variable counts as unset
		}
		field := fieldByPath(reflect.ValueOf(cfg).Elem(), k.Path)
		if field.Kind() == reflect.Slice {
			if err := setList(field, raw, k.Path, k.Env); err != nil {
				// The list may hold secrets: the error names the place only.
				errs = append(errs, &KeyError{Key: k.Path, Env: k.Env, Value: redacted,
					Source: k.Env, Reason: err.Error()})
				continue
			}
			sources[k.Path] = k.Env
			continue
		}
		if err := setLeaf(field, raw); err != nil {
			errs = append(errs, &KeyError{Key: k.Path, Env: k.Env, Value: shown(field, raw),
				Source: k.Env, Reason: err.Error()})
			continue
		}
		sources[k.Path] = k.Env
	}
	return errors.Join(errs...)
}

// setLeaf parses raw into a leaf field of the configuration.
func setLeaf(field reflect.Value, raw string) error {
	if field.Type() == reflect.TypeFor[Duration]() {
		d, err := parseDuration(raw)
		if err != nil {
			return err
		}
		field.SetInt(int64(d))
		return nil
	}

	switch field.Kind() {
	case reflect.String:
		field.SetString(raw)
	case reflect.Bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return errors.New("must be true or false")
		}
		field.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return errors.New("must be a whole number")
		}
		if field.OverflowInt(n) {
			return errors.New("is out of range")
		}
		field.SetInt(n)
	default:
		return fmt.Errorf("unsupported kind %s", field.Kind())
	}
	return nil
}

// shown is what an error may print of a value: secrets are redacted.
func shown(field reflect.Value, raw string) string {
	switch field.Type() {
	case reflect.TypeFor[Secret]():
		return Secret(raw).String()
	case reflect.TypeFor[CredentialURL]():
		return CredentialURL(raw).String()
	}
	return raw
}

// KeyError reports a bad configuration value.
type KeyError struct {
	Key    string // YAML path, such as http.read_timeout
	Env    string // environment variable, such as CERROJO_HTTP_READ_TIMEOUT
	Value  string // the value as it may be shown (secrets redacted)
	Source string // where the value came from, when known
	Reason string
}

func (e *KeyError) Error() string {
	var b strings.Builder
	if e.Env != "" {
		fmt.Fprintf(&b, "config key %s (%s) = %q", e.Key, e.Env, e.Value)
	} else {
		fmt.Fprintf(&b, "config key %s = %q", e.Key, e.Value)
	}
	if e.Source != "" && e.Source != e.Env {
		fmt.Fprintf(&b, " in %s", e.Source)
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	return b.String()
}
