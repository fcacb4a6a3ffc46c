package casebook

import (
	"bytes"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"facteur/samples"
)

// Cases returns the casebook, in the order its messages are delivered
// (those with After come once their case is settled).
func Cases() []Case {
	var cs []Case
	for _, group := range [][]Case{
		complete(), structured(), routing(), archives(), credits(), unreadable(), buyers(),
		engagements(), resent(), bank(), inquiries(), automatic(), forwarded(),
	} {
		cs = append(cs, group...)
	}
	for i := range cs {
		cs[i].Build = throughMX(cs[i].Build)
	}
	return cs
}

// throughMX adds what the CASQ's mail server writes on top of every
// message it receives (unless the case wrote it itself): Return-Path,
// Received, and Authentication-Results with DMARC passing.
func throughMX(build func(*Reply) []byte) func(*Reply) []byte {
	return func(r *Reply) []byte {
		raw := build(r)
		if bytes.HasPrefix(raw, []byte("Return-Path:")) {
			return raw
		}
		msg, err := mail.ReadMessage(bytes.NewReader(raw))
		from := "unknown@example.invalid"
		if err == nil {
			if a, err := mail.ParseAddress(msg.Header.Get("From")); err == nil {
				from = a.Address
			}
		}
		dom := from[strings.LastIndexByte(from, '@')+1:]
		return append([]byte(mxHeader(from, dom, "spf=pass (sender IP is 192.0.2.25) smtp.mailfrom="+dom+"; dkim=pass (signature was verified) header.d="+dom+"; dmarc=pass action=none header.from="+dom)), raw...)
	}
}

func mxHeader(returnPath, dom, auth string) string {
	if returnPath != "" && returnPath != "<>" {
		returnPath = "<" + returnPath + ">"
	}
	return "Return-Path: " + returnPath + "\r\n" +
		"Received: from mail." + dom + " (mail." + dom + " [192.0.2.25])\r\n\tby mx1.casq.fr (Postfix) with ESMTPS id 4Y2k7N1xZq;\r\n\tThu, 26 Nov 2026 09:12:44 +0100 (CET)\r\n" +
		"Authentication-Results: mx1.casq.fr;\r\n\t" + auth + "\r\n"
}

// Dates the invoices carry.
const (
	d0 = "2026-11-16"
	d1 = "2026-11-20"
	d2 = "2026-11-24"
	d3 = "2026-11-27"
)

// The CASQ's mailbox as suppliers write it.
const casq = "Comptabilité CASQ <" + Mailbox + ">"

// Signatures.
var (
	sigEVV   = "Cordialement,\n\nAurélie Moreau\nService administratif et comptable\nEspaces Verts du Vermandois\nTél. 03 23 00 41 17\n{logo}\n"
	sigVNT   = "Salutations distinguées,\n\nService comptabilité\nVOIRIE NORD TRAVAUX SAS\nZA du Royeux – 02100 Saint-Quentin\n"
	sigSIGN  = "Bien cordialement,\n\nNathalie Roussel\nAssistante de gestion\nSignalisation du Vermandois\n{logo}\n"
	sigINFO  = "Cordialement,\n\nLe service facturation\nInformatique Territoriale Services\n{logo}\n"
	sigBTP   = "Bien à vous,\n\nBernard Dufour\nMaçonnerie Dufour et Fils\n06 12 00 00 18\n{logo}\n"
	sigHSP   = "Bien cordialement,\n\nÉmilie Lefèvre\nHydro Services Picardie\n"
	sigMECA  = "Cordialement\nPatrick Lemaire\nGarage Mécanique du Vermandois\n"
	sigFOUR  = "Cordialement,\n\nThomas Leroy\nFournitures Industrielles Picardes\n"
	sigAAE   = "Cordialement,\n\n-- \nJérôme Dubois\nAssainissement Aisne Environnement\n"
	sigCONS  = "Bien cordialement,\n\n-- \nMarc Vasseur\nCabinet Conseil Finances Locales\n"
	sigNETT  = "Belle journée,\n\nSophie Caron\nNettoyage Picard Propreté"
	sigTRANS = "Cordialement,\n\nService comptable\nAutocars du Vermandois\n"
)

func pdf(name string, data []byte) file { return file{Name: name, Data: data} }

// complete: a complete Factur-X for each budget, from every kind of
// client: deposited as it is and confirmed.
func complete() []Case {
	evv := inv(EVV, "EVV-2026-0601", d1, SIRETPrincipal, "EJ-2026-000601")
	hsp := inv(HSP, "HSP-2026-0142", d1, SIRETEauPotable, "EJ-2026-004217")
	aae := inv(AAE, "AAE-2026-0455", d1, SIRETAssainissement, "EJ-2026-003301")
	meca := inv(MECA, "MECA-2026-301", d2, SIRETCircuit, "EJ-2026-005120")
	trans := inv(TRANS, "AV26-115", d2, SIRETTransports, "EJ-2026-007115")
	elec := inv(ELEC, "F2026-045", d2, SIRETPrincipal, "EJ-2026-002045")
	nett := inv(NETT, "NETT-2026-1211", d1, SIRETPrincipal, "EJ-2026-001211")
	vnt := inv(VNT, "VNT-2026-1187", d1, SIRETPrincipal, "EJ-2026-003154")
	return []Case{
		{Name: "outlook-facturx-principal", Kind: KindFacturX, Client: "Outlook (Microsoft 365)",
			Note: "a complete Factur-X for the main budget, the logo of the signature in multipart/related",
			Build: func(*Reply) []byte {
				return outlook(mailSpec{Seed: "outlook-facturx-principal", From: EVV.From(), To: casq,
					Subject: "Facture EVV-2026-0601 - entretien des espaces verts novembre",
					Text:    "Bonjour,\n\nVeuillez trouver ci-joint notre facture EVV-2026-0601 relative à l'entretien des espaces verts du mois de novembre.\n\n" + sigEVV,
					Files:   []file{pdf("Facture EVV-2026-0601.pdf", facturX(evv))}})
			},
			Want: []Want{confirmed("EVV-2026-0601", SIRETPrincipal, "EJ-2026-000601", "flux")}},
		{Name: "gmail-facturx-eau-potable", Kind: KindFacturX, Client: "Gmail (Google Workspace)",
			Note: "a complete Factur-X for the drinking-water budget",
			Build: func(*Reply) []byte {
				return gmail(mailSpec{Seed: "gmail-facturx-eau-potable", From: HSP.From(), To: Mailbox,
					Subject: "Facture n° HSP-2026-0142 – remplacement de vanne rue d'Isle",
					Text:    "Bonjour,\n\nVous trouverez en pièce jointe notre facture relative au remplacement de la vanne DN150, rue d'Isle.\n\n" + sigHSP,
					Files:   []file{pdf("Facture_HSP-2026-0142.pdf", facturX(hsp))}})
			},
			Want: []Want{confirmed("HSP-2026-0142", SIRETEauPotable, "EJ-2026-004217", "flux", says("Budget eau potable"))}},
		{Name: "thunderbird-facturx-assainissement", Kind: KindFacturX, Client: "Thunderbird",
			Note: "a complete Factur-X for the sewerage budget, format=flowed, 8 bit",
			Build: func(*Reply) []byte {
				return thunderbird(mailSpec{Seed: "thunderbird-facturx-assainissement", From: AAE.From(), To: Mailbox,
					Subject: "Facture AAE-2026-0455",
					Text:    "Bonjour,\n\nCi-joint notre facture AAE-2026-0455 pour le curage du collecteur de la rue de Guise.\n\n" + sigAAE,
					Files:   []file{pdf("AAE-2026-0455.pdf", facturX(aae))}})
			},
			Want: []Want{confirmed("AAE-2026-0455", SIRETAssainissement, "EJ-2026-003301", "flux", says("Budget assainissement"))}},
		{Name: "gmail-facturx-circuit", Kind: KindFacturX, Client: "Gmail",
			Note: "a complete Factur-X for the racing-circuit budget, an accented file name",
			Build: func(*Reply) []byte {
				return gmail(mailSpec{Seed: "gmail-facturx-circuit", From: MECA.From(), To: Mailbox,
					Subject: "facture révision véhicules de piste",
					Text:    "Bonjour\n\nje vous joins la facture pour la révision des deux véhicules de piste.\n\n" + sigMECA,
					Files:   []file{pdf("Facture n°MECA-2026-301 révision.pdf", facturX(meca))}})
			},
			Want: []Want{confirmed("MECA-2026-301", SIRETCircuit, "EJ-2026-005120", "flux", says("Budget circuit automobile"))}},
		{Name: "outlook-facturx-transports", Kind: KindFacturX, Client: "Outlook",
			Note: "a complete Factur-X for the fifth budget, whose Chorus Pro structure leaves the engagement optional",
			Build: func(*Reply) []byte {
				return outlook(mailSpec{Seed: "outlook-facturx-transports", From: TRANS.From(), To: casq,
					Subject: "Facture AV26-115 ligne 4",
					Text:    "Bonjour,\n\nVeuillez trouver ci-joint la facture AV26-115 pour l'exploitation de la ligne 4 en novembre.\n\n" + sigTRANS,
					Files:   []file{pdf("AV26-115.pdf", facturX(trans))}})
			},
			Want: []Want{confirmed("AV26-115", SIRETTransports, "EJ-2026-007115", "flux", says("Budget transports urbains"))}},
		{Name: "iphone-facturx", Kind: KindFacturX, Client: "iPhone Mail",
			Note: "a Factur-X sent from a phone, inline, \"Envoyé de mon iPhone\"",
			Build: func(*Reply) []byte {
				return iPhone(mailSpec{Seed: "iphone-facturx", From: ELEC.From(), To: Mailbox,
					Subject: "Facture gymnase",
					Text:    "Bonjour voici la facture pour le tableau du gymnase Jean Bouin\nCdt\nKarim Benali",
					Files:   []file{pdf("F2026-045.pdf", facturX(elec))}})
			},
			Want: []Want{confirmed("F2026-045", SIRETPrincipal, "EJ-2026-002045", "flux")}},
		{Name: "applemail-inline-facturx", Kind: KindInlinePDF, Client: "Apple Mail (macOS)",
			Note: "a Factur-X dropped into the text: inline, inside the HTML alternative",
			Build: func(*Reply) []byte {
				return appleMail(mailSpec{Seed: "applemail-inline-facturx", From: NETT.From(), To: Mailbox,
					Subject: "Facture novembre - NETT-2026-1211",
					Text:    "Bonjour,\n\nVoici notre facture du mois de novembre :\n{files}\n" + sigNETT,
					Files:   []file{pdf("NETT-2026-1211.pdf", facturX(nett))}})
			},
			Want: []Want{confirmed("NETT-2026-1211", SIRETPrincipal, "EJ-2026-001211", "flux")}},
		{Name: "outlook-winmail-facturx", Kind: KindOutlookTNEF, Client: "Outlook (rich text, Exchange)",
			Note: "the Factur-X inside winmail.dat: the archive is opened, its entry is the document",
			Build: func(*Reply) []byte {
				return outlookTNEF(mailSpec{Seed: "outlook-winmail-facturx", From: VNT.From(), To: Mailbox,
					Subject: "Facture VNT-2026-1187",
					Text:    "Madame, Monsieur,\n\nVeuillez trouver ci-joint notre facture pour les travaux de voirie de la rue d'Isle.\n\n" + sigVNT,
					Files:   []file{pdf("Facture VNT-2026-1187.pdf", facturX(vnt))}})
			},
			Want: []Want{confirmed("VNT-2026-1187", SIRETPrincipal, "EJ-2026-003154", "flux")}},
	}
}

