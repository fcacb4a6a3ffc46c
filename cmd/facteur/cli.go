package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
)

// The command line is a table of commands (commands.go); each says what its
// help and the man page print: its synopsis, what it does, its flags (the
// very FlagSet it parses), its subcommands. This file parses and prints;
// it decides nothing.

// defaultConfig is the configuration file every command reads when
// --config is not given.
const defaultConfig = "/etc/facteur/facteur.toml"

// configDefault is the default of --config, defaultConfig outside tests:
// the tests point it at a file that does not exist, so that no test ever
// reads the configuration of the machine it runs on.
var configDefault = defaultConfig

// lang is the language a command speaks: English for operators and
// developers, French for finance staff (`facteur cases`).
type lang int

const (
	english lang = iota
	french
)

// runner runs a command with the arguments left once its flags are parsed.
type runner func(args []string, stdout, stderr io.Writer) int

// command is one command or subcommand of facteur.
type command struct {
	name     string
	synopsis string // what follows "facteur NAME" in the usage line
	summary  string // one line, in the list of commands
	// text says what the command does, for its help and the man page:
	// paragraphs separated by a blank line; a paragraph whose lines all
	// begin with two spaces is printed as it is (examples, tables).
	text   string
	lang   lang
	hidden bool // not listed: facteur man
	// setup declares the command's flags on fs and returns what runs it.
	// It is called for the help and the man page too, whose runner is
	// dropped.
	setup func(c *command, fs *flag.FlagSet) runner
	// subs are the subcommands (facteur cases list); defaultSub runs when
	// none is named.
	subs       []*command
	defaultSub string
	parent     *command
	// raw, when set, runs the command with its arguments unparsed: a
	// command that parses its own flags and prints its own help (backup,
	// restore); setup then only serves the man page.
	raw runner
}

// path is the command as typed: "facteur cases list".
func (c *command) path() string {
	if c.name == "" {
		return "facteur"
	}
	if c.parent != nil {
		return c.parent.path() + " " + c.name
	}
	return "facteur " + c.name
}

// flags returns the command's FlagSet, its flags declared, silent: every
// message is printed here, in the command's language.
func (c *command) flags() (*flag.FlagSet, runner) {
	fs := flag.NewFlagSet(c.path(), flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var run runner
	if c.setup != nil {
		run = c.setup(c, fs)
	}
	return fs, run
}

func (c *command) sub(name string) *command {
	for _, s := range c.subs {
		if s.name == name {
			return s
		}
	}
	return nil
}

// execute parses args (flags may come before, between or after the
// arguments) and runs the command. inherited holds the flags already
// parsed by the parent command (facteur cases --config FILE list): a
// subcommand declaring the same flag starts from their values.
func (c *command) execute(args []string, inherited *flag.FlagSet, stdout, stderr io.Writer) int {
	if c.raw != nil {
		return c.raw(args, stdout, stderr)
	}
	fs, run := c.flags()
	if inherited != nil {
		inherited.Visit(func(f *flag.Flag) {
			if fs.Lookup(f.Name) != nil {
				fs.Set(f.Name, f.Value.String())
			}
		})
	}
	var (
		rest []string
		err  error
	)
	if len(c.subs) > 0 {
		// The parent's flags stop at the subcommand's name; the
		// subcommand parses the rest, its flags and the parent's.
		err = fs.Parse(args)
		rest = fs.Args()
	} else {
		rest, err = parseInterspersed(fs, args)
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		c.help(stdout)
		return 0
	case err != nil:
		return c.usageError(stderr, flagError(err, c.lang))
	}
	if len(c.subs) == 0 {
		return run(rest, stdout, stderr)
	}
	if len(rest) == 0 && c.defaultSub == "" && run != nil {
		return run(rest, stdout, stderr)
	}
	name := c.defaultSub
	if len(rest) > 0 {
		name, rest = rest[0], rest[1:]
	}
	if name == "help" && c.sub("help") == nil {
		c.help(stdout)
		return 0
	}
	s := c.sub(name)
	if s == nil {
		msg := fmt.Sprintf("unknown command %q (%s)", name, strings.Join(c.subNames(), ", "))
		if c.lang == french {
			msg = fmt.Sprintf("commande inconnue « %s » (%s)", name, strings.Join(c.subNames(), ", "))
		}
		return c.usageError(stderr, msg)
	}
	return s.execute(rest, fs, stdout, stderr)
}

func (c *command) subNames() []string {
	var names []string
	for _, s := range c.subs {
		if !s.hidden {
			names = append(names, s.name)
		}
	}
	return names
}

// parseInterspersed parses the flags of args wherever they are, and
// returns the other arguments in order; after "--" every argument is one
// of those.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		left := fs.Args()
		if consumed := len(args) - len(left); consumed > 0 && args[consumed-1] == "--" {
			return append(rest, left...), nil
		}
		if len(left) == 0 {
			return rest, nil
		}
		rest = append(rest, left[0])
		args = left[1:]
	}
}

