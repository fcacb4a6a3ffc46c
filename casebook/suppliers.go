package casebook

import "facteur/samples"

// The suppliers of the casebook. Each writes from its own domain, with the
// mail client its people use; some write from several addresses (the
// accounts department, a person), as companies do. Only Espaces Verts du
// Vermandois is a supplier structure the Chorus Pro technical account is
// attached to (it may submit its invoices in PDF mode).
var (
	// EVV is the supplier the technical account is attached to (Outlook,
	// Microsoft 365).
	EVV = supplier("Espaces Verts du Vermandois SAS", "48213579", "0017", "evv-paysage.example",
		"Aurélie Moreau", "a.moreau", "Parc d'activités des Autels, 3 rue Henri Becquerel, 02100 Saint-Quentin",
		iban("30004", "02837", "00012345678"),
		samples.Line{Description: "Tonte des espaces verts du parc des Champs-Élysées (forfait mensuel)", Quantity: "1", UnitPrice: "2350.00", VATRate: "20"},
		samples.Line{Description: "Taille de haies, avenue Faidherbe (mètres linéaires)", Quantity: "420", UnitPrice: "3.20", VATRate: "20"})
	// EVVChorusID is EVV's idStructureCPP on Chorus Pro.
	EVVChorusID int64 = 31544903

	// HSP works on the drinking-water network (Google Workspace, Gmail).
	HSP = supplier("Hydro Services Picardie SARL", "81245637", "0002", "hydro-services-picardie.example",
		"Émilie Lefèvre", "facturation", "14 rue des Canonniers, 02100 Saint-Quentin",
		iban("30004", "01234", "00012345678"),
		samples.Line{Description: "Remplacement de vanne DN150 sur réseau d'eau potable, rue d'Isle", Quantity: "1", UnitPrice: "1840.00", VATRate: "20"},
		samples.Line{Description: "Main-d'œuvre technicien réseau (heures)", Quantity: "7.5", UnitPrice: "58.40", VATRate: "20"})
	// VNT sends from an old Outlook that wraps everything in winmail.dat.
	VNT = supplier("Voirie Nord Travaux SAS", "52309874", "0004", "voirie-nord-travaux.example",
		"Service comptabilité", "comptabilite", "ZA du Royeux, 8 rue Gustave Eiffel, 02100 Saint-Quentin",
		iban("30003", "02345", "00020456789"),
		samples.Line{Description: "Réfection de chaussée en enrobé à chaud BB 0/10 (m²)", Quantity: "312.5", UnitPrice: "24.85", VATRate: "20"},
		samples.Line{Description: "Signalisation temporaire de chantier (forfait)", Quantity: "1", UnitPrice: "640.00", VATRate: "20"})
	// AAE writes with Thunderbird.
	AAE = supplier("Assainissement Aisne Environnement SAS", "79416352", "0001", "aae-environnement.example",
		"Jérôme Dubois", "factures", "5 rue des Étangs, 02430 Gauchy",
		iban("10107", "00123", "00087654321"),
		samples.Line{Description: "Curage hydrodynamique de collecteur Ø 400 (mètres linéaires)", Quantity: "180", UnitPrice: "6.35", VATRate: "10"},
		samples.Line{Description: "Inspection télévisée et rapport ITV", Quantity: "1", UnitPrice: "780.00", VATRate: "10"})
	// BPA's invoices come from its billing software, from a no-reply
	// address.
	BPA = supplier("Bureautique & Papeterie de l'Aisne SARL", "43287165", "0003", "bureautique-aisne.example",
		"Facturation BPA", "no-reply", "112 rue d'Isle, 02100 Saint-Quentin",
		iban("18206", "00456", "60012398765"),
		samples.Line{Description: "Ramettes papier A4 80 g/m² « PEFC » (carton de 5)", Quantity: "40", UnitPrice: "21.90", VATRate: "20"},
		samples.Line{Description: "Cartouches d'encre noire XL", Quantity: "12", UnitPrice: "38.75", VATRate: "20"})
	// ELEC is an electrician who sends from his iPhone.
	ELEC = supplier("Électricité Saint-Quentinoise EURL", "88412036", "0001", "elec-sq.example",
		"Karim Benali", "karim.benali", "27 rue de la Chaussée Romaine, 02100 Saint-Quentin",
		iban("30002", "00550", "00004567891"),
		samples.Line{Description: "Mise en conformité du tableau électrique, gymnase Jean Bouin", Quantity: "1", UnitPrice: "1480.00", VATRate: "20"},
		samples.Line{Description: "Main-d'œuvre électricien (heures)", Quantity: "6", UnitPrice: "52.00", VATRate: "20"})
	// MECA services the circuit's vehicles; its manager uses Gmail.
	MECA = supplier("Garage Mécanique du Vermandois SARL", "51928374", "0002", "garage-vermandois.example",
		"Patrick Lemaire", "patrick.lemaire", "Route de Cambrai, 02100 Saint-Quentin",
		iban("30004", "00901", "00076543210"),
		samples.Line{Description: "Révision complète véhicule de piste (forfait)", Quantity: "2", UnitPrice: "690.00", VATRate: "20"},
		samples.Line{Description: "Jeu de pneumatiques slicks", Quantity: "2", UnitPrice: "1120.00", VATRate: "20"})
	// NETT uses Apple Mail on a Mac, which puts PDFs inline.
	NETT = supplier("Nettoyage Picard Propreté SARL", "75310864", "0005", "picard-proprete.example",
		"Sophie Caron", "sophie.caron", "9 rue Pierre Curie, 02100 Saint-Quentin",
		iban("30003", "01760", "00050123456"),
		samples.Line{Description: "Nettoyage des locaux de l'hôtel d'agglomération (forfait mensuel)", Quantity: "1", UnitPrice: "3120.00", VATRate: "20"},
		samples.Line{Description: "Nettoyage des vitres (m²)", Quantity: "860", UnitPrice: "1.15", VATRate: "20"})
	// SIGN's ERP sends UBL; its people use Outlook.
	SIGN = supplier("Signalisation du Vermandois SAS", "39847261", "0004", "signalisation-vermandois.example",
		"Nathalie Roussel", "n.roussel", "Rue Ampère, ZI Rouvroy, 02100 Saint-Quentin",
		iban("30076", "02011", "00012398745"),
		samples.Line{Description: "Panneaux de police type B14 (unités)", Quantity: "24", UnitPrice: "86.00", VATRate: "20"},
		samples.Line{Description: "Marquage au sol en résine, passages piétons (m²)", Quantity: "145", UnitPrice: "18.40", VATRate: "20"})
	// INFO's invoicing software exports CII; its staff use Outlook.
	INFO = supplier("Informatique Territoriale Services SA", "44190385", "0007", "its-territoires.example",
		"Service facturation", "facturation", "40 boulevard Gambetta, 02100 Saint-Quentin",
		iban("30004", "03120", "00065478932"),
		samples.Line{Description: "Maintenance du logiciel de gestion financière (trimestre)", Quantity: "1", UnitPrice: "4200.00", VATRate: "20"},
		samples.Line{Description: "Journée d'assistance sur site", Quantity: "2", UnitPrice: "780.00", VATRate: "20"})
	// TRAI is a caterer who writes from an Android phone.
	TRAI = supplier("Traiteur Les Saveurs de l'Aisne", "90125478", "0001", "saveurs-aisne.example",
		"Julie Martin", "contact", "6 place de l'Hôtel de Ville, 02100 Saint-Quentin",
		iban("30002", "01140", "00009876543"),
		samples.Line{Description: "Buffet de la cérémonie des vœux (couverts)", Quantity: "180", UnitPrice: "24.50", VATRate: "10"},
		samples.Line{Description: "Service et mise en place (heures)", Quantity: "12", UnitPrice: "35.00", VATRate: "20"})
	// BTP is a family builder, on Outlook, with Word invoices.
	BTP = supplier("Maçonnerie Dufour et Fils SARL", "33765120", "0006", "dufour-maconnerie.example",
		"Bernard Dufour", "bernard.dufour", "18 rue de Paris, 02100 Saint-Quentin",
		iban("30003", "00890", "00030987654"),
		samples.Line{Description: "Reprise de maçonnerie, mur d'enceinte du cimetière Saint-Jean (m²)", Quantity: "38", UnitPrice: "142.00", VATRate: "20"})
	// CONS is a consultancy on Thunderbird.
	CONS = supplier("Cabinet Conseil Finances Locales SARL", "80561237", "0003", "cfl-conseil.example",
		"Marc Vasseur", "m.vasseur", "2 rue Émile Zola, 80000 Amiens",
		iban("10207", "00010", "00012345987"),
		samples.Line{Description: "Prospective financière 2027-2032 (jours de conseil)", Quantity: "6", UnitPrice: "950.00", VATRate: "20"})
	// TRANS runs school and urban bus services (the fifth budget).
	TRANS = supplier("Autocars du Vermandois SAS", "41538296", "0009", "autocars-vermandois.example",
		"Service comptable", "compta", "Rue du Port, 02100 Saint-Quentin",
		iban("30004", "00321", "00045612378"),
		samples.Line{Description: "Exploitation de la ligne urbaine 4 (kilomètres)", Quantity: "5240", UnitPrice: "2.85", VATRate: "10"})
	// FOUR's people use Gmail.
	FOUR = supplier("Fournitures Industrielles Picardes SAS", "62047319", "0008", "fip-picardie.example",
		"Thomas Leroy", "thomas.leroy", "ZI du Bois de la Chocque, 02100 Saint-Quentin",
		iban("30003", "04410", "00020654321"),
		samples.Line{Description: "Visserie inox A4 (lots)", Quantity: "15", UnitPrice: "42.60", VATRate: "20"},
		samples.Line{Description: "Gants de manutention EN 388 (paires)", Quantity: "120", UnitPrice: "4.90", VATRate: "20"})
)

// Supplier is a supplier of the casebook: samples.Supplier, with the
// person who usually writes and the domain its addresses are in.
type Supplier struct {
	samples.Supplier
	Domain string
}

// Addr is an address of the supplier's domain ("comptabilite" →
// comptabilite@domain).
func (s Supplier) Addr(local string) string { return local + "@" + s.Domain }

// From is the supplier's usual sender, with its display name.
func (s Supplier) From() string { return s.Contact + " <" + s.Email + ">" }

func supplier(name, siren8, nic4, domain, contact, local, address, account string, lines ...samples.Line) Supplier {
	st := siret(siren8, nic4)
	return Supplier{Domain: domain, Supplier: samples.Supplier{
		Name: name, SIRET: st, VAT: vat(st[:9]), Address: address, IBAN: account,
		Email: local + "@" + domain, Contact: contact, Lines: lines,
	}}
}

// Suppliers lists every supplier of the casebook.
func Suppliers() []Supplier {
	return []Supplier{EVV, HSP, VNT, AAE, BPA, ELEC, MECA, NETT, SIGN, INFO, TRAI, BTP, CONS, TRANS, FOUR}
}