// structured: UBL and CII files, and billing systems.
func structured() []Case {
	sign := inv(SIGN, "SIGN-2026-0871", d1, SIRETPrincipal, "EJ-2026-008871")
	four := inv(FOUR, "FIP-2026-0320", d2, SIRETCircuit, "EJ-2026-005320")
	its := inv(INFO, "ITS-2026-0412", d1, SIRETPrincipal, "EJ-2026-001412")
	aae := inv(AAE, "AAE-2026-0458", d2, SIRETAssainissement, "EJ-2026-003458")
	bpa := inv(BPA, "BPA-2026-7731", d1, SIRETPrincipal, "EJ-2026-007731")
	bpa2 := inv(BPA, "BPA-2026-7735", d2, SIRETPrincipal, "")
	its2 := inv(INFO, "ITS-2026-0430", d2, SIRETPrincipal, "EJ-2026-001430")
	return []Case{
		{Name: "outlook-ubl-principal", Kind: KindUBL, Client: "Outlook",
			Note: "a UBL invoice exported by the supplier's ERP",
			Build: func(*Reply) []byte {
				return outlook(mailSpec{Seed: "outlook-ubl-principal", From: SIGN.From(), To: casq,
					Subject: "Facture SIGN-2026-0871 au format UBL",
					Text:    "Bonjour,\n\nVous trouverez ci-joint notre facture SIGN-2026-0871 au format UBL.\n\n" + sigSIGN,
					Files:   []file{{Name: "SIGN-2026-0871.xml", Type: "application/xml", Data: samples.UBL(sign)}}})
			},
			Want: []Want{confirmed("SIGN-2026-0871", SIRETPrincipal, "EJ-2026-008871", "flux")}},
		{Name: "gmail-ubl-circuit", Kind: KindUBL, Client: "Gmail",
			Note: "a UBL invoice for the circuit budget, sent as text/xml",
			Build: func(*Reply) []byte {
				return gmail(mailSpec{Seed: "gmail-ubl-circuit", From: FOUR.From(), To: Mailbox,
					Subject: "Facture FIP-2026-0320",
					Text:    "Bonjour,\n\nCi-joint la facture FIP-2026-0320 (fichier XML UBL).\n\n" + sigFOUR,
					Files:   []file{{Name: "FIP-2026-0320.xml", Data: samples.UBL(four)}}})
			},
			Want: []Want{confirmed("FIP-2026-0320", SIRETCircuit, "EJ-2026-005320", "flux")}},
		{Name: "outlook-cii-principal", Kind: KindCII, Client: "Outlook",
			Note: "a CII invoice, the XML alone",
			Build: func(*Reply) []byte {
				return outlook(mailSpec{Seed: "outlook-cii-principal", From: INFO.From(), To: casq,
					Subject: "Facture ITS-2026-0412 - maintenance T4",
					Text:    "Madame, Monsieur,\n\nVeuillez trouver ci-joint notre facture ITS-2026-0412 au format CII (UN/CEFACT).\n\n" + sigINFO,
					Files:   []file{{Name: "ITS-2026-0412_CII.xml", Type: "application/xml", Data: samples.CII(its)}}})
			},
			Want: []Want{confirmed("ITS-2026-0412", SIRETPrincipal, "EJ-2026-001412", "flux")}},
		{Name: "thunderbird-cii-assainissement", Kind: KindCII, Client: "Thunderbird",
			Note: "a CII invoice for the sewerage budget",
			Build: func(*Reply) []byte {
				return thunderbird(mailSpec{Seed: "thunderbird-cii-assainissement", From: AAE.From(), To: Mailbox,
					Subject: "Facture AAE-2026-0458 (XML)",
					Text:    "Bonjour,\n\nVoici la facture AAE-2026-0458 au format XML CII, comme demandé par vos services.\n\n" + sigAAE,
					Files:   []file{{Name: "AAE-2026-0458.xml", Data: samples.CII(aae)}}})
			},
			Want: []Want{confirmed("AAE-2026-0458", SIRETAssainissement, "EJ-2026-003458", "flux")}},
		{Name: "billing-autogenerated-facturx", Kind: KindBillingSystem, Client: "Sage 100 (no-reply)",
			Note: "a billing system sends a complete Factur-X by itself (Auto-Submitted: auto-generated): deposited, never answered",
			Build: func(*Reply) []byte {
				return billing(mailSpec{Seed: "billing-autogenerated-facturx", From: "Facturation BPA <no-reply@bureautique-aisne.example>", To: Mailbox,
					Subject: "Votre facture BPA-2026-7731",
					Text:    "Madame, Monsieur,\n\nVeuillez trouver ci-joint votre facture n° BPA-2026-7731.\n\nCe message est envoyé automatiquement, merci de ne pas y répondre.",
					Files:   []file{pdf("BPA-2026-7731.pdf", facturX(bpa))}}, "Sage 100cloud Gestion commerciale", true)
			},
			Want: []Want{confirmed("BPA-2026-7731", SIRETPrincipal, "EJ-2026-007731", "flux", noReply())}},
		{Name: "billing-autogenerated-no-engagement", Kind: KindBillingSystem, Client: "Sage 100 (no-reply)",
			Note: "the same billing system, without engagement number: nobody to ask, so a person chases it",
			Build: func(*Reply) []byte {
				return billing(mailSpec{Seed: "billing-autogenerated-no-engagement", From: "Facturation BPA <no-reply@bureautique-aisne.example>", To: Mailbox,
					Subject: "Votre facture BPA-2026-7735",
					Text:    "Madame, Monsieur,\n\nVeuillez trouver ci-joint votre facture n° BPA-2026-7735.\n\nCe message est envoyé automatiquement, merci de ne pas y répondre.",
					Files:   []file{pdf("BPA-2026-7735.pdf", facturX(bpa2))}}, "Sage 100cloud Gestion commerciale", true)
			},
			Want: []Want{heldFor("BPA-2026-7735", "numéro d'engagement absent", func(w *Want) { w.FinanceNever = []string{"demandé au fournisseur"} })}},
		{Name: "billing-noreply-sender", Kind: KindBillingSystem, Client: "invoicing platform (ne-pas-repondre@)",
			Note: "a platform sends from a no-reply address without Auto-Submitted: deposited; a reply there would only bounce",
			Build: func(*Reply) []byte {
				return billing(mailSpec{Seed: "billing-noreply-sender", From: "ITS Facturation <ne-pas-repondre@its-territoires.example>", To: Mailbox,
					Subject: "Facture ITS-2026-0430 disponible",
					Text:    "Bonjour,\n\nVotre facture ITS-2026-0430 est jointe à ce message.\n\nMerci de ne pas répondre à ce message : cette adresse n'est pas lue.",
					Files:   []file{pdf("ITS-2026-0430.pdf", facturX(its2))}}, "ITS Factures 4.2", false)
			},
			Want: []Want{confirmed("ITS-2026-0430", SIRETPrincipal, "EJ-2026-001430", "flux", noReply())}},
	}
}

// routing: the budget told by a keyword, the engagement number given in
// the e-mail, the body's own rule on the fifth budget.
func routing() []Case {
	evvWater := inv(EVV, "EVV-2026-0622", d2, "", "EJ-2026-000622")
	aaePlain := inv(AAE, "AAE-2026-0463", d2, "", "EJ-2026-003463")
	meca := inv(MECA, "MECA-2026-309", d2, "", "EJ-2026-005309")
	evvBody := inv(EVV, "EVV-2026-0625", d2, SIRETPrincipal, "")
	hspSubject := inv(HSP, "HSP-2026-0150", d2, SIRETEauPotable, "")
	trans := inv(TRANS, "AV26-112", d1, SIRETTransports, "")
	transUBL := inv(TRANS, "AV26-113", d1, SIRETTransports, "")
	return []Case{
		{Name: "keyword-eau-potable-attached", Kind: KindKeyword, Client: "Outlook",
			Note: "a plain PDF naming no buyer SIRET; \"eau potable\" in the subject names the budget; the supplier is attached: PDF mode",
			Build: func(*Reply) []byte {
				return outlook(mailSpec{Seed: "keyword-eau-potable-attached", From: "Factures EVV <" + EVV.Addr("factures") + ">", To: casq,
					Subject: "Facture EVV-2026-0622 - abords du château d'eau potable de Rocourt",
					Text:    "Bonjour,\n\nVeuillez trouver ci-joint notre facture pour l'entretien des abords du réservoir d'eau potable de Rocourt.\n\n" + sigEVV,
					Files:   []file{pdf("EVV-2026-0622.pdf", plainPDF(evvWater))}})
			},
			Want: []Want{confirmed("EVV-2026-0622", SIRETEauPotable, "EJ-2026-000622", "pdf", says("Budget eau potable"))}},
		{Name: "keyword-assainissement-guided", Kind: KindKeyword, Client: "Thunderbird",
			Note: "a plain PDF naming no buyer SIRET, \"assainissement\" in the text; Facteur may not deposit for this supplier: guided",
			Build: func(*Reply) []byte {
				return thunderbird(mailSpec{Seed: "keyword-assainissement-guided", From: AAE.From(), To: Mailbox,
					Subject: "Facture AAE-2026-0463",
					Text:    "Bonjour,\n\nVeuillez trouver ci-joint notre facture pour l'inspection du réseau d'assainissement de Gauchy.\n\n" + sigAAE,
					Files:   []file{pdf("AAE-2026-0463.pdf", plainPDF(aaePlain))}})
			},
			Want: []Want{guidedTo("AAE-2026-0463", SIRETAssainissement, "EJ-2026-003463")}},
		{Name: "keyword-circuit-facturx-no-buyer", Kind: KindKeyword, Client: "Gmail",
			Note: "a Factur-X whose buyer has no SIRET, \"circuit\" in the subject: Chorus Pro reads the recipient from the file, so the supplier deposits it himself with the SIRET",
			Build: func(*Reply) []byte {
				return gmail(mailSpec{Seed: "keyword-circuit-facturx-no-buyer", From: MECA.From(), To: Mailbox,
					Subject: "Facture pneus circuit",
					Text:    "Bonjour\n\nfacture pour les pneus du circuit ci-jointe.\n\n" + sigMECA,
					Files:   []file{pdf("MECA-2026-309.pdf", facturX(meca))}})
			},
			Want: []Want{guidedTo("MECA-2026-309", SIRETCircuit, "EJ-2026-005309")}},
		{Name: "engagement-in-body-attached", Kind: KindEJInMail, Client: "Outlook",
			Note: "a Factur-X without BT-13, the number in the text; Facteur never edits the file: PDF mode with its own data",
			Build: func(*Reply) []byte {
				return outlook(mailSpec{Seed: "engagement-in-body-attached", From: EVV.From(), To: casq,
					Subject: "Facture EVV-2026-0625",
					Text:    "Bonjour,\n\nVeuillez trouver ci-joint notre facture EVV-2026-0625.\nN° d'engagement : EJ-2026-000625\n\n" + sigEVV,
					Files:   []file{pdf("EVV-2026-0625.pdf", facturX(evvBody))}})
			},
			Want: []Want{confirmed("EVV-2026-0625", SIRETPrincipal, "EJ-2026-000625", "pdf")}},
		{Name: "engagement-in-subject-guided", Kind: KindEJInMail, Client: "Gmail",
			Note: "a Factur-X without BT-13, the number in the subject, from a supplier Facteur may not deposit for: guided with it",
			Build: func(*Reply) []byte {
				return gmail(mailSpec{Seed: "engagement-in-subject-guided", From: HSP.From(), To: Mailbox,
					Subject: "Facture HSP-2026-0150 – bon de commande n° BC-2026-0150",
					Text:    "Bonjour,\n\nCi-joint notre facture pour la recherche de fuite avenue de Remicourt.\n\n" + sigHSP,
					Files:   []file{pdf("Facture_HSP-2026-0150.pdf", facturX(hspSubject))}})
			},
			Want: []Want{guidedTo("HSP-2026-0150", SIRETEauPotable, "BC-2026-0150")}},
		{Name: "body-rule-facturx-no-engagement", Kind: KindBodyRule, Client: "Outlook",
			Note: "a Factur-X without engagement for the fifth budget: Chorus Pro would take it, the body's rule asks for the number",
			Build: func(*Reply) []byte {
				return outlook(mailSpec{Seed: "body-rule-facturx-no-engagement", From: TRANS.From(), To: casq,
					Subject: "Facture AV26-112",
					Text:    "Bonjour,\n\nVeuillez trouver ci-joint la facture AV26-112 (services scolaires de novembre).\n\n" + sigTRANS,
					Files:   []file{pdf("AV26-112.pdf", facturX(trans))}})
			},
			Want: []Want{askedEJ("AV26-112", false, says("Budget transports urbains"))}},
		{Name: "body-rule-ubl-no-engagement", Kind: KindBodyRule, Client: "Outlook",
			Note: "the same supplier's UBL without engagement, same rule",
			Build: func(*Reply) []byte {
				return outlook(mailSpec{Seed: "body-rule-ubl-no-engagement", From: "Autocars du Vermandois <" + TRANS.Addr("facturation") + ">", To: casq,
					Subject: "Facture AV26-113 (UBL)",
					Text:    "Bonjour,\n\nCi-joint la facture AV26-113 au format UBL.\n\n" + sigTRANS,
					Files:   []file{{Name: "AV26-113.xml", Type: "application/xml", Data: samples.UBL(transUBL)}}})
			},
			Want: []Want{askedEJ("AV26-113", false)}},
	}
}

