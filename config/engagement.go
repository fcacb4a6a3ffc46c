package config

// Building blocks of the default engagement-number patterns.
const (
	// Horizontal white space, including the no-break and narrow no-break
	// spaces of French typography ("N° : ").
	reH = `[ \t\x{00A0}\x{202F}]`
	// Apostrophes: straight, typographic, modifier letter, acute, backquote.
	reApos = `['\x{2019}\x{2018}\x{02BC}\x{00B4}\x60]`
	// A number marker: "n°", "N °", "nº", "no", "no.", "n.", "num.", "numéro", "#".
	reNum = `(?:n` + reH + `?[°º]|no\b\.?|n\.|num[ée]ro\b|num\b\.?|#)`
	// Optional marker and separator between a label and the number; the
	// number may start on the next line.
	// A sentence may say it: "le numéro d'engagement est 24-00123".
	reGap = reH + `*(?:` + reNum + reH + `*)?[:=]?` + reH + `*(?:(?:est|sera|is)` + reH + `+(?:le` + reH + `+)?)?(?:\r?\n` + reH + `*)?`
	// A mandatory marker or colon between a label and the number.
	reMark = reH + `*(?:` + reNum + reH + `*[:=]?|[:=#])` + reH + `*(?:\r?\n` + reH + `*)?`
	// The number itself, the one capture group: an optional short letter
	// prefix ("EJ", "BC-"), then a digit, then letters, digits and / _ . -
	// ending on a letter or digit; 3 to 30 characters, at least one digit.
	reValue = `((?:[A-Za-z]{1,6}[/_.-]?)?[0-9][A-Za-z0-9/_.-]{1,20}[A-Za-z0-9])\b`
)

// DefaultEngagementPatterns are the engagement-number patterns used when
// the configuration gives none. Each is a case-insensitive Go regexp with
// exactly one capture group, the number, which always has 3 to 30
// characters among [A-Za-z0-9/_.-] and at least one digit. They recognise,
// among others:
//
//	N° d'engagement : 24-00123
//	numéro d’engagement EJ2026-0042
//	Engagement juridique n° 1300012345
//	bon de commande n° BC-2026-117
//	EJ : 2026/000123
//
// and not an invoice number ("Facture n° FA-2026-0042") nor an amount.
var DefaultEngagementPatterns = []string{
	// "N° d'engagement EJ2026-0042", "numéro de l'engagement juridique : …",
	// "n° d'EJ …", "N° de commande : …", "n° du bon de commande …".
	`(?i)` + reNum + reH + `*(?:d` + reApos + reH + `*|de` + reH + `+(?:l` + reApos + reH + `*)?|du` + reH + `+)` +
		`(?:engagement(?:` + reH + `+juridique)?|EJ|bon` + reH + `+de` + reH + `+commande|commande)\b` + reGap + reValue,
	// "Engagement juridique n° 1300012345", "engagement juridique 1300012345".
	`(?i)\bengagement` + reH + `+juridique\b` + reGap + reValue,
	// "Engagement : 24-00123", "engagement n° 24-00123", "EJ : 2026/000123", "EJ n° …".
	`(?i)\b(?:engagement|EJ)\b` + reMark + reValue,
	// "EJ 2026/000123": the upper-case abbreviation alone is specific enough.
	`\bEJ` + reH + `+` + reValue,
	// "bon de commande n° BC-2026-117", "Bon de commande : 2026-117".
	`(?i)\bbons?` + reH + `+de` + reH + `+commande\b` + reGap + reValue,
	// English: "purchase order no. 4500012345", "PO number: 4500012345".
	`(?i)\bpurchase` + reH + `+order(?:` + reH + `+number\b)?` + reGap + reValue,
	`\bPO(?i:` + reH + `+number\b)?(?i:` + reMark + `)` + reValue,
}
