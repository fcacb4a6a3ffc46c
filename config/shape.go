package config

import (
	"encoding"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

var (
	secretType          = reflect.TypeFor[Secret]()
	durationType        = reflect.TypeFor[Duration]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// checkShape walks a generically decoded TOML value v against the settable
// Go value rv, reports unknown keys and type mismatches with indexed key
// paths ("mailbox[1].port"), which the BurntSushi decoder cannot give, and
// fills rv with every value of the right type, so that the rest of the
// configuration can still be validated when some of it is wrong.
func checkShape(path string, v any, rv reflect.Value, ps *Problems) {
	t := rv.Type()
	if reflect.PointerTo(t).Implements(textUnmarshalerType) {
		checkText(path, v, rv, ps)
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		// An optional value: nil when absent, set when given.
		pv := reflect.New(t.Elem())
		checkShape(path, v, pv.Elem(), ps)
		rv.Set(pv)
	case reflect.Struct:
		tbl, ok := v.(map[string]any)
		if !ok {
			ps.add(path, "must be %s, not %s", describeType(t), describeValue(v))
			return
		}
		known := make(map[string]bool, t.NumField())
		for i := range t.NumField() {
			name := tomlName(t.Field(i))
			if name == "" {
				continue
			}
			known[name] = true
			if fv, ok := tbl[name]; ok {
				checkShape(joinKey(path, name), fv, rv.Field(i), ps)
			}
		}
		var unknown []string
		for k := range tbl {
			if !known[k] {
				unknown = append(unknown, k)
			}
		}
		slices.Sort(unknown)
		for _, k := range unknown {
			ps.add(joinKey(path, k), "unknown key")
		}
	case reflect.Slice:
		sv := reflect.ValueOf(v)
		if sv.Kind() != reflect.Slice {
			want := describeType(t)
			if t.Elem().Kind() == reflect.Struct {
				want = fmt.Sprintf("an array of tables ([[%s]])", path[strings.LastIndex(path, ".")+1:])
			}
			ps.add(path, "must be %s, not %s", want, describeValue(v))
			return
		}
		rv.Set(reflect.MakeSlice(t, sv.Len(), sv.Len()))
		for i := range sv.Len() {
			checkShape(fmt.Sprintf("%s[%d]", path, i), sv.Index(i).Interface(), rv.Index(i), ps)
		}
	case reflect.String:
		s, ok := v.(string)
		if !ok {
			ps.add(path, "must be %s, not %s", describeType(t), describeValue(v))
			return
		}
		rv.SetString(s)
	case reflect.Int, reflect.Int64:
		n, ok := v.(int64)
		if !ok {
			ps.add(path, "must be %s, not %s", describeType(t), describeValue(v))
			return
		}
		if rv.OverflowInt(n) {
			ps.add(path, "%d is out of range", n)
			return
		}
		rv.SetInt(n)
	case reflect.Bool:
		b, ok := v.(bool)
		if !ok {
			ps.add(path, "must be %s, not %s", describeType(t), describeValue(v))
			return
		}
		rv.SetBool(b)
	default:
		// Not used by Config; keep the walker honest if a field is added.
		ps.add(path, "unsupported configuration type %s", t)
	}
}

// checkText decodes a value through encoding.TextUnmarshaler (Duration,
// ByteSize) the way the TOML decoder does: strings as is, integers in
// decimal (but not for durations, which need a unit).
func checkText(path string, v any, rv reflect.Value, ps *Problems) {
	t := rv.Type()
	var text string
	switch x := v.(type) {
	case string:
		text = x
	case int64:
		if t == durationType {
			ps.add(path, "must be %s, not %s", describeType(t), describeValue(v))
			return
		}
		text = fmt.Sprint(x)
	default:
		ps.add(path, "must be %s, not %s", describeType(t), describeValue(v))
		return
	}
	u := rv.Addr().Interface().(encoding.TextUnmarshaler)
	if err := u.UnmarshalText([]byte(text)); err != nil {
		ps.add(path, "%v", err)
	}
}

func tomlName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	tag, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
	if tag == "-" {
		return ""
	}
	if tag == "" {
		return f.Name
	}
	return tag
}

func joinKey(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// describeType says in words what a TOML value for t must look like.
func describeType(t reflect.Type) string {
	switch {
	case t == secretType:
		return `a table such as { file = "/etc/facteur/secret" }`
	case t == durationType:
		return `a duration string such as "30s" or "5m"`
	case t == reflect.TypeFor[ByteSize]():
		return `a size such as "40MiB" or an integer number of bytes`
	}
	switch t.Kind() {
	case reflect.Pointer:
		return describeType(t.Elem())
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64:
		return "an integer"
	case reflect.Bool:
		return "a boolean (true or false)"
	case reflect.Struct:
		return "a table"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Struct {
			return "an array of tables ([[...]])"
		}
		return "an array of " + strings.TrimPrefix(strings.TrimPrefix(describeType(t.Elem()), "an "), "a ") + "s"
	}
	return t.String()
}

// describeValue names the TOML type of a generically decoded value.
func describeValue(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case map[string]any:
		return "a table"
	}
	if reflect.ValueOf(v).Kind() == reflect.Slice {
		return "an array"
	}
	return "a date or time" // time.Time and the toml.Local* types
}