// archives: ZIPs and several invoices in one message.
func archives() []Case {
	f1 := inv(FOUR, "FIP-2026-0311", d1, SIRETPrincipal, "EJ-2026-005311")
	f2 := inv(FOUR, "FIP-2026-0312", d1, SIRETPrincipal, "EJ-2026-005312")
	v := inv(VNT, "VNT-2026-1195", d2, SIRETPrincipal, "EJ-2026-003195")
	s1 := inv(SIGN, "SIGN-2026-0880", d2, SIRETPrincipal, "EJ-2026-003195")
	s2 := inv(SIGN, "SIGN-2026-0881", d2, SIRETPrincipal, "EJ-2026-003196")
	i1 := inv(INFO, "ITS-2026-0415", d1, SIRETPrincipal, "EJ-2026-001415")
	i2 := inv(INFO, "ITS-2026-0416", d1, SIRETEauPotable, "EJ-2026-001416")
	i3 := inv(INFO, "ITS-2026-0417", d1, SIRETAssainissement, "EJ-2026-001417")
	a1 := inv(AAE, "AAE-2026-0460", d2, SIRETAssainissement, "EJ-2026-003460")
	a2 := inv(AAE, "AAE-2026-0461", d2, SIRETAssainissement, "")
	w1 := inv(VNT, "VNT-2026-1190", d1, SIRETPrincipal, "EJ-2026-003190")
	w2 := inv(VNT, "VNT-2026-1191", d1, SIRETPrincipal, "")
	z := zipOf(file{Name: "FIP-2026-0311.pdf", Data: facturX(f1)})
	return []Case{
		{Name: "zip-two-same-supplier", Kind: KindArchive, Client: "Gmail",
			Note: "a ZIP of two invoices of the same supplier: each entry is a document of its own",
			Build: func(*Reply) []byte {
				return gmail(mailSpec{Seed: "zip-two-same-supplier", From: FOUR.From(), To: Mailbox,
					Subject: "Factures novembre",
					Text:    "Bonjour,\n\nVous trouverez ci-joint nos deux factures de novembre dans le fichier zip.\n\n" + sigFOUR,
					Files: []file{{Name: "Factures_novembre_2026.zip", Data: zipOf(
						file{Name: "FIP-2026-0311.pdf", Data: facturX(f1)}, file{Name: "FIP-2026-0312.pdf", Data: facturX(f2)})}}})
			},
			Want: []Want{
				confirmed("FIP-2026-0311", SIRETPrincipal, "EJ-2026-005311", "flux", never("FIP-2026-0312")),
				confirmed("FIP-2026-0312", SIRETPrincipal, "EJ-2026-005312", "flux", never("FIP-2026-0311")),
			}},
		{Name: "zip-three-two-suppliers", Kind: KindArchive, Client: "Outlook",
			Note: "the lead contractor of a joint tender sends its invoice and its partner's two in one ZIP: three deposits",
			Build: func(*Reply) []byte {
				return outlook(mailSpec{Seed: "zip-three-two-suppliers", From: VNT.Supplier.Contact + " <" + VNT.Addr("direction") + ">", To: casq,
					Subject: "Groupement VNT / Signalisation du Vermandois - factures novembre",
					Text:    "Madame, Monsieur,\n\nEn qualité de mandataire du groupement, nous vous adressons notre facture ainsi que les deux factures de notre cotraitant, réunies dans l'archive jointe.\n\n" + sigVNT,
					Files: []file{{Name: "Groupement_factures.zip", Data: zipOf(
						file{Name: "VNT-2026-1195.pdf", Data: facturX(v)},
						file{Name: "Cotraitant/SIGN-2026-0880.pdf", Data: facturX(s1)},
						file{Name: "Cotraitant/SIGN-2026-0881.pdf", Data: facturX(s2)})}}})
			},
			Want: []Want{
				confirmed("VNT-2026-1195", SIRETPrincipal, "EJ-2026-003195", "flux"),
				confirmed("SIGN-2026-0880", SIRETPrincipal, "EJ-2026-003195", "flux", says("Signalisation du Vermandois")),
				confirmed("SIGN-2026-0881", SIRETPrincipal, "EJ-2026-003196", "flux", says("Signalisation du Vermandois")),
			}},
		{Name: "winmail-holding-zip", Kind: KindArchive, Client: "Outlook (rich text, Exchange)",
			Note: "Outlook in rich text puts the ZIP itself in winmail.dat: each invoice of the ZIP is still a document",
			Build: func(*Reply) []byte {
				return outlookTNEF(mailSpec{Seed: "winmail-holding-zip", From: VNT.From(), To: Mailbox,
					Subject: "Factures VNT-2026-1205 et VNT-2026-1206",
					Text:    "Madame, Monsieur,\n\nVeuillez trouver ci-joint nos factures de la tranche 2, dans l'archive jointe.\n\n" + sigVNT,
					Files: []file{{Name: "Factures tranche 2.zip", Data: zipOf(
						file{Name: "VNT-2026-1205.pdf", Data: facturX(inv(VNT, "VNT-2026-1205", d2, SIRETPrincipal, "EJ-2026-003205"))},
						file{Name: "VNT-2026-1206.pdf", Data: facturX(inv(VNT, "VNT-2026-1206", d2, SIRETPrincipal, "EJ-2026-003206"))})}}})
			},
			Want: []Want{
				confirmed("VNT-2026-1205", SIRETPrincipal, "EJ-2026-003205", "flux"),
				confirmed("VNT-2026-1206", SIRETPrincipal, "EJ-2026-003206", "flux"),
			}},
		{Name: "zip-damaged", Kind: KindArchive, Client: "Outlook",
			Note: "a ZIP cut short: it cannot be opened; the supplier is asked for the PDF, the file named",
			Build: func(*Reply) []byte {
				return outlook(mailSpec{Seed: "zip-damaged", From: BTP.From(), To: casq,
					Subject: "factures",
					Text:    "Bonjour,\n\nJe vous envoie nos factures en pièce jointe.\n\n" + sigBTP,
					Files:   []file{{Name: "factures dufour.zip", Data: z[:len(z)/2]}}})
			},
			Want: []Want{askedPDF(says("factures dufour.zip", "archive"))}},
		{Name: "outlook-three-invoices", Kind: KindSeveral, Client: "Outlook",
			Note: "three invoices for three budgets in one message: one case, one reply per invoice, each naming its own",
			Build: func(*Reply) []byte {
				return outlook(mailSpec{Seed: "outlook-three-invoices", From: INFO.From(), To: casq,
					Subject: "Factures ITS-2026-0415, 0416 et 0417",
					Text:    "Madame, Monsieur,\n\nVeuillez trouver ci-joint nos trois factures de maintenance du trimestre, une par budget.\n\n" + sigINFO,
					Files: []file{pdf("ITS-2026-0415.pdf", facturX(i1)), pdf("ITS-2026-0416.pdf", facturX(i2)),
						pdf("ITS-2026-0417.pdf", facturX(i3))}})
			},
			Want: []Want{
				confirmed("ITS-2026-0415", SIRETPrincipal, "EJ-2026-001415", "flux", never("ITS-2026-0416", "ITS-2026-0417")),
				confirmed("ITS-2026-0416", SIRETEauPotable, "EJ-2026-001416", "flux", never("ITS-2026-0415", "ITS-2026-0417")),
				confirmed("ITS-2026-0417", SIRETAssainissement, "EJ-2026-001417", "flux", never("ITS-2026-0415", "ITS-2026-0416")),
			}},
		{Name: "thunderbird-two-invoices-one-incomplete", Kind: KindSeveral, Client: "Thunderbird",
			Note: "two invoices, one without engagement: one deposited, the other asked about, each in its own reply",
			Build: func(*Reply) []byte {
				return thunderbird(mailSpec{Seed: "thunderbird-two-invoices-one-incomplete", From: AAE.From(), To: Mailbox,
					Subject: "Factures AAE-2026-0460 et AAE-2026-0461",
					Text:    "Bonjour,\n\nVeuillez trouver ci-joint deux factures.\n\n" + sigAAE,
					Files:   []file{pdf("AAE-2026-0460.pdf", facturX(a1)), pdf("AAE-2026-0461.pdf", facturX(a2))}})
			},
			Want: []Want{
				confirmed("AAE-2026-0460", SIRETAssainissement, "EJ-2026-003460", "flux", never("AAE-2026-0461")),
				askedEJ("AAE-2026-0461", false, never("AAE-2026-0460")),
			}},
		{Name: "outlook-winmail-two-invoices", Kind: KindOutlookTNEF, Client: "Outlook (rich text, Exchange)",
			Note: "two invoices inside one winmail.dat, one without engagement",
			Build: func(*Reply) []byte {
				return outlookTNEF(mailSpec{Seed: "outlook-winmail-two-invoices", From: VNT.From(), To: Mailbox,
					Subject: "Factures VNT-2026-1190 et VNT-2026-1191",
					Text:    "Madame, Monsieur,\n\nVeuillez trouver ci-joint nos factures VNT-2026-1190 et VNT-2026-1191.\n\n" + sigVNT,
					Files:   []file{pdf("VNT-2026-1190.pdf", facturX(w1)), pdf("VNT-2026-1191.pdf", facturX(w2))}})
			},
			Want: []Want{
				confirmed("VNT-2026-1190", SIRETPrincipal, "EJ-2026-003190", "flux"),
				askedEJ("VNT-2026-1191", false),
			}},
	}
}

