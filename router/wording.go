package router

import (
	"fmt"

	"facteur/parser"
)

// What the router says of a document it could not read, in French: to the
// supplier (the end of "Le fichier « X » …", sent in a reply) and to
// finance staff (the reason of a held or asked case). The decisions are in
// router.go; only their words are here.

// supplierNothingAttached tells the supplier that the attachment its
// message announces is not there.
const supplierNothingAttached = "Votre message annonce une pièce jointe, mais aucun fichier n'y était joint."

// supplierFileProblem tells the supplier what is wrong with one file.
func supplierFileProblem(d parser.Document) string {
	return fmt.Sprintf("Le fichier « %s » %s.", d.Name, supplierDocProblem(d))
}

// supplierDocProblem says to the supplier what is wrong with an
// attachment.
func supplierDocProblem(d parser.Document) string {
	return map[docProblem]string{
		probDamaged:     "n'a pas pu être lu : il semble endommagé ou incomplet",
		probUnread:      "n'a pas pu être lu",
		probEncrypted:   "est chiffré : nous ne pouvons pas le lire",
		probPassword:    "est protégé par un mot de passe : nous ne pouvons pas le lire",
		probTimeout:     "n'a pas pu être lu dans le temps imparti",
		probTooBig:      "est trop volumineux pour être traité automatiquement",
		probEmpty:       "est vide",
		probImage:       "est une photo ou une image numérisée : une facture ne peut pas être déposée sur Chorus Pro sous cette forme",
		probOffice:      "est un document bureautique ou un message Outlook, que nous ne pouvons pas traiter",
		probArchive:     "est une archive que nous n'avons pas pu ouvrir",
		probUnsupported: "est d'un format que nous ne pouvons pas traiter",
		probFieldTooLong: "contient une donnée anormalement longue (numéro, référence ou montant) : " +
			"il ne peut pas être traité tel quel",
	}[classify(d)]
}

// DocumentProblem says to finance staff why the parser could not read a
// document (or why Facteur did not open it); the parser's own words
// (English, for operators) follow as a technical detail.
func DocumentProblem(d parser.Document) string {
	s := map[docProblem]string{
		probDamaged:      "fichier endommagé ou incomplet",
		probUnread:       "fichier non lu",
		probEncrypted:    "message chiffré (S/MIME) : illisible sans la clé du destinataire",
		probPassword:     "fichier protégé par un mot de passe",
		probTimeout:      "lecture trop longue, interrompue",
		probTooBig:       "fichier trop volumineux ou trop complexe pour être lu automatiquement",
		probEmpty:        "fichier vide",
		probImage:        "image (photo ou facture numérisée ?) : un PDF est nécessaire",
		probOffice:       "document bureautique ou message Outlook : un PDF est nécessaire",
		probArchive:      "archive qui n'a pas pu être ouverte",
		probUnsupported:  "format de fichier non pris en charge : un PDF est nécessaire",
		probFieldTooLong: "donnée anormalement longue dans la facture (fichier douteux ou endommagé)",
	}[classify(d)]
	if d.Error == "" {
		return s
	}
	return s + " (détail technique : " + d.Error + ")"
}

// messageLimitWords say, for finance staff, which limit a message went over.
var messageLimitWords = map[parser.Limit]string{
	parser.LimitParts:  "trop de parties MIME",
	parser.LimitDepth:  "imbrication trop profonde",
	parser.LimitHeader: "en-tête trop volumineux, lu en partie",
}