// usageError prints msg and where to find the command's help; its exit
// status is 2.
func (c *command) usageError(w io.Writer, msg string) int {
	if c.lang == french {
		fmt.Fprintf(w, "%s : %s\nVoir « %s --help ».\n", c.path(), msg, c.path())
	} else {
		fmt.Fprintf(w, "%s: %s\nSee '%s --help'.\n", c.path(), msg, c.path())
	}
	return 2
}

var (
	reUndefined = regexp.MustCompile(`^flag provided but not defined: -+(.*)$`)
	reNoValue   = regexp.MustCompile(`^flag needs an argument: -+(.*)$`)
	reBadValue  = regexp.MustCompile(`^invalid (?:boolean )?value "(.*)" for (?:flag )?-+([^:]*): (.*)$`)
	reBadSyntax = regexp.MustCompile(`^bad flag syntax: (.*)$`)
)

// flagError says what the flag package refused, in the command's
// language, naming the flag as it is written in the help (--name).
func flagError(err error, l lang) string {
	s := err.Error()
	if m := reUndefined.FindStringSubmatch(s); m != nil {
		if l == french {
			return "option inconnue " + flagName(m[1])
		}
		return "unknown option " + flagName(m[1])
	}
	if m := reNoValue.FindStringSubmatch(s); m != nil {
		if l == french {
			return "l'option " + flagName(m[1]) + " attend une valeur"
		}
		return "option " + flagName(m[1]) + " needs a value"
	}
	if m := reBadValue.FindStringSubmatch(s); m != nil {
		if l == french {
			return fmt.Sprintf("valeur « %s » incorrecte pour l'option %s", m[1], flagName(m[2]))
		}
		return fmt.Sprintf("invalid value %q for option %s: %s", m[1], flagName(m[2]), m[3])
	}
	if m := reBadSyntax.FindStringSubmatch(s); m != nil {
		if l == french {
			return "option mal écrite : " + m[1]
		}
		return "bad option syntax: " + m[1]
	}
	if l == french {
		return "options incorrectes"
	}
	return s
}

// flagName is how the help writes a flag: -v, --config.
func flagName(name string) string {
	if len([]rune(name)) == 1 {
		return "-" + name
	}
	return "--" + name
}

// words are the few words of the help in each language.
var words = map[lang]struct{ usage, commands, options, help, def, more string }{
	english: {"Usage:", "Commands:", "Options:", "show this help", "default", "'%s COMMAND --help' describes each command."},
	french:  {"Utilisation :", "Commandes :", "Options :", "afficher cette aide", "par défaut :", "« %s COMMANDE --help » décrit chaque commande."},
}

// help prints the command's help: usage, text, subcommands, flags.
func (c *command) help(w io.Writer) {
	wd := words[c.lang]
	fmt.Fprintf(w, "%s %s", wd.usage, c.path())
	if c.synopsis != "" {
		fmt.Fprintf(w, " %s", c.synopsis)
	}
	fmt.Fprint(w, "\n\n")
	if c.text != "" {
		for _, p := range paragraphs(c.text) {
			if p.literal {
				fmt.Fprintf(w, "%s\n\n", strings.Join(p.lines, "\n"))
			} else {
				fmt.Fprintf(w, "%s\n\n", strings.Join(wrap(strings.Join(p.lines, " "), helpWidth), "\n"))
			}
		}
	}
	if len(c.subs) > 0 {
		fmt.Fprintln(w, wd.commands)
		var rows [][2]string
		for _, s := range c.subs {
			if !s.hidden {
				rows = append(rows, [2]string{s.name, s.summary})
			}
		}
		printRows(w, rows)
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, wd.options)
	printRows(w, c.flagRows())
	if len(c.subs) > 0 {
		fmt.Fprintf(w, "\n"+wd.more+"\n", c.path())
	}
}

// flagDoc is one flag as the help and the man page show it.
type flagDoc struct {
	name  string // --config
	arg   string // FILE, or "" for a boolean flag
	usage string
	def   string // "" when the default is the zero value
}