// credits: credit notes, read with their own number.
func credits() []Case {
	evv := credit(EVV, "AV-2026-0031", d2, SIRETPrincipal, "EJ-2026-000588", "EVV-2026-0588")
	its := credit(INFO, "AV-ITS-2026-07", d2, SIRETPrincipal, "EJ-2026-001398", "ITS-2026-0398")
	hsp := credit(HSP, "AV-2026-0017", d3, SIRETEauPotable, "EJ-2026-004217", "HSP-2026-0142")
	return []Case{
		{Name: "credit-note-plain-attached", Kind: KindCreditNote, Client: "Outlook",
			Note: "a plain-PDF credit note \"AVOIR N° AV-…\", \"Avoir sur facture EVV-…\": its own number, type credit note, PDF mode",
			Build: func(*Reply) []byte {
				return outlook(mailSpec{Seed: "credit-note-plain-attached", From: EVV.From(), To: casq,
					Subject: "Avoir AV-2026-0031 sur facture EVV-2026-0588",
					Text:    "Bonjour,\n\nSuite à notre échange, veuillez trouver ci-joint l'avoir AV-2026-0031 qui annule partiellement la facture EVV-2026-0588.\n\n" + sigEVV,
					Files:   []file{pdf("Avoir AV-2026-0031.pdf", plainPDF(evv))}})
			},
			Want: []Want{confirmed("AV-2026-0031", SIRETPrincipal, "EJ-2026-000588", "pdf", creditNote())}},
		{Name: "credit-note-facturx-381", Kind: KindCreditNote, Client: "Outlook",
			Note: "a Factur-X credit note (type 381, BT-25): deposited as it is",
			Build: func(*Reply) []byte {
				return outlook(mailSpec{Seed: "credit-note-facturx-381", From: INFO.From(), To: casq,
					Subject: "Avoir AV-ITS-2026-07",
					Text:    "Madame, Monsieur,\n\nVeuillez trouver ci-joint notre avoir AV-ITS-2026-07 relatif à la facture ITS-2026-0398.\n\n" + sigINFO,
					Files:   []file{pdf("AV-ITS-2026-07.pdf", facturX(its))}})
			},
			Want: []Want{confirmed("AV-ITS-2026-07", SIRETPrincipal, "EJ-2026-001398", "flux", creditNote())}},
		{Name: "credit-note-after-its-invoice", Kind: KindCreditNote, Client: "Gmail",
			After: "gmail-facturx-eau-potable",
			Note:  "a credit note for an invoice already deposited: never a duplicate of it; the supplier (not attached) is guided",
			Build: func(*Reply) []byte {
				return gmail(mailSpec{Seed: "credit-note-after-its-invoice", From: HSP.From(), To: Mailbox,
					Subject: "Avoir sur facture HSP-2026-0142",
					Text:    "Bonjour,\n\nUne erreur de quantité s'est glissée dans notre facture HSP-2026-0142 ; vous trouverez ci-joint l'avoir correspondant.\n\n" + sigHSP,
					Files:   []file{pdf("Avoir_AV-2026-0017.pdf", plainPDF(hsp))}})
			},
			Want: []Want{guidedTo("AV-2026-0017", SIRETEauPotable, "EJ-2026-004217", never("déjà reçue"), says("avoir"))}},
	}
}

// unreadable: nothing Facteur can read, or nothing attached.
func unreadable() []Case {
	c := inv(CONS, "CFL-2026-018", d1, SIRETPrincipal, "EJ-2026-000918")
	cp := inv(CONS, "CFL-2026-019", d1, SIRETPrincipal, "EJ-2026-000919")
	elec := inv(ELEC, "F2026-044", d1, SIRETPrincipal, "EJ-2026-002044")
	meca := inv(MECA, "MECA-2026-305", d2, SIRETCircuit, "EJ-2026-005305")
	return []Case{
		{Name: "outlook-forgot-attachment", Kind: KindForgotten, Client: "Outlook",
			Note: "\"Veuillez trouver ci-joint\" and nothing attached but the logo of the signature",
			Build: func(*Reply) []byte {
				return outlook(mailSpec{Seed: "outlook-forgot-attachment", From: BTP.From(), To: casq,
					Subject: "Facture 2026-118 mur cimetière",
					Text:    "Bonjour,\n\nVeuillez trouver ci-joint notre facture n° 2026-118 pour la reprise du mur du cimetière Saint-Jean.\n\n" + sigBTP})
			},
			Want: []Want{askedPDF(says("aucun fichier n'y était joint"))}},
		{Name: "gmail-forgot-attachment", Kind: KindForgotten, Client: "Gmail",
			Note: "\"je vous transmets la facture\", nothing attached; answered with it later",
			Build: func(*Reply) []byte {
				return gmail(mailSpec{Seed: "gmail-forgot-attachment", From: MECA.From(), To: Mailbox,
					Subject: "facture MECA-2026-305",
					Text:    "Bonjour\n\nje vous transmets la facture pour l'entretien des véhicules du circuit.\n\n" + sigMECA})
			},
			Want: []Want{ignoredFor("le fournisseur a envoyé sa facture", earlier("need_invoice"), noReply())}},
		{Name: "gmail-forgot-attachment-sent", Kind: KindAnswerInvoice, Client: "Gmail",
			After: "gmail-forgot-attachment", Answers: "need_invoice",
			Note: "the supplier answers our request with the invoice attached",
			Build: func(r *Reply) []byte {
				return gmail(mailSpec{Seed: "gmail-forgot-attachment-sent", From: MECA.From(), To: r.FromName + " <" + r.From + ">",
					Subject: answer("Re: ", r), InReplyTo: r.MessageID,
					Text:  "Bonjour\n\nVoilà, désolé pour l'oubli.\n\n" + sigMECA + quoteGmail(r),
					Files: []file{pdf("MECA-2026-305.pdf", facturX(meca))}})
			},
			Want: []Want{confirmed("MECA-2026-305", SIRETCircuit, "EJ-2026-005305", "flux")}},
		{Name: "thunderbird-forgot-attachment", Kind: KindForgotten, Client: "Thunderbird",
			Note: "\"Veuillez trouver ci-joint notre facture\" naming no number, nothing attached",
			Build: func(*Reply) []byte {
				return thunderbird(mailSpec{Seed: "thunderbird-forgot-attachment", From: CONS.From(), To: Mailbox,
					Subject: "Facture mission d'octobre",
					Text:    "Bonjour,\n\nVeuillez trouver ci-joint notre facture pour la mission d'octobre.\n\n" + sigCONS})
			},
			Want: []Want{askedPDF(says("aucun fichier n'y était joint"))}},
		{Name: "iphone-photo", Kind: KindPhoto, Client: "iPhone Mail",
			Note: "a photo of the paper invoice taken with the phone: a photo cannot be deposited; answered with the PDF later",
			Build: func(*Reply) []byte {
				return iPhone(mailSpec{Seed: "iphone-photo", From: ELEC.From(), To: Mailbox,
					Subject: "Facture",
					Text:    "Bonjour je vous envoie la facture en photo\nKarim",
					Files:   []file{{Name: "IMG_4821.jpeg", Data: photoJPEG(4821)}}})
			},
			Want: []Want{ignoredFor("le fournisseur a envoyé sa facture", earlier("need_invoice"), noReply())}},
		{Name: "iphone-photo-answered-with-pdf", Kind: KindAnswerInvoice, Client: "iPhone Mail",
			After: "iphone-photo", Answers: "need_invoice",
			Note: "the answer to our request for a PDF, with the Factur-X",
			Build: func(r *Reply) []byte {
				return iPhone(mailSpec{Seed: "iphone-photo-answered-with-pdf", From: ELEC.From(), To: r.From,
					Subject: answer("Re: ", r), InReplyTo: r.MessageID,
					Text:  "Voici le pdf\n\n> Le " + frShort(r.Date) + ", " + r.FromName + " <" + r.From + "> a écrit :\n>\n" + quoted(r.Text),
					Files: []file{pdf("F2026-044.pdf", facturX(elec))}})
			},
			Want: []Want{confirmed("F2026-044", SIRETPrincipal, "EJ-2026-002044", "flux")}},
		{Name: "android-photo", Kind: KindPhoto, Client: "Samsung Email (Android)",
			Note: "a photo from an Android phone: the reply says a photo cannot be deposited",
			Build: func(*Reply) []byte {
				return android(mailSpec{Seed: "android-photo", From: TRAI.From(), To: Mailbox,
					Subject: "Facture buffet des voeux",
					Text:    "Bonjour, voici la facture du buffet des vœux. Bonne journée. Julie",
					Files:   []file{{Name: "20261127_101544.jpg", Data: photoJPEG(101544)}}})
			},
			Want: []Want{askedPDF(says("20261127_101544.jpg", "est une photo ou une image numérisée"))}},
		{Name: "scanned-pdf", Kind: KindPhoto, Client: "Outlook",
			Note: "a scanner's PDF: one page of image, no text",
			Build: func(*Reply) []byte {
				return outlook(mailSpec{Seed: "scanned-pdf", From: BTP.From(), To: casq,
					Subject: "Facture 2026-121",
					Text:    "Bonjour,\n\nCi-joint la facture scannée.\n\n" + sigBTP,
					Files:   []file{pdf("SCAN_20261126_0931.pdf", scannedPDF(931))}})
			},
			Want: []Want{askedPDF(says("SCAN_20261126_0931.pdf", "image numérisée"))}},
		{Name: "damaged-pdf", Kind: KindUnreadable, Client: "Thunderbird",
			Note: "a PDF cut short in transfer",
			Build: func(*Reply) []byte {
				return thunderbird(mailSpec{Seed: "damaged-pdf", From: CONS.From(), To: Mailbox,
					Subject: "Facture CFL-2026-018",
					Text:    "Bonjour,\n\nVeuillez trouver ci-joint notre facture pour la mission de prospective financière.\n\n" + sigCONS,
					Files:   []file{pdf("CFL-2026-018.pdf", damagedPDF(plainPDF(c)))}})
			},
			Want: []Want{askedPDF(says("CFL-2026-018.pdf", "endommagé"))}},
		{Name: "password-pdf", Kind: KindUnreadable, Client: "Thunderbird",
			Note: "a PDF protected by a password",
			Build: func(*Reply) []byte {
				return thunderbird(mailSpec{Seed: "password-pdf", From: CONS.Supplier.Contact + " <" + CONS.Addr("secretariat") + ">", To: Mailbox,
					Subject: "Facture CFL-2026-019 (document protégé)",
					Text:    "Bonjour,\n\nVeuillez trouver ci-joint notre facture. Le document est protégé ; le mot de passe vous sera communiqué par téléphone.\n\n" + sigCONS,
					Files:   []file{pdf("CFL-2026-019.pdf", passwordPDF(plainPDF(cp), "cfl2026"))}})
			},
			Want: []Want{askedPDF(says("CFL-2026-019.pdf", "protégé par un mot de passe"))}},
		{Name: "smime-encrypted", Kind: KindUnreadable, Client: "Outlook (S/MIME)",
			Note: "a message encrypted for a key we do not have",
			Build: func(*Reply) []byte {
				m := &message{boundary: func(int) string { return "" }}
				m.add("From", address(INFO.From()))
				m.add("To", address(casq))
				m.add("Subject", "Facture ITS-2026-0419")
				m.add("Date", rfc5322(mailSpec{}.date()))
				m.add("Message-ID", "<PR1P264MBSMIME"+strings.ToUpper(token("smime-encrypted", 12))+"@PR1P264MB.FRAP264.PROD.OUTLOOK.COM>")
				m.add("MIME-Version", "1.0")
				p := attachment(file{Name: "smime.p7m", Type: `application/pkcs7-mime; smime-type=enveloped-data`, Data: envelopedData(419)}, "raw")
				m.root = p
				return m.bytes()
			},
			Want: []Want{askedPDF(says("chiffré"))}},
		{Name: "office-docx", Kind: KindOffice, Client: "Outlook",
			Note: "an invoice written in Word",
			Build: func(*Reply) []byte {
				return outlook(mailSpec{Seed: "office-docx", From: BTP.From(), To: casq,
					Subject: "Facture 2026-123",
					Text:    "Bonjour,\n\nJe vous joins la facture 2026-123 (travaux du mur d'enceinte, 2e situation).\n\n" + sigBTP,
					Files:   []file{{Name: "Facture 2026-123.docx", Data: docx("FACTURE N° 2026-123", "Maçonnerie Dufour et Fils", "Total TTC : 6 475,20 €")}}})
			},
			Want: []Want{askedPDF(says("Facture 2026-123.docx", "document bureautique"))}},
		{Name: "office-xlsx", Kind: KindOffice, Client: "Samsung Email (Android)",
			Note: "an invoice made in Excel",
			Build: func(*Reply) []byte {
				return android(mailSpec{Seed: "office-xlsx", From: TRAI.From(), To: Mailbox,
					Subject: "Facture TRAI-2026-090",
					Text:    "Bonjour, je vous envoie la facture du cocktail du 14 novembre. Cordialement, Julie Martin",
					Files:   []file{{Name: "Facture TRAI-2026-090.xlsx", Data: xlsx("Facture TRAI-2026-090", "Cocktail du 14 novembre", "Total TTC 1 254,00")}}})
			},
			Want: []Want{askedPDF(says("Facture TRAI-2026-090.xlsx", "document bureautique"))}},
	}
}

