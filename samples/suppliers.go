package samples

// Supplier is a sample supplier of the demo.
type Supplier struct {
	Name    string
	SIRET   string // 14 digits, Luhn-valid (and so is its SIREN)
	VAT     string // French intra-community VAT id: FR + key + SIREN
	Address string
	IBAN    string // French IBAN, valid RIB key and ISO 13616 check digits
	Email   string // the accounts department that sends the invoices
	Contact string // display name of the sender
	Lines   []Line // a typical order
}

// CASQ, the first user: the buyer of the demo invoices.
const (
	CASQName    = "Communauté d'agglomération du Saint-Quentinois"
	CASQAddress = "58 boulevard Victor Hugo, 02100 Saint-Quentin"
	CASQMailbox = "accueil.comptabilite@casq.fr"

	CASQBudgetPrincipal         = "20007189200067"
	CASQBudgetEauPotable        = "20007189200026"
	CASQBudgetAssainissement    = "20007189200034"
	CASQBudgetCircuitAutomobile = "20007189200059"
)

// DemoSuppliers returns the demo suppliers.
//
// They are fictitious: the names, addresses, e-mail addresses and bank
// accounts are invented. Their identifiers are computed to pass the checks a
// real one passes (SIREN and SIRET Luhn keys, the VAT key
// (12 + 3 × (SIREN mod 97)) mod 97, the RIB key and the IBAN mod-97 check),
// so an identifier may by chance belong to a real company: never use them
// outside tests and the demo.
func DemoSuppliers() []Supplier {
	return []Supplier{
		{
			Name:    "Hydro Services Picardie SARL",
			SIRET:   "81245637400022",
			VAT:     "FR82812456374",
			Address: "14 rue des Canonniers, 02100 Saint-Quentin",
			IBAN:    "FR7630004012340001234567862",
			Email:   "facturation@hydro-services-picardie.example",
			Contact: "Émilie Lefèvre",
			Lines: []Line{
				{Description: "Remplacement de vanne DN150 sur réseau d'eau potable, rue d'Isle", Quantity: "1", UnitPrice: "1840.00", VATRate: "20"},
				{Description: "Main-d'œuvre technicien réseau (heures)", Quantity: "7.5", UnitPrice: "58.40", VATRate: "20"},
				{Description: "Recherche de fuite par corrélation acoustique", Quantity: "1", UnitPrice: "395.00", VATRate: "20"},
			},
		},
		{
			Name:    "Voirie Nord Travaux SAS",
			SIRET:   "52309874700042",
			VAT:     "FR86523098747",
			Address: "ZA du Royeux, 8 rue Gustave Eiffel, 02100 Saint-Quentin",
			IBAN:    "FR7630003023450002045678963",
			Email:   "comptabilite@voirie-nord-travaux.example",
			Contact: "Service comptabilité",
			Lines: []Line{
				{Description: "Réfection de chaussée en enrobé à chaud BB 0/10 (m²)", Quantity: "312.5", UnitPrice: "24.85", VATRate: "20"},
				{Description: "Signalisation temporaire de chantier (forfait)", Quantity: "1", UnitPrice: "640.00", VATRate: "20"},
			},
		},
		{
			Name:    "Assainissement Aisne Environnement SAS",
			SIRET:   "79416352700011",
			VAT:     "FR67794163527",
			Address: "5 rue des Étangs, 02430 Gauchy",
			IBAN:    "FR7610107001230008765432116",
			Email:   "factures@aae-environnement.example",
			Contact: "Jérôme Dubois",
			Lines: []Line{
				{Description: "Curage hydrodynamique de collecteur Ø 400 (mètres linéaires)", Quantity: "180", UnitPrice: "6.35", VATRate: "10"},
				{Description: "Inspection télévisée et rapport ITV", Quantity: "1", UnitPrice: "780.00", VATRate: "10"},
				{Description: "Évacuation et traitement des boues (tonnes)", Quantity: "3.42", UnitPrice: "96.50", VATRate: "10"},
			},
		},
		{
			Name:    "Bureautique & Papeterie de l'Aisne SARL",
			SIRET:   "43287165500036",
			VAT:     "FR26432871655",
			Address: "112 rue d'Isle, 02100 Saint-Quentin",
			IBAN:    "FR7618206004566001239876593",
			Email:   "compta@bureautique-aisne.example",
			Contact: "Françoise Martin",
			Lines: []Line{
				{Description: "Ramettes papier A4 80 g/m² « PEFC » (carton de 5)", Quantity: "40", UnitPrice: "21.90", VATRate: "20"},
				{Description: "Cartouches d'encre noire XL", Quantity: "12", UnitPrice: "38.75", VATRate: "20"},
				{Description: "Ouvrages : Code général des collectivités territoriales 2027", Quantity: "2", UnitPrice: "89.00", VATRate: "5.5"},
			},
		},
	}
}

// DemoSupplier returns the first demo supplier, Hydro Services Picardie SARL.
func DemoSupplier() Supplier { return DemoSuppliers()[0] }

// Invoice returns an invoice of s to a CASQ budget, with s's typical lines.
// buyerReference (BT-10) and orderReference (BT-13) may be empty.
func (s Supplier) Invoice(number, issueDate, buyerSIRET, buyerReference, orderReference string) Invoice {
	return Invoice{
		Number:         number,
		IssueDate:      issueDate,
		Currency:       "EUR",
		SellerName:     s.Name,
		SellerSIRET:    s.SIRET,
		SellerVAT:      s.VAT,
		SellerAddress:  s.Address,
		SellerIBAN:     s.IBAN,
		BuyerName:      CASQName,
		BuyerSIRET:     buyerSIRET,
		BuyerAddress:   CASQAddress,
		BuyerReference: buyerReference,
		OrderReference: orderReference,
		Lines:          append([]Line(nil), s.Lines...),
	}
}

// DemoInvoice returns a complete sample invoice: Hydro Services Picardie to the
// CASQ drinking-water budget, with an engagement number (BT-13) and no
// service code.
func DemoInvoice() Invoice {
	return DemoSupplier().Invoice("FA-2026-0042", "2026-11-02", CASQBudgetEauPotable, "", "EJ-2026-004217")
}