// flagDocs lists the command's flags, in the order of their names, and
// the help flag last.
func (c *command) flagDocs() []flagDoc {
	fs, _ := c.flags()
	var docs []flagDoc
	fs.VisitAll(func(f *flag.Flag) {
		arg, usage := flag.UnquoteUsage(f)
		d := flagDoc{name: flagName(f.Name), arg: arg, usage: usage}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			d.arg = ""
		}
		switch f.DefValue {
		case "", "0", "0s", "false", "[]":
		default:
			d.def = f.DefValue
		}
		docs = append(docs, d)
	})
	return append(docs, flagDoc{name: "-h, --help", usage: words[c.lang].help})
}

func (c *command) flagRows() [][2]string {
	var rows [][2]string
	for _, d := range c.flagDocs() {
		left := d.name
		if d.arg != "" {
			left += " " + d.arg
		}
		right := d.usage
		if d.def != "" {
			right += fmt.Sprintf(" (%s %s)", words[c.lang].def, d.def)
		}
		rows = append(rows, [2]string{left, right})
	}
	return rows
}

// helpWidth is the width the help is wrapped to: a terminal's.
const helpWidth = 80

// printRows prints two columns, the second aligned and wrapped; a left
// cell too long for the column puts its text on the next line.
func printRows(w io.Writer, rows [][2]string) {
	width := 0
	for _, r := range rows {
		if n := len([]rune(r[0])); n > width && n <= 24 {
			width = n
		}
	}
	indent := strings.Repeat(" ", 2+width+2)
	for _, r := range rows {
		lines := wrap(r[1], max(helpWidth-len(indent), 30))
		if n := len([]rune(r[0])); n > width {
			fmt.Fprintf(w, "  %s\n", r[0])
		} else {
			fmt.Fprintf(w, "  %s%s  %s\n", r[0], strings.Repeat(" ", width-n), lines[0])
			lines = lines[1:]
		}
		for _, l := range lines {
			fmt.Fprintf(w, "%s%s\n", indent, l)
		}
	}
}

// paragraph is one paragraph of a command's text: lines to fill, or to
// print as they are (literal: every line begins with two spaces).
type paragraph struct {
	lines   []string
	literal bool
}

func paragraphs(text string) []paragraph {
	var ps []paragraph
	for _, block := range strings.Split(strings.TrimSpace(text), "\n\n") {
		p := paragraph{lines: strings.Split(block, "\n"), literal: true}
		for _, l := range p.lines {
			p.literal = p.literal && strings.HasPrefix(l, "  ")
		}
		ps = append(ps, p)
	}
	return ps
}

// wrap breaks s into lines of at most width runes, between words; a word
// longer than width has a line of its own. It returns one line at least.
//
// French punctuation keeps its space before it on the same line: no line
// begins with ";", ":", "!", "?" or "»", and none ends with "«".
func wrap(s string, width int) []string {
	var words []string
	for _, w := range strings.Fields(s) {
		if n := len(words); n > 0 && (isFrenchPunct(w) || words[n-1] == "«") {
			words[n-1] += " " + w // one unbreakable word
			continue
		}
		words = append(words, w)
	}
	var (
		lines []string
		line  string
	)
	for _, word := range words {
		switch {
		case line == "":
			line = word
		case len([]rune(line))+1+len([]rune(word)) <= width:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	return append(lines, line)
}

// isFrenchPunct reports whether w is a punctuation sign that French
// typography puts after a space: ; : ! ? ».
func isFrenchPunct(w string) bool {
	switch w {
	case ";", ":", "!", "?", "»":
		return true
	}
	return false
}

// configFlag declares --config, with its default, in the command's language.
func configFlag(fs *flag.FlagSet, l lang) *string {
	usage := "read the configuration from this TOML `FILE`"
	if l == french {
		usage = "lire la configuration dans ce `FICHIER`"
	}
	return fs.String("config", configDefault, usage)
}

// configGiven reports whether the configuration file at path may be read:
// when it is the default and does not exist, the command says so, and how
// to name another; false then, with the exit status.
func configGiven(c *command, path string, stderr io.Writer) (int, bool) {
	if path != configDefault || fileExists(path) {
		return 0, true
	}
	msg := fmt.Sprintf("no configuration file at %s (the default); name one with --config FILE", path)
	if c.lang == french {
		msg = fmt.Sprintf("aucun fichier de configuration %s (celui lu par défaut) ; indiquez-en un avec --config FICHIER", path)
	}
	return c.usageError(stderr, msg), false
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// multiFlag is a repeatable string flag: every value given, in order.
type multiFlag struct {
	values []string
	check  func(string) error
}

func (m *multiFlag) String() string {
	if m == nil {
		return ""
	}
	return strings.Join(m.values, ",")
}

func (m *multiFlag) Set(v string) error {
	if m.check != nil {
		if err := m.check(v); err != nil {
			return err
		}
	}
	m.values = append(m.values, v)
	return nil
}