// buyers: another buyer, and no budget that can be told.
func buyers() []Case {
	sign := inv(SIGN, "SIGN-2026-0874", d1, VilleSIRET, "EJ-2026-008874")
	sign.BuyerName = "Ville de Saint-Quentin"
	sign.BuyerAddress = "Place de l'Hôtel de Ville, 02100 Saint-Quentin"
	trai := inv(TRAI, "TRAI-2026-088", d1, DepartementSIRET, "")
	trai.BuyerName = "Département de l'Aisne"
	trai.BuyerAddress = "Rue Paul Doumer, 02000 Laon"
	four := inv(FOUR, "FIP-2026-0330", d2, FormerCASQSIRET, "EJ-2026-005330")
	evv := inv(EVV, "EVV-2026-0610", d1, "", "EJ-2026-000610")
	cons := inv(CONS, "CFL-2026-021", d1, "", "EJ-2026-000921")
	return []Case{
		{Name: "other-buyer-facturx", Kind: KindOtherBuyer, Client: "Outlook",
			Note: "a Factur-X addressed to the town, not to the agglomeration: the supplier is told which buyer it names",
			Build: func(*Reply) []byte {
				return outlook(mailSpec{Seed: "other-buyer-facturx", From: SIGN.From(), To: casq,
					Subject: "Facture SIGN-2026-0874",
					Text:    "Bonjour,\n\nVous trouverez ci-joint notre facture SIGN-2026-0874 pour la signalisation de la rue de la Sellerie.\n\n" + sigSIGN,
					Files:   []file{pdf("SIGN-2026-0874.pdf", facturX(sign))}})
			},
			Want: []Want{askedBudget("SIGN-2026-0874", says("Ville de Saint-Quentin", formatSIRET(VilleSIRET), "adressée à"))}},
		{Name: "other-buyer-plain", Kind: KindOtherBuyer, Client: "Samsung Email (Android)",
			Note: "a plain PDF addressed to the département",
			Build: func(*Reply) []byte {
				return android(mailSpec{Seed: "other-buyer-plain", From: TRAI.From(), To: Mailbox,
					Subject: "Facture TRAI-2026-088",
					Text:    "Bonjour, veuillez trouver la facture du repas des élus en pièce jointe. Julie Martin",
					Files:   []file{pdf("TRAI-2026-088.pdf", plainPDF(trai))}})
			},
			Want: []Want{askedBudget("TRAI-2026-088", says(formatSIRET(DepartementSIRET), "adressée à"))}},
		{Name: "other-buyer-former-siret", Kind: KindOtherBuyer, Client: "Gmail",
			Note: "a Factur-X to a SIRET of the agglomeration's SIREN that is none of its budgets",
			Build: func(*Reply) []byte {
				return gmail(mailSpec{Seed: "other-buyer-former-siret", From: FOUR.From(), To: Mailbox,
					Subject: "Facture FIP-2026-0330",
					Text:    "Bonjour,\n\nVeuillez trouver ci-joint notre facture FIP-2026-0330.\n\n" + sigFOUR,
					Files:   []file{pdf("FIP-2026-0330.pdf", facturX(four))}})
			},
			Want: []Want{askedBudget("FIP-2026-0330", says(formatSIRET(FormerCASQSIRET)), never("budgets de Agglomération"))}},
		{Name: "no-budget-attached", Kind: KindNoBudget, Client: "Outlook",
			Note: "a plain PDF naming no buyer SIRET, no keyword: the supplier is asked which budget; its answer gets it deposited (PDF mode)",
			Build: func(*Reply) []byte {
				return outlook(mailSpec{Seed: "no-budget-attached", From: "Factures EVV <" + EVV.Addr("factures") + ">", To: casq,
					Subject: "Facture EVV-2026-0610",
					Text:    "Bonjour,\n\nVeuillez trouver ci-joint notre facture EVV-2026-0610.\n\n" + sigEVV,
					Files:   []file{pdf("EVV-2026-0610.pdf", plainPDF(evv))}})
			},
			Want: []Want{confirmed("EVV-2026-0610", SIRETAssainissement, "EJ-2026-000610", "pdf", earlier("need_budget"))}},
		{Name: "no-budget-attached-answer", Kind: KindAnswerBudget, Client: "Outlook",
			After: "no-budget-attached", Answers: "need_budget",
			Note: "the answer names the budget in words",
			Build: func(r *Reply) []byte {
				return outlook(mailSpec{Seed: "no-budget-attached-answer", From: "Factures EVV <" + EVV.Addr("factures") + ">", To: r.FromName + " <" + r.From + ">",
					Subject: answer("RE: ", r), InReplyTo: r.MessageID,
					Text: "Bonjour,\n\nIl s'agit du budget assainissement (entretien des abords de la station d'épuration).\n\n" + sigEVV + quoteOutlook(r)})
			},
			Want: nil},
		{Name: "no-budget-guided", Kind: KindNoBudget, Client: "Thunderbird",
			Note: "a plain PDF naming no buyer SIRET from a supplier Facteur may not deposit for; its answer by SIRET gets it guided",
			Build: func(*Reply) []byte {
				return thunderbird(mailSpec{Seed: "no-budget-guided", From: CONS.From(), To: Mailbox,
					Subject: "Facture CFL-2026-021",
					Text:    "Bonjour,\n\nVeuillez trouver ci-joint notre facture CFL-2026-021 relative à l'étude tarifaire.\n\n" + sigCONS,
					Files:   []file{pdf("CFL-2026-021.pdf", plainPDF(cons))}})
			},
			Want: []Want{guidedTo("CFL-2026-021", SIRETEauPotable, "EJ-2026-000921", earlier("need_budget"))}},
		{Name: "no-budget-guided-answer", Kind: KindAnswerBudget, Client: "Thunderbird",
			After: "no-budget-guided", Answers: "need_budget",
			Note: "the answer gives the budget's SIRET, spaced as printed",
			Build: func(r *Reply) []byte {
				return thunderbird(mailSpec{Seed: "no-budget-guided-answer", From: CONS.From(), To: r.From,
					Subject: answer("Re: ", r), InReplyTo: r.MessageID,
					Text: "Bonjour,\n\nL'étude concerne le budget dont le SIRET est 200 071 892 00026.\n\nBien cordialement,\nMarc Vasseur\n" + quoteThunderbird(r)})
			},
			Want: nil},
	}
}

// engagements: no engagement number, attached or not, the supplier's
// answers, and numbers that disagree.
func engagements() []Case {
	sign := inv(SIGN, "SIGN-2026-0877", d1, SIRETPrincipal, "")
	its := inv(INFO, "ITS-2026-0420", d1, SIRETPrincipal, "")
	itsFixed := inv(INFO, "ITS-2026-0420", d1, SIRETPrincipal, "EJ-2026-001420")
	evvX := inv(EVV, "EVV-2026-0612", d1, SIRETPrincipal, "")
	evvP := inv(EVV, "EVV-2026-0615", d1, SIRETPrincipal, "")
	nett := inv(NETT, "NETT-2026-1215", d2, SIRETPrincipal, "EJ-2026-001215")
	evvC := inv(EVV, "EVV-2026-0627", d2, SIRETPrincipal, "EJ-2026-000627")
	nettPlain := inv(NETT, "NETT-2026-1212", d1, SIRETPrincipal, "EJ-2026-001212")
	return []Case{
		{Name: "no-engagement-not-attached", Kind: KindNoEJNotAttached, Client: "Outlook",
			Note: "a Factur-X without engagement from a supplier Facteur may not deposit for: a corrected invoice is asked, nothing promised; its answer with the number alone gets it guided",
			Build: func(*Reply) []byte {
				return outlook(mailSpec{Seed: "no-engagement-not-attached", From: SIGN.From(), To: casq,
					Subject: "Facture SIGN-2026-0877",
					Text:    "Bonjour,\n\nVous trouverez ci-joint notre facture SIGN-2026-0877 (panneaux de la ZAC).\n\n" + sigSIGN,
					Files:   []file{pdf("SIGN-2026-0877.pdf", facturX(sign))}})
			},
			Want: []Want{guidedTo("SIGN-2026-0877", SIRETPrincipal, "EJ-2026-008877", earlier("need_engagement"))}},
		{Name: "no-engagement-not-attached-answer", Kind: KindAnswerEJ, Client: "Outlook",
			After: "no-engagement-not-attached", Answers: "need_engagement",
			Note: "the supplier answers with the number only",
			Build: func(r *Reply) []byte {
				return outlook(mailSpec{Seed: "no-engagement-not-attached-answer", From: SIGN.From(), To: r.FromName + " <" + r.From + ">",
					Subject: answer("RE: ", r), InReplyTo: r.MessageID,
					Text: "Bonjour,\n\nLe numéro d'engagement est EJ-2026-008877.\n\n" + sigSIGN + quoteOutlook(r)})
			},
			Want: nil},
		{Name: "no-engagement-corrected-invoice", Kind: KindNoEJNotAttached, Client: "Outlook",
			Note: "the same, answered with the corrected Factur-X: deposited as it is; the first case closed",
			Build: func(*Reply) []byte {
				return outlook(mailSpec{Seed: "no-engagement-corrected-invoice", From: INFO.From(), To: casq,
					Subject: "Facture ITS-2026-0420",
					Text:    "Madame, Monsieur,\n\nVeuillez trouver ci-joint notre facture ITS-2026-0420.\n\n" + sigINFO,
					Files:   []file{pdf("ITS-2026-0420.pdf", facturX(its))}})
			},
			Want: []Want{{Invoice: "ITS-2026-0420", State: "ignored", Reply: "need_engagement", Finance: "remplacée par le dossier",
				Says: []string{"une facture rectifiée qui porte ce numéro"}, Never: []string{"Il vous suffit"}}}},
		{Name: "no-engagement-corrected-invoice-answer", Kind: KindAnswerInvoice, Client: "Outlook",
			After: "no-engagement-corrected-invoice", Answers: "need_engagement",
			Note: "the corrected Factur-X, in answer to our request",
			Build: func(r *Reply) []byte {
				return outlook(mailSpec{Seed: "no-engagement-corrected-invoice-answer", From: INFO.From(), To: r.FromName + " <" + r.From + ">",
					Subject: answer("RE: ", r), InReplyTo: r.MessageID,
					Text:  "Bonjour,\n\nVeuillez trouver ci-joint la facture rectifiée, portant le numéro d'engagement.\n\n" + sigINFO + quoteOutlook(r),
					Files: []file{pdf("ITS-2026-0420 rectifiée.pdf", facturX(itsFixed))}})
			},
			Want: []Want{confirmed("ITS-2026-0420", SIRETPrincipal, "EJ-2026-001420", "flux")}},
		{Name: "no-engagement-attached", Kind: KindNoEJAttached, Client: "Outlook",
			Note: "a Factur-X without engagement from the attached supplier: answering with the number is enough, and it is",
			Build: func(*Reply) []byte {
				return outlook(mailSpec{Seed: "no-engagement-attached", From: EVV.From(), To: casq,
					Subject: "Facture EVV-2026-0612",
					Text:    "Bonjour,\n\nVeuillez trouver ci-joint notre facture EVV-2026-0612 (taille des haies, avenue Faidherbe).\n\n" + sigEVV,
					Files:   []file{pdf("EVV-2026-0612.pdf", facturX(evvX))}})
			},
			Want: []Want{confirmed("EVV-2026-0612", SIRETPrincipal, "EJ-2026-000612", "pdf", earlier("need_engagement"))}},
		{Name: "no-engagement-attached-answer", Kind: KindAnswerEJ, Client: "Outlook",
			After: "no-engagement-attached", Answers: "need_engagement",
			Note: "the answer, as the request suggested",
			Build: func(r *Reply) []byte {
				return outlook(mailSpec{Seed: "no-engagement-attached-answer", From: EVV.From(), To: r.FromName + " <" + r.From + ">",
					Subject: answer("RE: ", r), InReplyTo: r.MessageID,
					Text: "Bonjour,\n\nNuméro d'engagement : EJ-2026-000612\n\n" + sigEVV + quoteOutlook(r)})
			},
			Want: nil},
		{Name: "no-engagement-plain-attached", Kind: KindNoEJAttached, Client: "Outlook",
			Note: "a plain PDF without engagement from the attached supplier, answered in a sentence",
			Build: func(*Reply) []byte {
				return outlook(mailSpec{Seed: "no-engagement-plain-attached", From: "Factures EVV <" + EVV.Addr("factures") + ">", To: casq,
					Subject: "Facture EVV-2026-0615",
					Text:    "Bonjour,\n\nCi-joint notre facture EVV-2026-0615.\n\n" + sigEVV,
					Files:   []file{pdf("EVV-2026-0615.pdf", plainPDF(evvP))}})
			},
			Want: []Want{confirmed("EVV-2026-0615", SIRETPrincipal, "2026-006150", "pdf", earlier("need_engagement"))}},
		{Name: "no-engagement-plain-attached-answer", Kind: KindAnswerEJ, Client: "Outlook",
			After: "no-engagement-plain-attached", Answers: "need_engagement",
			Note: "\"le numéro d'engagement est …\", above the quoted request",
			Build: func(r *Reply) []byte {
				return outlook(mailSpec{Seed: "no-engagement-plain-attached-answer", From: "Factures EVV <" + EVV.Addr("factures") + ">", To: r.FromName + " <" + r.From + ">",
					Subject: answer("RE: ", r), InReplyTo: r.MessageID,
					Text: "Bonjour,\n\nLe bon de commande nous a été remis par vos services techniques : le numéro d'engagement est 2026-006150.\n\n" + sigEVV + quoteOutlook(r)})
			},
			Want: nil},
		{Name: "engagement-conflict-facturx", Kind: KindEJConflict, Client: "Apple Mail (macOS)",
			Note: "BT-13 says one number, the text another: held, never deposited with either",
			Build: func(*Reply) []byte {
				return appleMail(mailSpec{Seed: "engagement-conflict-facturx", From: NETT.From(), To: Mailbox,
					Subject: "Facture NETT-2026-1215",
					Text:    "Bonjour,\n\nVoici la facture de la remise en état des vestiaires, bon de commande n° BC-2026-4410.\n{files}\n" + sigNETT,
					Files:   []file{pdf("NETT-2026-1215.pdf", facturX(nett))}})
			},
			Want: []Want{heldFor("NETT-2026-1215", "contradictoires")}},
		{Name: "engagement-conflict-plain", Kind: KindEJConflict, Client: "Outlook",
			Note: "a plain PDF printing one number, the subject another",
			Build: func(*Reply) []byte {
				return outlook(mailSpec{Seed: "engagement-conflict-plain", From: EVV.From(), To: casq,
					Subject: "Facture EVV-2026-0627 - EJ 2026-000999",
					Text:    "Bonjour,\n\nVeuillez trouver ci-joint notre facture EVV-2026-0627.\n\n" + sigEVV,
					Files:   []file{pdf("EVV-2026-0627.pdf", plainPDF(evvC))}})
			},
			Want: []Want{heldFor("EVV-2026-0627", "contradictoires")}},
		{Name: "applemail-inline-plain-guided", Kind: KindInlinePDF, Client: "Apple Mail (macOS)",
			Note: "a plain PDF inline from a supplier Facteur may not deposit for: guided with what it prints",
			Build: func(*Reply) []byte {
				return appleMail(mailSpec{Seed: "applemail-inline-plain-guided", From: NETT.From(), To: Mailbox,
					Subject: "Facture vitres - NETT-2026-1212",
					Text:    "Bonjour,\n\nCi-dessous la facture du nettoyage des vitres :\n{files}\n" + sigNETT,
					Files:   []file{pdf("NETT-2026-1212.pdf", plainPDF(nettPlain))}})
			},
			Want: []Want{guidedTo("NETT-2026-1212", SIRETPrincipal, "EJ-2026-001212")}},
	}
}

// resent: the same invoice again, and the same number with another amount.
func resent() []Case {
	evv := inv(EVV, "EVV-2026-0601", d1, SIRETPrincipal, "EJ-2026-000601")
	hsp := inv(HSP, "HSP-2026-0142", d1, SIRETEauPotable, "EJ-2026-004217")
	aae := inv(AAE, "AAE-2026-0455", d1, SIRETAssainissement, "EJ-2026-003301")
	aae.Lines = append(aae.Lines, samples.Line{Description: "Frais d'astreinte", Quantity: "1", UnitPrice: "150.00", VATRate: "10"})
	return []Case{
		{Name: "resent-after-deposit", Kind: KindResent, Client: "Outlook",
			After: "outlook-facturx-principal",
			Note:  "the invoice sent again, already deposited: told once where it stands, nothing more to do",
			Build: func(*Reply) []byte {
				return outlook(mailSpec{Seed: "resent-after-deposit", From: EVV.From(), To: casq,
					Subject: "Relance : facture EVV-2026-0601",
					Text:    "Bonjour,\n\nSauf erreur de notre part, la facture ci-jointe n'a pas encore été réglée. Pourriez-vous nous indiquer où en est son traitement ?\n\n" + sigEVV,
					Files:   []file{pdf("Facture EVV-2026-0601.pdf", facturX(evv))}})
			},
			Want: []Want{already("EVV-2026-0601", "outlook-facturx-principal", says("{flow:outlook-facturx-principal}"))}},
		{Name: "resent-by-colleague", Kind: KindResent, Client: "Gmail",
			After: "gmail-facturx-eau-potable",
			Note:  "another person of the supplier sends the same invoice from her own address",
			Build: func(*Reply) []byte {
				return gmail(mailSpec{Seed: "resent-by-colleague", From: "Direction HSP <" + HSP.Addr("direction") + ">", To: Mailbox,
					Subject: "Facture HSP-2026-0142",
					Text:    "Bonjour,\n\nJe vous adresse à nouveau notre facture HSP-2026-0142, que ma collègue vous a envoyée la semaine dernière.\n\nCordialement,\nLa direction\nHydro Services Picardie\n",
					Files:   []file{pdf("HSP-2026-0142.pdf", facturX(hsp))}})
			},
			Want: []Want{already("HSP-2026-0142", "gmail-facturx-eau-potable", says("{flow:gmail-facturx-eau-potable}"))}},
		{Name: "same-number-other-amount", Kind: KindSameNumberOthers, Client: "Thunderbird",
			After: "thunderbird-facturx-assainissement",
			Note:  "the same number with another amount: never called a duplicate, a person looks",
			Build: func(*Reply) []byte {
				return thunderbird(mailSpec{Seed: "same-number-other-amount", From: AAE.From(), To: Mailbox,
					Subject: "Facture AAE-2026-0455 (version corrigée)",
					Text:    "Bonjour,\n\nNous avions oublié les frais d'astreinte : voici la facture AAE-2026-0455 corrigée.\n\n" + sigAAE,
					Files:   []file{pdf("AAE-2026-0455-v2.pdf", facturX(aae))}})
			},
			Want: []Want{heldFor("AAE-2026-0455", "autre montant")}},
		{Name: "same-number-other-amount-facturx", Kind: KindSameNumberOthers, Client: "Outlook",
			After: "outlook-three-invoices",
			Note:  "an invoice already deposited comes again with the same number and another amount: a person looks",
			Build: func(*Reply) []byte {
				i2 := inv(INFO, "ITS-2026-0416", d1, SIRETEauPotable, "EJ-2026-001416")
				i2.Lines = i2.Lines[:1]
				return outlook(mailSpec{Seed: "same-number-other-amount-facturx", From: INFO.From(), To: casq,
					Subject: "Facture ITS-2026-0416 annule et remplace",
					Text:    "Madame, Monsieur,\n\nLa facture ITS-2026-0416 ci-jointe annule et remplace la précédente (la journée d'assistance n'avait pas lieu d'être facturée).\n\n" + sigINFO,
					Files:   []file{pdf("ITS-2026-0416.pdf", facturX(i2))}})
			},
			Want: []Want{heldFor("ITS-2026-0416", "autre montant")}},
	}
}

// bank: another IBAN than the supplier's earlier invoices.
func bank() []Case {
	newIBAN := iban("16798", "00001", "00098765432")
	vnt := withIBAN(inv(VNT, "VNT-2026-1201", d3, SIRETPrincipal, "EJ-2026-003201"), newIBAN)
	evvIBAN := iban("14707", "00020", "00031234567")
	evv := withIBAN(inv(EVV, "EVV-2026-0630", d3, SIRETPrincipal, "EJ-2026-000630"), evvIBAN)
	noIBAN := []string{newIBAN, formatIBAN(newIBAN), VNT.IBAN, formatIBAN(VNT.IBAN), evvIBAN, formatIBAN(evvIBAN), EVV.IBAN, formatIBAN(EVV.IBAN)}
	return []Case{
		{Name: "iban-changed-facturx", Kind: KindIBAN, Client: "Outlook (rich text, Exchange)",
			After: "outlook-winmail-facturx",
			Note:  "\"our bank details have changed\": held for finance with both IBANs; the sender is told they will be checked, no IBAN written",
			Build: func(*Reply) []byte {
				return outlookTNEF(mailSpec{Seed: "iban-changed-facturx", From: VNT.From(), To: Mailbox,
					Subject: "Facture VNT-2026-1201 - nouvelles coordonnées bancaires",
					Text:    "Madame, Monsieur,\n\nVeuillez trouver ci-joint notre facture VNT-2026-1201. Nous vous informons que nos coordonnées bancaires ont changé : merci de bien vouloir utiliser le RIB figurant sur la facture.\n\n" + sigVNT,
					Files:   []file{pdf("Facture VNT-2026-1201.pdf", facturX(vnt))}})
			},
			Want: []Want{heldFor("VNT-2026-1201", "IBAN connu", func(w *Want) {
				w.Reply = "bank_check"
				w.Says = []string{"coordonnées bancaires", "interlocuteur habituel"}
				w.Never = noIBAN
			})}},
		{Name: "iban-changed-attached", Kind: KindIBAN, Client: "Outlook",
			After: "outlook-facturx-principal",
			Note:  "the attached supplier's invoice asking to be paid elsewhere: held all the same",
			Build: func(*Reply) []byte {
				return outlook(mailSpec{Seed: "iban-changed-attached", From: "Factures EVV <" + EVV.Addr("factures") + ">", To: casq,
					Subject: "Facture EVV-2026-0630",
					Text:    "Bonjour,\n\nVeuillez trouver ci-joint notre facture EVV-2026-0630.\n\n" + sigEVV,
					Files:   []file{pdf("EVV-2026-0630.pdf", facturX(evv))}})
			},
			Want: []Want{heldFor("EVV-2026-0630", "IBAN connu", func(w *Want) {
				w.Reply = "bank_check"
				w.Says = []string{"coordonnées bancaires", "interlocuteur habituel"}
				w.Never = noIBAN
			})}},
	}
}

// inquiries: "où en est ma facture ?", and words-only answers.
func inquiries() []Case {
	return []Case{
		{Name: "status-known", Kind: KindStatus, Client: "Gmail",
			After: "gmail-facturx-eau-potable",
			Note:  "the supplier asks about its invoice by number: told where it stands",
			Build: func(*Reply) []byte {
				return gmail(mailSpec{Seed: "status-known", From: HSP.From(), To: Mailbox,
					Subject: "Paiement facture",
					Text:    "Bonjour,\n\nPourriez-vous me dire où en est notre facture n° HSP-2026-0142 ?\n\nMerci d'avance,\n" + sigHSP})
			},
			Want: []Want{ignoredFor("question sur la situation", func(w *Want) {
				w.Reply = "status"
				w.Says = []string{"HSP-2026-0142", "déposée sur Chorus Pro", "{flow:gmail-facturx-eau-potable}"}
			})}},
		{Name: "status-by-reference", Kind: KindStatus, Client: "Thunderbird",
			After: "thunderbird-facturx-assainissement", Answers: "confirmation",
			Note: "asked by our case reference, in a new message",
			Build: func(r *Reply) []byte {
				return thunderbird(mailSpec{Seed: "status-by-reference", From: AAE.From(), To: Mailbox,
					Subject: "Question règlement",
					Text:    "Bonjour,\n\nConcernant votre dossier " + r.Ref + ", pouvez-vous me dire quand le règlement interviendra ?\n\n" + sigAAE})
			},
			Want: []Want{ignoredFor("question sur la situation", func(w *Want) {
				w.Reply = "status"
				w.Says = []string{"AAE-2026-0455", "{ref:thunderbird-facturx-assainissement}"}
			})}},
		{Name: "status-by-flow", Kind: KindStatus, Client: "Gmail",
			After: "gmail-facturx-circuit", Answers: "confirmation",
			Note: "asked by the Chorus Pro flow number",
			Build: func(r *Reply) []byte {
				return gmail(mailSpec{Seed: "status-by-flow", From: MECA.From(), To: Mailbox,
					Subject: "flux chorus",
					Text:    "Bonjour\n\nou en est le flux " + flowIn(r) + " svp ?\n\n" + sigMECA})
			},
			Want: []Want{ignoredFor("question sur la situation", func(w *Want) {
				w.Reply = "status"
				w.Says = []string{"MECA-2026-301", "{flow:gmail-facturx-circuit}"}
			})}},
		{Name: "status-unknown", Kind: KindStatus, Client: "Gmail",
			Note: "asked about an invoice we never received: told so, and how to send or follow it",
			Build: func(*Reply) []byte {
				return gmail(mailSpec{Seed: "status-unknown", From: FOUR.From(), To: Mailbox,
					Subject: "Facture FIP-2026-0299",
					Text:    "Bonjour,\n\nNous n'avons toujours pas reçu le paiement de notre facture n° FIP-2026-0299 du mois d'octobre. Pouvez-vous vérifier ?\n\n" + sigFOUR})
			},
			Want: []Want{ignoredFor("facture inconnue", func(w *Want) {
				w.Reply = "status_unknown"
				w.Says = []string{"FIP-2026-0299", "que nous ne trouvons pas"}
			})}},
		{Name: "status-stranger", Kind: KindStatus, Client: "Outlook",
			After: "gmail-facturx-eau-potable",
			Note:  "someone else asks about that supplier's invoice: learns nothing of it",
			Build: func(*Reply) []byte {
				return outlook(mailSpec{Seed: "status-stranger", From: "Cabinet Recouvrement Express <dossiers@recouvrement-express.example>", To: casq,
					Subject: "Facture HSP-2026-0142",
					Text:    "Bonjour,\n\nMandatés par notre client, nous souhaitons connaître l'état de la facture n° HSP-2026-0142.\n\nCordialement,\nRecouvrement Express\n"})
			},
			Want: []Want{ignoredFor("facture inconnue", func(w *Want) {
				w.Reply = "status_unknown"
				w.Says = []string{"que nous ne trouvons pas"}
				w.Never = []string{"a été déposée", "CPP", "Hydro", "Budget eau potable", "20 novembre"}
			})}},
		{Name: "status-ambiguous", Kind: KindStatus, Client: "Gmail",
			After: "zip-two-same-supplier",
			Note:  "a question about two invoices at once: a person answers",
			Build: func(*Reply) []byte {
				return gmail(mailSpec{Seed: "status-ambiguous", From: FOUR.From(), To: Mailbox,
					Subject: "Suivi de nos factures",
					Text:    "Bonjour,\n\nPouvez-vous me dire où en sont la facture FIP-2026-0311 et la facture FIP-2026-0312 ?\n\n" + sigFOUR})
			},
			Want: []Want{heldFor("", "plusieurs factures")}},
		{Name: "status-ambiguous-no-number", Kind: KindStatus, Client: "Outlook",
			After: "outlook-three-invoices",
			Note:  "\"where is our invoice of November?\" with several: a person answers",
			Build: func(*Reply) []byte {
				return outlook(mailSpec{Seed: "status-ambiguous-no-number", From: INFO.From(), To: casq,
					Subject: "Où en est notre facture de maintenance ?",
					Text:    "Bonjour,\n\nPourriez-vous nous dire où en est le paiement de notre facture de maintenance de novembre ?\n\n" + sigINFO})
			},
			Want: []Want{heldFor("", "une question")}},
		{Name: "thanks-after-confirmation", Kind: KindWordsOnly, Client: "Gmail",
			After: "gmail-ubl-circuit", Answers: "confirmation",
			Note: "\"merci\" under our confirmation: held for a person, who knows which case it answers",
			Build: func(r *Reply) []byte {
				return gmail(mailSpec{Seed: "thanks-after-confirmation", From: FOUR.From(), To: r.FromName + " <" + r.From + ">",
					Subject: answer("Re: ", r), InReplyTo: r.MessageID,
					Text: "Merci pour la confirmation, bonne journée.\n\n" + sigFOUR + quoteGmail(r)})
			},
			Want: []Want{heldFor("", "réponse de l'expéditeur au dossier {ref:gmail-ubl-circuit}")}},
		{Name: "question-after-confirmation", Kind: KindWordsOnly, Client: "Outlook",
			After: "outlook-ubl-principal", Answers: "confirmation",
			Note: "a question under our confirmation",
			Build: func(r *Reply) []byte {
				return outlook(mailSpec{Seed: "question-after-confirmation", From: SIGN.From(), To: r.FromName + " <" + r.From + ">",
					Subject: answer("RE: ", r), InReplyTo: r.MessageID,
					Text: "Bonjour,\n\nMerci. Pouvez-vous m'indiquer à quelle date le paiement interviendra ?\n\n" + sigSIGN + quoteOutlook(r)})
			},
			Want: []Want{heldFor("", "réponse de l'expéditeur au dossier {ref:outlook-ubl-principal}")}},
	}
}

// automatic: automatic replies, bounces, DMARC failures, our own address.
func automatic() []Case {
	vnt := inv(VNT, "VNT-2026-1299", d3, SIRETPrincipal, "EJ-2026-003299")
	vnt2 := inv(VNT, "VNT-2026-1298", d3, SIRETPrincipal, "")
	own := inv(AAE, "AAE-2026-0470", d3, SIRETAssainissement, "EJ-2026-003470")
	return []Case{
		{Name: "autoreply-exchange-oof", Kind: KindAutoReply, Client: "Exchange (out of office)",
			After: "outlook-cii-principal", Answers: "confirmation",
			Note: "an out-of-office answer to our confirmation: ignored",
			Build: func(r *Reply) []byte {
				return outlook(mailSpec{Seed: "autoreply-exchange-oof", From: INFO.From(), To: r.FromName + " <" + r.From + ">",
					Subject: "Réponse automatique : " + r.Subject, InReplyTo: r.MessageID,
					Text:  "Bonjour,\n\nJe suis absente du bureau jusqu'au 7 décembre inclus. En cas d'urgence, vous pouvez joindre le standard au 03 23 00 00 00.\n\nCordialement,\n",
					Extra: [][2]string{{"Auto-Submitted", "auto-replied"}, {"X-Auto-Response-Suppress", "All"}, {"X-MS-Exchange-Inbox-Rules-Loop", INFO.Email}}})
			},
			Want: []Want{ignoredFor("message automatique")}},
		{Name: "autoreply-gmail-vacation", Kind: KindAutoReply, Client: "Gmail (vacation responder)",
			Note: "a vacation responder, from a supplier's address",
			Build: func(*Reply) []byte {
				return gmail(mailSpec{Seed: "autoreply-gmail-vacation", From: HSP.From(), To: Mailbox,
					Subject: "Absence",
					Text:    "Bonjour, je suis en congés jusqu'au 4 janvier. Pour toute demande urgente, merci de contacter notre standard.\nÉmilie Lefèvre",
					Extra:   [][2]string{{"Auto-Submitted", "auto-replied"}, {"Precedence", "bulk"}}})
			},
			Want: []Want{ignoredFor("message automatique")}},
		{Name: "autoreply-to-our-request", Kind: KindAnswerAutomatic, Client: "Outlook (out of office)",
			After: "body-rule-facturx-no-engagement", Answers: "need_engagement",
			Note: "an automatic answer to our request: the request still waits",
			Build: func(r *Reply) []byte {
				return outlook(mailSpec{Seed: "autoreply-to-our-request", From: TRANS.From(), To: r.FromName + " <" + r.From + ">",
					Subject: "Réponse automatique : " + r.Subject, InReplyTo: r.MessageID,
					Text:  "Votre message a bien été reçu. Le service comptable est fermé jusqu'au lundi 7 décembre.\n",
					Extra: [][2]string{{"Auto-Submitted", "auto-replied"}}})
			},
			Want: []Want{ignoredFor("message automatique")}},
		{Name: "autoreply-to-budget-request", Kind: KindAnswerAutomatic, Client: "Gmail (vacation responder)",
			After: "other-buyer-former-siret", Answers: "need_budget",
			Note: "a vacation responder answers our question about the budget: the question still waits",
			Build: func(r *Reply) []byte {
				return gmail(mailSpec{Seed: "autoreply-to-budget-request", From: FOUR.From(), To: r.From,
					Subject: answer("Re: ", r), InReplyTo: r.MessageID,
					Text:  "Bonjour,\n\nJe suis absent jusqu'au 14 décembre. Pour toute question, merci d'écrire à contact@fip-picardie.example.\n\nThomas Leroy",
					Extra: [][2]string{{"Auto-Submitted", "auto-replied"}}})
			},
			Want: []Want{ignoredFor("message automatique")}},
		{Name: "bounce-postfix-dsn", Kind: KindBounce, Client: "Postfix (DSN)",
			After: "office-docx", Answers: "need_invoice",
			Note: "our request could not be delivered (mailbox full): the delivery report is ignored",
			Build: func(r *Reply) []byte {
				m := &message{boundary: func(n int) string { return "4Y2kQ1" + token("bounce-postfix-dsn", 8) + ".1764" }}
				m.add("Date", rfc5322(mailSpec{}.date()))
				m.add("From", "MAILER-DAEMON@mx.dufour-maconnerie.example (Mail Delivery System)")
				m.add("Subject", "Undelivered Mail Returned to Sender")
				m.add("To", r.From)
				m.add("Auto-Submitted", "auto-replied")
				m.add("MIME-Version", "1.0")
				m.add("Message-Id", "<20261203101544.4Y2kQ1"+token("bounce-postfix-dsn", 8)+"@mx.dufour-maconnerie.example>")
				report := multipart("report",
					text("This is the mail system at host mx.dufour-maconnerie.example.\n\nI'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients.\n\n<"+BTP.Email+">: host mbox.dufour-maconnerie.example said:\n    552 5.2.2 Mailbox full\n", "us-ascii", "7bit"),
					&part{ctype: "message/delivery-status", body: []byte("Reporting-MTA: dns; mx.dufour-maconnerie.example\nArrival-Date: " + rfc5322(r.Date) + "\n\nFinal-Recipient: rfc822; " + BTP.Email + "\nAction: failed\nStatus: 5.2.2\nDiagnostic-Code: smtp; 552 5.2.2 Mailbox full\n")},
					&part{ctype: "text/rfc822-headers", body: []byte("From: " + r.FromName + " <" + r.From + ">\nTo: " + BTP.Email + "\nSubject: " + word(r.Subject) + "\nMessage-ID: <" + r.MessageID + ">\nAuto-Submitted: auto-replied\n")})
				report.ctype += "; report-type=delivery-status"
				m.root = report
				return append([]byte(mxHeader("<>", "dufour-maconnerie.example", "spf=pass smtp.helo=mx.dufour-maconnerie.example; dmarc=none")), m.bytes()...)
			},
			Want: []Want{ignoredFor("message automatique")}},
		{Name: "bounce-exchange-ndr", Kind: KindBounce, Client: "Exchange (non-delivery report)",
			After: "outlook-facturx-transports", Answers: "confirmation",
			Note: "an Exchange non-delivery report carrying our confirmation back, its case reference in the subject",
			Build: func(r *Reply) []byte {
				m := &message{boundary: func(n int) string { return "_" + token("ndr"+string(rune('a'+n)), 12) + "_" }}
				m.add("From", "Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@autocars-vermandois.example>")
				m.add("To", r.From)
				m.add("Date", rfc5322(mailSpec{}.date()))
				m.add("Content-Language", "fr-FR")
				m.add("Message-ID", "<"+token("ndr-id", 16)+"@autocars-vermandois.example>")
				m.add("In-Reply-To", "<"+r.MessageID+">")
				m.add("References", "<"+r.MessageID+">")
				m.add("Subject", word("Non remis : "+r.Subject))
				m.add("Auto-Submitted", "auto-replied")
				m.add("MIME-Version", "1.0")
				original := "From: " + address(r.FromName+" <"+r.From+">") + "\r\nTo: " + TRANS.Email + "\r\nSubject: " + word(r.Subject) +
					"\r\nMessage-ID: <" + r.MessageID + ">\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + strings.ReplaceAll(r.Text, "\n", "\r\n")
				report := multipart("report",
					htmlPart("<html><body><p><b>Votre message n'a pas pu être remis à "+TRANS.Email+"</b></p><p>La boîte aux lettres du destinataire est pleine.</p></body></html>", "utf-8", "quoted-printable"),
					&part{ctype: "message/delivery-status", body: []byte("Reporting-MTA: dns;EXCH02.autocars.local\n\nFinal-recipient: RFC822; " + TRANS.Email + "\nAction: failed\nStatus: 5.2.2\n")},
					&part{ctype: "message/rfc822", body: []byte(original)})
				report.ctype += "; report-type=delivery-status"
				m.root = report
				return append([]byte(mxHeader("<>", "autocars-vermandois.example", "spf=pass smtp.helo=mail.autocars-vermandois.example; dmarc=none")), m.bytes()...)
			},
			Want: []Want{ignoredFor("message automatique")}},
		{Name: "dmarc-fail-invoice", Kind: KindDMARC, Client: "forged sender",
			Note: "a supplier's invoice from a sender whose domain did not authenticate the message: a person checks it, no reply to a possibly forged address",
			Build: func(*Reply) []byte {
				raw := gmail(mailSpec{Seed: "dmarc-fail-invoice", From: VNT.From(), To: Mailbox,
					Subject: "Facture VNT-2026-1299 URGENT",
					Text:    "Bonjour,\n\nMerci de régler au plus vite la facture ci-jointe.\n\nService comptabilité\n",
					Files:   []file{pdf("VNT-2026-1299.pdf", facturX(vnt))}})
				return append([]byte(mxHeader("bounce@mailer-secure.example", "mailer-secure.example",
					"spf=fail (sender IP is 198.51.100.77) smtp.mailfrom=mailer-secure.example; dkim=none; dmarc=fail action=quarantine header.from=voirie-nord-travaux.example")), raw...)
			},
			Want: []Want{heldFor("VNT-2026-1299", "authentification")}},
		{Name: "dmarc-fail-no-engagement", Kind: KindDMARC, Client: "forged sender",
			Note: "the same without engagement: nobody is asked, a person looks",
			Build: func(*Reply) []byte {
				raw := gmail(mailSpec{Seed: "dmarc-fail-no-engagement", From: VNT.From(), To: Mailbox,
					Subject: "Facture VNT-2026-1298",
					Text:    "Bonjour,\n\nVeuillez trouver ci-joint notre facture.\n",
					Files:   []file{pdf("VNT-2026-1298.pdf", facturX(vnt2))}})
				return append([]byte(mxHeader("bounce@mailer-secure.example", "mailer-secure.example",
					"spf=fail smtp.mailfrom=mailer-secure.example; dkim=none; dmarc=fail action=quarantine header.from=voirie-nord-travaux.example")), raw...)
			},
			Want: []Want{heldFor("VNT-2026-1298", "authentification")}},
		{Name: "own-reply-looped-back", Kind: KindOwnAddress, Client: "Facteur (our own reply)",
			After: "applemail-inline-facturx", Answers: "confirmation",
			Note: "a copy of our own confirmation comes back into the mailbox: ignored, never answered",
			Build: func(r *Reply) []byte {
				m := &message{boundary: func(int) string { return "" }}
				m.add("From", address(r.FromName+" <"+r.From+">"))
				m.add("To", NETT.Email)
				m.add("Subject", word(r.Subject))
				m.add("Date", rfc5322(r.Date))
				m.add("Message-ID", "<"+r.MessageID+">")
				m.add("Auto-Submitted", "auto-replied")
				m.add("MIME-Version", "1.0")
				m.root = text(r.Text, "utf-8", "quoted-printable")
				return append([]byte(mxHeader("", "casq.fr", "dkim=pass header.d=casq.fr; dmarc=pass header.from=casq.fr")), m.bytes()...)
			},
			Want: []Want{ignoredFor("message automatique")}},
		{Name: "own-address-clerk-forward", Kind: KindOwnAddress, Client: "Outlook (our own mailbox)",
			Note: "a clerk forwards from the accounting mailbox itself an invoice the supplier sent to someone else: deposited, no reply to ourselves",
			Build: func(*Reply) []byte {
				return outlook(mailSpec{Seed: "own-address-clerk-forward", From: "Accueil comptabilité <" + Mailbox + ">", To: Mailbox,
					Subject: "TR: Facture AAE-2026-0470",
					Text:    "\n\n________________________________\nDe : Jérôme Dubois <" + AAE.Email + ">\nEnvoyé : mercredi 25 novembre 2026 16:02\nÀ : Service assainissement <assainissement@casq.fr>\nObjet : Facture AAE-2026-0470\n\nBonjour,\n\nCi-joint notre facture.\n\n" + sigAAE,
					Files:   []file{pdf("AAE-2026-0470.pdf", facturX(own))}})
			},
			Want: []Want{confirmed("AAE-2026-0470", SIRETAssainissement, "EJ-2026-003470", "flux", noReply())}},
	}
}

// forwarded: a colleague forwards the supplier's mail.
func forwarded() []Case {
	hsp := inv(HSP, "HSP-2026-0147", d1, SIRETEauPotable, "EJ-2026-004147")
	four := inv(FOUR, "FIP-2026-0325", d2, SIRETCircuit, "EJ-2026-005325")
	inner := gmail(mailSpec{Seed: "forward-rfc822-inner", From: HSP.From(), To: "Régie des eaux <regie.eau@casq.fr>",
		Subject: "Facture HSP-2026-0147", Date: mailSpec{}.date().Add(-26 * time.Hour),
		Text:  "Bonjour,\n\nVeuillez trouver ci-joint notre facture pour l'intervention du 12 novembre.\n\n" + sigHSP,
		Files: []file{pdf("Facture_HSP-2026-0147.pdf", facturX(hsp))}})
	return []Case{
		{Name: "forward-rfc822-colleague", Kind: KindForwarded, Client: "Outlook (forward as attachment)",
			Note: "a colleague of the water service forwards the supplier's e-mail as an attachment (message/rfc822): deposited; the colleague is told",
			Build: func(*Reply) []byte {
				return outlook(mailSpec{Seed: "forward-rfc822-colleague", From: "Jean Lefort <j.lefort@casq.fr>", To: casq,
					Subject: "TR: Facture HSP-2026-0147",
					Text:    "Bonjour,\n\nFacture reçue sur la boîte de la régie, je vous la transfère.\n\nJean Lefort\nRégie des eaux\n",
					Files:   []file{{Name: "Facture HSP-2026-0147.eml", Type: "message/rfc822", Data: inner}}})
			},
			Want: []Want{confirmed("HSP-2026-0147", SIRETEauPotable, "EJ-2026-004147", "flux", to("j.lefort@casq.fr"))}},
		{Name: "forward-inline-gmail", Kind: KindForwarded, Client: "Gmail (inline forward)",
			Note: "the supplier's colleague forwards inline (\"---------- Forwarded message ---------\"), the PDF re-attached",
			Build: func(*Reply) []byte {
				return gmail(mailSpec{Seed: "forward-inline-gmail", From: "Claire Dumont <" + FOUR.Addr("claire.dumont") + ">", To: Mailbox,
					Subject: "Fwd: Facture FIP-2026-0325",
					Text: "Bonjour,\n\nJe vous transfère la facture de Thomas, absent cette semaine.\n\nClaire\n\n---------- Forwarded message ---------\nDe : Thomas Leroy <" + FOUR.Email + ">\n" +
						"Date: lun. 23 nov. 2026 à 17:40\nSubject: Facture FIP-2026-0325\nTo: Claire Dumont <" + FOUR.Addr("claire.dumont") + ">\n\n\nClaire, peux-tu l'envoyer à l'agglo ?\n\n" + sigFOUR,
					Files: []file{pdf("FIP-2026-0325.pdf", facturX(four))}})
			},
			Want: []Want{confirmed("FIP-2026-0325", SIRETCircuit, "EJ-2026-005325", "flux", to(FOUR.Addr("claire.dumont")))}},
	}
}

// Check reports what is wrong with the table itself: duplicate names,
// unknown kinds or dependencies, kinds with fewer than two cases, too few
// messages.
func Check(cs []Case) []string {
	var problems []string
	known := map[string]bool{}
	for _, k := range Kinds {
		known[k] = true
	}
	names := map[string]bool{}
	count := map[string]int{}
	for _, c := range cs {
		if names[c.Name] {
			problems = append(problems, "duplicate case "+c.Name)
		}
		if c.After != "" && !names[c.After] {
			problems = append(problems, fmt.Sprintf("%s: After %q is not an earlier case", c.Name, c.After))
		}
		if c.Answers != "" && c.After == "" {
			problems = append(problems, c.Name+": Answers without After")
		}
		names[c.Name] = true
		if !known[c.Kind] {
			problems = append(problems, fmt.Sprintf("%s: unknown kind %q", c.Name, c.Kind))
		}
		count[c.Kind]++
	}
	for _, k := range Kinds {
		if count[k] < 2 {
			problems = append(problems, fmt.Sprintf("kind %q has %d case(s), want at least 2", k, count[k]))
		}
	}
	if len(cs) < 60 {
		problems = append(problems, fmt.Sprintf("%d cases, want at least 60", len(cs)))
	}
	return problems
}
