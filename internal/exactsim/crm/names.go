package crm

// Word lists for the generator. Every string here is a constant that
// generated records share instead of copying, which keeps a division of a
// million records small in memory.

// city is a place an account can be in. Its area code (without the trunk
// prefix) ties the switchboard number to the address, as in real data.
type city struct {
	name string
	area string   // area code without trunk prefix
	pc   string   // first postcode (NL, BE, DE, FR, US) or outward-code letters (GB)
	span int      // how many postcodes (or GB districts) from pc on
	lang string   // language where it differs from the country's (BE)
	pre  []string // fixed subscriber-number starts (GB drama ranges, US exchanges)
}

// Cities are listed roughly by size: the generator favours the first ones.
var nlCities = []city{
	{name: "Amsterdam", area: "20", pc: "1011", span: 98},
	{name: "Rotterdam", area: "10", pc: "3011", span: 80},
	{name: "Den Haag", area: "70", pc: "2491", span: 100},
	{name: "Utrecht", area: "30", pc: "3511", span: 70},
	{name: "Eindhoven", area: "40", pc: "5611", span: 50},
	{name: "Groningen", area: "50", pc: "9711", span: 70},
	{name: "Tilburg", area: "13", pc: "5011", span: 40},
	{name: "Almere", area: "36", pc: "1311", span: 50},
	{name: "Breda", area: "76", pc: "4811", span: 40},
	{name: "Nijmegen", area: "24", pc: "6511", span: 40},
	{name: "Apeldoorn", area: "55", pc: "7311", span: 50},
	{name: "Haarlem", area: "23", pc: "2011", span: 30},
	{name: "Arnhem", area: "26", pc: "6811", span: 40},
	{name: "Enschede", area: "53", pc: "7511", span: 40},
	{name: "Amersfoort", area: "33", pc: "3811", span: 20},
	{name: "Zaandam", area: "75", pc: "1501", span: 30},
	{name: "'s-Hertogenbosch", area: "73", pc: "5211", span: 20},
	{name: "Den Bosch", area: "73", pc: "5221", span: 20},
	{name: "Zwolle", area: "38", pc: "8011", span: 30},
	{name: "Leiden", area: "71", pc: "2311", span: 20},
	{name: "Maastricht", area: "43", pc: "6211", span: 20},
	{name: "Dordrecht", area: "78", pc: "3311", span: 20},
	{name: "Zoetermeer", area: "79", pc: "2711", span: 20},
	{name: "Leeuwarden", area: "58", pc: "8911", span: 20},
	{name: "Alkmaar", area: "72", pc: "1811", span: 20},
	{name: "Delft", area: "15", pc: "2611", span: 20},
	{name: "Heerlen", area: "45", pc: "6411", span: 20},
	{name: "Hilversum", area: "35", pc: "1211", span: 20},
	{name: "Deventer", area: "570", pc: "7411", span: 20},
	{name: "Venlo", area: "77", pc: "5911", span: 20},
	{name: "Helmond", area: "492", pc: "5701", span: 10},
	{name: "Ede", area: "318", pc: "6711", span: 10},
	{name: "Gouda", area: "182", pc: "2801", span: 10},
	{name: "Alphen aan den Rijn", area: "172", pc: "2401", span: 10},
	{name: "Harderwijk", area: "341", pc: "3841", span: 10},
	{name: "Cuijk", area: "485", pc: "5431", span: 10},
	{name: "Almelo", area: "546", pc: "7601", span: 10},
	{name: "Hoorn", area: "229", pc: "1621", span: 10},
	{name: "Den Helder", area: "223", pc: "1781", span: 10},
	{name: "Emmen", area: "591", pc: "7811", span: 10},
	{name: "Roermond", area: "475", pc: "6041", span: 10},
	{name: "Oss", area: "412", pc: "5341", span: 10},
	{name: "Veenendaal", area: "318", pc: "3901", span: 10},
	{name: "Assen", area: "592", pc: "9401", span: 10},
	{name: "Goes", area: "113", pc: "4461", span: 10},
	{name: "Middelburg", area: "118", pc: "4331", span: 10},
	{name: "Vlissingen", area: "118", pc: "4381", span: 10},
	{name: "Terneuzen", area: "115", pc: "4531", span: 10},
	{name: "Sneek", area: "515", pc: "8601", span: 10},
	{name: "Drachten", area: "512", pc: "9201", span: 10},
	{name: "Heerenveen", area: "513", pc: "8441", span: 10},
	{name: "Winterswijk", area: "543", pc: "7101", span: 10},
	{name: "Doetinchem", area: "314", pc: "7001", span: 10},
	{name: "Hardenberg", area: "523", pc: "7771", span: 10},
	{name: "Purmerend", area: "299", pc: "1441", span: 10},
	{name: "Nieuwegein", area: "30", pc: "3431", span: 10},
	{name: "Capelle aan den IJssel", area: "10", pc: "2901", span: 10},
	{name: "Schiedam", area: "10", pc: "3111", span: 10},
	{name: "Woerden", area: "348", pc: "3441", span: 10},
	{name: "Barneveld", area: "342", pc: "3771", span: 10},
	{name: "Zeist", area: "30", pc: "3701", span: 10},
	{name: "Kampen", area: "38", pc: "8261", span: 5},
	{name: "Bergen op Zoom", area: "164", pc: "4611", span: 10},
	{name: "Roosendaal", area: "165", pc: "4701", span: 10},
	{name: "Waalwijk", area: "416", pc: "5141", span: 5},
	{name: "Hengelo", area: "74", pc: "7551", span: 10},
	{name: "Oldenzaal", area: "541", pc: "7571", span: 5},
	{name: "Steenwijk", area: "521", pc: "8331", span: 5},
	{name: "Meppel", area: "522", pc: "7941", span: 5},
	{name: "IJmuiden", area: "255", pc: "1971", span: 5},
	{name: "Spijkenisse", area: "181", pc: "3201", span: 10},
	{name: "Rijswijk", area: "70", pc: "2281", span: 10},
	{name: "Lisse", area: "252", pc: "2161", span: 5},
	{name: "Katwijk", area: "71", pc: "2221", span: 10},
	{name: "Tiel", area: "344", pc: "4001", span: 5},
	{name: "Culemborg", area: "345", pc: "4101", span: 5},
	{name: "Gorinchem", area: "183", pc: "4201", span: 5},
	{name: "Oosterhout", area: "162", pc: "4901", span: 5},
	{name: "Uden", area: "413", pc: "5401", span: 5},
	{name: "Weert", area: "495", pc: "6001", span: 5},
	{name: "Sittard", area: "46", pc: "6131", span: 5},
	{name: "Zierikzee", area: "111", pc: "4301", span: 5},
	{name: "Ridderkerk", area: "180", pc: "2981", span: 5},
	{name: "Emmeloord", area: "527", pc: "8301", span: 5},
	{name: "Lelystad", area: "320", pc: "8211", span: 20},
	{name: "Dronten", area: "321", pc: "8251", span: 5},
	{name: "Harlingen", area: "517", pc: "8861", span: 5},
	{name: "Dokkum", area: "519", pc: "9101", span: 5},
	{name: "Winschoten", area: "597", pc: "9671", span: 5},
	{name: "Stadskanaal", area: "599", pc: "9501", span: 5},
	{name: "Veendam", area: "598", pc: "9641", span: 5},
	{name: "Hoogeveen", area: "528", pc: "7901", span: 10},
	{name: "Coevorden", area: "524", pc: "7741", span: 5},
	{name: "Raalte", area: "572", pc: "8101", span: 5},
	{name: "Zutphen", area: "575", pc: "7201", span: 5},
	{name: "Enkhuizen", area: "228", pc: "1601", span: 5},
	{name: "Schagen", area: "224", pc: "1741", span: 5},
	{name: "Heerhugowaard", area: "72", pc: "1701", span: 10},
	{name: "Volendam", area: "299", pc: "1131", span: 5},
	{name: "Bussum", area: "35", pc: "1401", span: 5},
	{name: "Weesp", area: "294", pc: "1381", span: 5},
	{name: "Boxtel", area: "411", pc: "5281", span: 5},
	{name: "Valkenswaard", area: "40", pc: "5551", span: 5},
	{name: "Best", area: "499", pc: "5681", span: 5},
	{name: "Boxmeer", area: "485", pc: "5831", span: 5},
	{name: "Venray", area: "478", pc: "5801", span: 5},
	{name: "Deurne", area: "493", pc: "5751", span: 5},
}

// Belgian one-digit zones have only some subscriber ranges in service;
// libphonenumber rejects the others.
var (
	be2 = []string{"2", "3", "4", "5", "6", "7", "8"}
	be3 = be2
	be4 = []string{"2", "3"}
	be9 = []string{"2", "3", "4"}
)

var beCities = []city{
	{name: "Antwerpen", area: "3", pc: "2000", span: 61, pre: be3},
	{name: "Brussel", area: "2", pc: "1000", span: 1, pre: be2},
	{name: "Bruxelles", area: "2", pc: "1000", span: 1, lang: "FR", pre: be2},
	{name: "Gent", area: "9", pc: "9000", span: 51, pre: be9},
	{name: "Liège", area: "4", pc: "4000", span: 21, lang: "FR", pre: be4},
	{name: "Charleroi", area: "71", pc: "6000", span: 1, lang: "FR"},
	{name: "Brugge", area: "50", pc: "8000", span: 1},
	{name: "Leuven", area: "16", pc: "3000", span: 11},
	{name: "Mechelen", area: "15", pc: "2800", span: 1},
	{name: "Namur", area: "81", pc: "5000", span: 1, lang: "FR"},
	{name: "Hasselt", area: "11", pc: "3500", span: 11},
	{name: "Kortrijk", area: "56", pc: "8500", span: 11},
	{name: "Oostende", area: "59", pc: "8400", span: 1},
	{name: "Aalst", area: "53", pc: "9300", span: 1},
	{name: "Mons", area: "65", pc: "7000", span: 1, lang: "FR"},
	{name: "Elsene", area: "2", pc: "1050", span: 1, pre: be2},
	{name: "Ixelles", area: "2", pc: "1050", span: 1, lang: "FR", pre: be2},
	{name: "Schaerbeek", area: "2", pc: "1030", span: 1, lang: "FR", pre: be2},
	{name: "Anderlecht", area: "2", pc: "1070", span: 1, lang: "FR", pre: be2},
	{name: "Zaventem", area: "2", pc: "1930", span: 1, pre: be2},
	{name: "Vilvoorde", area: "2", pc: "1800", span: 1, pre: be2},
	{name: "Lier", area: "3", pc: "2500", span: 1, pre: be3},
	{name: "Turnhout", area: "14", pc: "2300", span: 1},
	{name: "Geel", area: "14", pc: "2440", span: 1},
	{name: "Sint-Niklaas", area: "3", pc: "9100", span: 12, pre: be3},
	{name: "Dendermonde", area: "52", pc: "9200", span: 1},
	{name: "Lokeren", area: "9", pc: "9160", span: 1, pre: be9},
	{name: "Eeklo", area: "9", pc: "9900", span: 1, pre: be9},
	{name: "Roeselare", area: "51", pc: "8800", span: 1},
	{name: "Ieper", area: "57", pc: "8900", span: 1},
	{name: "Waregem", area: "56", pc: "8790", span: 1},
	{name: "Genk", area: "89", pc: "3600", span: 1},
	{name: "Sint-Truiden", area: "11", pc: "3800", span: 1},
	{name: "Tongeren", area: "12", pc: "3700", span: 1},
	{name: "Tienen", area: "16", pc: "3300", span: 1},
	{name: "Aarschot", area: "16", pc: "3200", span: 1},
	{name: "Verviers", area: "87", pc: "4800", span: 1, lang: "FR"},
	{name: "La Louvière", area: "64", pc: "7100", span: 1, lang: "FR"},
	{name: "Tournai", area: "69", pc: "7500", span: 1, lang: "FR"},
	{name: "Wavre", area: "10", pc: "1300", span: 1, lang: "FR"},
	{name: "Louvain-la-Neuve", area: "10", pc: "1348", span: 1, lang: "FR"},
	{name: "Nivelles", area: "67", pc: "1400", span: 1, lang: "FR"},
	{name: "Waterloo", area: "2", pc: "1410", span: 1, lang: "FR", pre: be2},
	{name: "Braine-l'Alleud", area: "2", pc: "1420", span: 1, lang: "FR", pre: be2},
	{name: "Mouscron", area: "56", pc: "7700", span: 1, lang: "FR"},
	{name: "Seraing", area: "4", pc: "4100", span: 1, lang: "FR", pre: be4},
	{name: "Arlon", area: "63", pc: "6700", span: 1, lang: "FR"},
	{name: "Eupen", area: "87", pc: "4700", span: 1, lang: "DE"},
}

var deCities = []city{
	{name: "Berlin", area: "30", pc: "10115", span: 4000},
	{name: "Hamburg", area: "40", pc: "20095", span: 2600},
	{name: "München", area: "89", pc: "80331", span: 1600},
	{name: "Köln", area: "221", pc: "50667", span: 480},
	{name: "Frankfurt am Main", area: "69", pc: "60306", span: 290},
	{name: "Stuttgart", area: "711", pc: "70173", span: 450},
	{name: "Düsseldorf", area: "211", pc: "40210", span: 410},
	{name: "Dortmund", area: "231", pc: "44135", span: 250},
	{name: "Essen", area: "201", pc: "45127", span: 230},
	{name: "Leipzig", area: "341", pc: "04103", span: 250},
	{name: "Bremen", area: "421", pc: "28195", span: 580},
	{name: "Dresden", area: "351", pc: "01067", span: 260},
	{name: "Hannover", area: "511", pc: "30159", span: 500},
	{name: "Nürnberg", area: "911", pc: "90402", span: 90},
	{name: "Duisburg", area: "203", pc: "47051", span: 250},
	{name: "Bochum", area: "234", pc: "44787", span: 100},
	{name: "Wuppertal", area: "202", pc: "42103", span: 300},
	{name: "Bielefeld", area: "521", pc: "33602", span: 130},
	{name: "Bonn", area: "228", pc: "53111", span: 120},
	{name: "Münster", area: "251", pc: "48143", span: 20},
	{name: "Mannheim", area: "621", pc: "68159", span: 150},
	{name: "Karlsruhe", area: "721", pc: "76131", span: 100},
	{name: "Augsburg", area: "821", pc: "86150", span: 50},
	{name: "Wiesbaden", area: "611", pc: "65183", span: 25},
	{name: "Mönchengladbach", area: "2161", pc: "41061", span: 180},
	{name: "Aachen", area: "241", pc: "52062", span: 20},
	{name: "Osnabrück", area: "541", pc: "49074", span: 20},
	{name: "Kleve", area: "2821", pc: "47533", span: 20},
	{name: "Emmerich am Rhein", area: "2822", pc: "46446", span: 1},
	{name: "Gronau (Westf.)", area: "2562", pc: "48599", span: 1},
	{name: "Nordhorn", area: "5921", pc: "48527", span: 3},
	{name: "Bocholt", area: "2871", pc: "46395", span: 5},
	{name: "Krefeld", area: "2151", pc: "47798", span: 30},
	{name: "Oberhausen", area: "208", pc: "46045", span: 100},
	{name: "Paderborn", area: "5251", pc: "33098", span: 10},
	{name: "Würzburg", area: "931", pc: "97070", span: 10},
	{name: "Regensburg", area: "941", pc: "93047", span: 10},
	{name: "Ulm", area: "731", pc: "89073", span: 10},
	{name: "Freiburg im Breisgau", area: "761", pc: "79098", span: 20},
	{name: "Kiel", area: "431", pc: "24103", span: 50},
	{name: "Lübeck", area: "451", pc: "23552", span: 20},
	{name: "Rostock", area: "381", pc: "18055", span: 20},
	{name: "Magdeburg", area: "391", pc: "39104", span: 30},
	{name: "Erfurt", area: "361", pc: "99084", span: 20},
	{name: "Saarbrücken", area: "681", pc: "66111", span: 20},
	{name: "Mainz", area: "6131", pc: "55116", span: 15},
	{name: "Heidelberg", area: "6221", pc: "69115", span: 10},
	{name: "Göttingen", area: "551", pc: "37073", span: 10},
	{name: "Jena", area: "3641", pc: "07743", span: 10},
	{name: "Görlitz", area: "3581", pc: "02826", span: 3},
	{name: "Passau", area: "851", pc: "94032", span: 3},
	{name: "Ingolstadt", area: "841", pc: "85049", span: 10},
	{name: "Wolfsburg", area: "5361", pc: "38440", span: 10},
	{name: "Gütersloh", area: "5241", pc: "33330", span: 5},
	{name: "Siegen", area: "271", pc: "57072", span: 10},
}

// British landlines come only from Ofcom's ranges reserved for drama, so no
// test ever rings a real office. Nottingham's 0115 496 0xxx is left out:
// libphonenumber does not accept it.
var gbCities = []city{
	{name: "London", area: "20", pc: "EC", span: 4, pre: []string{"79460"}},
	{name: "London", area: "20", pc: "SW", span: 19, pre: []string{"79460"}},
	{name: "London", area: "20", pc: "W", span: 14, pre: []string{"79460"}},
	{name: "Manchester", area: "161", pc: "M", span: 15, pre: []string{"4960"}},
	{name: "Birmingham", area: "121", pc: "B", span: 15, pre: []string{"4960"}},
	{name: "Leeds", area: "113", pc: "LS", span: 11, pre: []string{"4960"}},
	{name: "Glasgow", area: "141", pc: "G", span: 12, pre: []string{"4960"}},
	{name: "Bristol", area: "117", pc: "BS", span: 8, pre: []string{"4960"}},
	{name: "Liverpool", area: "151", pc: "L", span: 8, pre: []string{"4960"}},
	{name: "Sheffield", area: "114", pc: "S", span: 11, pre: []string{"4960"}},
	{name: "Edinburgh", area: "131", pc: "EH", span: 12, pre: []string{"4960"}},
	{name: "Belfast", area: "28", pc: "BT", span: 17, pre: []string{"96496"}},
	{name: "Cardiff", area: "29", pc: "CF1", span: 9, pre: []string{"20180"}},
	{name: "Leicester", area: "116", pc: "LE", span: 5, pre: []string{"4960"}},
	{name: "Reading", area: "118", pc: "RG", span: 6, pre: []string{"4960"}},
	{name: "Newcastle upon Tyne", area: "191", pc: "NE", span: 6, pre: []string{"4980"}},
}

var frCities = []city{
	{name: "Paris", area: "1", pc: "75001", span: 20, pre: []string{"4", "5", "3"}},
	{name: "Boulogne-Billancourt", area: "1", pc: "92100", span: 1, pre: []string{"4", "5"}},
	{name: "Saint-Denis", area: "1", pc: "93200", span: 1, pre: []string{"4", "5"}},
	{name: "Versailles", area: "1", pc: "78000", span: 1, pre: []string{"3"}},
}

var usCities = []city{
	{name: "New York", area: "212", pc: "10001", span: 280, pre: []string{"736", "541", "262", "977", "319", "244", "490", "695", "753", "867", "921"}},
}

var nlStreets = []string{
	"Hoofdstraat", "Kerkstraat", "Dorpsstraat", "Stationsweg", "Industrieweg",
	"Nijverheidsweg", "Molenweg", "Schoolstraat", "Marktplein", "Havenweg",
	"Energieweg", "Ambachtsweg", "Edisonstraat", "Keizersgracht", "Herengracht",
	"Coolsingel", "Westblaak", "Damrak", "Gustav Mahlerlaan", "Parallelweg",
	"Spoorstraat", "Oudegracht", "Lange Voorhout", "Transportweg", "Handelsweg",
	"Kanaalweg", "Zuiderzeestraatweg", "Rijksstraatweg", "Koningin Julianalaan",
	"Prins Bernhardlaan", "Wilhelminastraat", "Beatrixlaan", "Laan van Nieuw Oost-Indië",
	"Veemarkt", "Zeeweg", "Noordersingel", "Ringbaan-West", "Science Park",
	"Computerweg", "Databankweg", "Kelvinbaan", "Bedrijvenpark Twente",
	"Nieuwe Gracht", "Achter de Kerk", "Van Heemstraweg", "Populierenlaan",
	"Oosterhavenstraat", "Weena", "Mercuriusweg", "Galileïlaan", "Curiestraat",
}

var beStreetsNL = []string{
	"Kerkstraat", "Stationsstraat", "Molenstraat", "Dorpsstraat", "Nieuwstraat",
	"Industrielaan", "Meir", "Grote Markt", "Brusselsesteenweg", "Gentsesteenweg",
	"Steenweg op Antwerpen", "Noorderlaan", "Koningin Astridlaan", "Bondgenotenlaan",
	"Kortrijksesteenweg", "Zuiderlaan", "Ambachtenlaan", "Researchpark",
}

var beStreetsFR = []string{
	"Rue de la Loi", "Avenue Louise", "Chaussée de Louvain", "Rue Royale",
	"Boulevard d'Avroy", "Rue de l'Industrie", "Place Saint-Lambert", "Rue Haute",
	"Chaussée de Bruxelles", "Avenue de Tervueren", "Rue du Commerce", "Zoning Industriel",
}

var deStreets = []string{
	"Hauptstraße", "Bahnhofstraße", "Industriestraße", "Gewerbestraße", "Am Markt",
	"Schillerstraße", "Goethestraße", "Lindenallee", "Berliner Allee", "Königsallee",
	"Friedrichstraße", "Im Gewerbegebiet", "Siemensstraße", "Daimlerstraße",
	"Max-Planck-Straße", "Gartenstraße", "Dorfstraße", "Mühlenweg", "Hafenstraße",
	"Kaiserstraße", "Marktplatz", "Robert-Bosch-Straße", "Carl-Zeiss-Ring",
}

var gbStreets = []string{
	"High Street", "Station Road", "Church Lane", "Victoria Road", "Mill Lane",
	"Park Road", "London Road", "Queen Street", "King Street", "Market Street",
	"Riverside Industrial Estate", "The Business Park", "Canal Street", "Albert Road",
	"St John's Road", "Chapel Street", "Commercial Road", "Enterprise Way",
}

var frStreets = []string{
	"rue de Rivoli", "avenue des Champs-Élysées", "boulevard Haussmann",
	"rue du Faubourg Saint-Honoré", "rue de la République", "avenue de l'Opéra",
	"quai de la Rapée", "rue Saint-Lazare",
}

var usStreets = []string{
	"Fifth Avenue", "Broadway", "Park Avenue", "Madison Avenue", "Lexington Avenue",
	"West 34th Street", "Wall Street", "Avenue of the Americas",
}

// Dutch family names carry their tussenvoegsel; the generator splits it
// off into MiddleName for people and capitalises it in company names.
var nlFamilies = []string{
	"de Vries", "van der Meer", "van den Berg", "Jansen", "de Jong", "Bakker",
	"Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos",
	"Peters", "Hendriks", "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra",
	"Smits", "de Graaf", "van der Linden", "Kok", "Jacobs", "de Haan", "Vermeulen",
	"van den Heuvel", "van der Veen", "van den Broek", "de Bruijn", "de Bruin",
	"van der Heijden", "Schouten", "van Beek", "Willems", "van Vliet", "van de Ven",
	"Hoekstra", "Maas", "Verhoeven", "Koster", "van Dam", "van der Wal", "Prins",
	"Blom", "Huisman", "de Jonge", "Kuipers", "van Veen", "Post", "Kuiper",
	"Veenstra", "Kramer", "van den Brink", "Scholten", "van Wijk", "Postma",
	"Martens", "Vink", "de Ruiter", "Timmermans", "Groen", "Gerritsen", "Jonker",
	"van Loon", "Boer", "van der Velde", "Willemsen", "Smeets", "de Lange", "de Vos",
	"Bosch", "van Dijk", "Janssen", "ter Horst", "ter Haar", "van 't Hof",
	"in 't Veld", "ten Brink", "van Ooijen", "Dijkman", "Brinkman", "Hermans",
	"Evers", "Wouters", "Sanders", "Hoogendoorn", "Zijlstra", "van Es", "Kamphuis",
	"Nijhuis", "Wolters", "Lammers", "Rutten", "Hofman", "Schipper", "van Rijn",
	"Bergsma", "Ouwehand", "van Zanten", "Verbeek", "de Kok", "Hoek", "Staal",
	"van der Laan", "Oosterhuis", "Keijzer", "Bruins", "Wijnands", "Haverkamp",
	"Mol", "van Doorn", "Koopman", "Stam", "Geerts", "Çelik", "Yılmaz", "El Amrani",
	"Bouzid", "Nguyen", "Ramdin", "Kaya", "Öztürk", "van Aalst", "de Zeeuw",
	"Heemskerk", "Steenbergen", "Vroom", "van Houten", "IJzerman", "Eijkelenboom",
}

var nlMale = []string{
	"Jan", "Pieter", "Kees", "Henk", "Willem", "Johan", "Gerrit", "Dirk", "Bas",
	"Thijs", "Daan", "Sander", "Jeroen", "Maarten", "Ruud", "Marco", "Mark", "Erik",
	"Martijn", "Joost", "Niels", "Bram", "Stefan", "Wouter", "Rob", "Hans", "Frank",
	"Peter", "Michiel", "Tim", "Lars", "Koen", "Sven", "Ruben", "Jasper", "Arjen",
	"Freek", "Gijs", "Hidde", "Sjoerd", "Wim", "Ton", "Cor", "Ad", "Arie", "Jos",
	"Rik", "Stijn", "Mohamed", "Youssef", "Mehmet", "Sem", "Luuk", "René", "André",
}

var nlFemale = []string{
	"Anna", "Maria", "Els", "Ingrid", "Marieke", "Anouk", "Sanne", "Lotte", "Femke",
	"Eva", "Lisa", "Iris", "Sophie", "Emma", "Julia", "Fleur", "Nicole", "Linda",
	"Sandra", "Monique", "Petra", "Wendy", "Marloes", "Ilse", "Esther", "Karin",
	"Annemarie", "Renée", "Inge", "Mirjam", "Judith", "Joke", "Ria", "Willemijn",
	"Noor", "Fatima", "Zeynep", "Saskia", "Marjolein", "Hanneke", "Carolien",
	"Ellen", "Chantal", "Daphne", "Loes", "Zoë", "Loïs", "Ineke", "Tineke",
}

var beFamiliesNL = []string{
	"Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes",
	"Goossens", "Wouters", "De Smet", "Hermans", "Vermeulen", "Van Damme",
	"De Backer", "Desmet", "Verstraete", "Vandenberghe", "Pauwels", "Declercq",
	"Coppens", "Van de Velde", "Claeys", "Segers", "Michiels", "Verbeke",
	"Verhaegen", "De Clercq", "Hendrickx", "Van Acker", "Wuyts", "Cools",
	"Stevens", "Thys", "Bogaerts", "Aerts", "Smets", "Van Hoof", "Geerts",
	"Vervoort", "Van den Broeck", "De Wilde", "D'Hondt", "Van Gucht", "Verschueren",
}

var beFamiliesFR = []string{
	"Dubois", "Lambert", "Dupont", "Martin", "Leclercq", "Lejeune", "Renard",
	"Simon", "Laurent", "Lemaire", "Dumont", "Mathieu", "François", "Denis",
	"Dujardin", "Collard", "Hubert", "Lemoine", "Gilson", "Noël", "Legrand",
	"Charlier", "Delvaux", "Bastin", "Fontaine", "Lefèbvre", "Jadot", "Piron",
}

var beMaleNL = []string{
	"Jan", "Luc", "Marc", "Bart", "Koen", "Wim", "Dirk", "Geert", "Tom", "Pieter",
	"Jens", "Wout", "Stijn", "Joris", "Filip", "Kris", "Jef", "Frederik", "Seppe",
	"Thibaut", "Lieven", "Dries",
}

var beFemaleNL = []string{
	"Annelies", "Ann", "Katrien", "Els", "Sofie", "Lien", "Liesbeth", "Griet",
	"Inge", "Hilde", "Veerle", "Elke", "An", "Nathalie", "Eline", "Lore", "Jolien",
}

var maleFR = []string{
	"Jean", "Pierre", "Philippe", "Michel", "Olivier", "Benoît", "François",
	"Christophe", "Laurent", "Frédéric", "Jérôme", "Stéphane", "Cédric",
	"Sébastien", "Thierry", "Nicolas", "Julien", "Antoine", "Mathieu",
}

var femaleFR = []string{
	"Marie", "Isabelle", "Catherine", "Nathalie", "Sophie", "Véronique", "Anne",
	"Valérie", "Céline", "Aurélie", "Hélène", "Chloé", "Amélie", "Camille",
	"Julie", "Élodie", "Sandrine",
}

var frFamilies = []string{
	"Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit",
	"Durand", "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel",
	"Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier", "Morel",
	"Girard", "André", "Lefebvre", "Mercier", "Dupont", "Lambert", "Bonnet",
	"François", "Martinez",
}

var deFamilies = []string{
	"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner",
	"Becker", "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein",
	"Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger",
	"Hofmann", "Hartmann", "Lange", "Schmitt", "Werner", "Schmitz", "Krause",
	"Meier", "Lehmann", "Schmid", "Schulze", "Maier", "Köhler", "Herrmann",
	"König", "Walter", "Mayer", "Huber", "Kaiser", "Fuchs", "Peters", "Lang",
	"Scholz", "Möller", "Weiß", "Jung", "Hahn", "Schubert", "Vogel", "Friedrich",
	"Keller", "Günther", "Frank", "Berger", "Winkler", "Roth", "Beck", "Lorenz",
	"Baumann", "Franke", "Albrecht", "Schuster", "Simon", "Ludwig", "Böhm",
	"Winter", "Kraus", "Martin", "Schumacher", "Krämer", "Vogt", "Stein", "Jäger",
	"Otto", "Sommer", "Groß", "Seidel", "Heinrich", "Brandt", "Haas", "Schreiber",
	"Graf", "Schulte", "Dietrich", "Ziegler", "Kuhn", "Kühn", "Pohl", "Engel",
	"Horn", "Busch", "Bergmann", "Voigt", "Sauer", "Arnold", "Wolff", "Pfeiffer",
	"Yıldız", "Öztürk", "Nowak", "Kowalski",
}

var deMale = []string{
	"Thomas", "Michael", "Andreas", "Stefan", "Christian", "Markus", "Frank",
	"Jürgen", "Klaus", "Wolfgang", "Uwe", "Matthias", "Sebastian", "Tobias", "Jan",
	"Florian", "Lukas", "Jörg", "Dieter", "Günter", "Ralf", "Sven", "Björn",
	"Maximilian", "Felix", "Jonas",
}

var deFemale = []string{
	"Sabine", "Claudia", "Andrea", "Petra", "Susanne", "Birgit", "Monika",
	"Katrin", "Julia", "Anna", "Laura", "Lea", "Sarah", "Jessica", "Stefanie",
	"Nicole", "Martina", "Ursula", "Jana", "Jutta", "Gisela", "Bärbel", "Renate",
	"Anke", "Doris",
}

var gbFamilies = []string{
	"Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson",
	"Thomas", "Johnson", "Roberts", "Robinson", "Thompson", "Wright", "Walker",
	"White", "Edwards", "Hughes", "Green", "Hall", "Lewis", "Harris", "Clarke",
	"Patel", "Jackson", "Wood", "Turner", "Martin", "Cooper", "Hill", "Ward",
	"Morris", "Moore", "Clark", "Lee", "King", "Baker", "Harrison", "Morgan",
	"Allen", "James", "Scott", "Phillips", "Watson", "Davis", "Parker", "Price",
	"Bennett", "Young", "Griffiths", "Mitchell", "Kelly", "Cook", "Carter",
	"Richardson", "Bailey", "Collins", "Bell", "Shaw", "Murphy", "Miller", "Cox",
	"Richards", "Khan", "Marshall", "Anderson", "Simpson", "Ellis", "Adams",
	"Singh", "Begum", "Wilkinson", "Foster", "Chapman", "Powell", "Webb", "Rogers",
	"Gray", "Mason", "Ali", "Hunt", "Hussain", "Campbell", "Matthews", "Owen",
	"Palmer", "Holmes", "Mills", "Barnes", "Knight", "Lloyd", "Butler", "Russell",
	"Barker", "Fisher", "Stevens", "Jenkins", "Murray", "Dixon", "Harvey",
	"O'Brien", "MacDonald", "McKenzie",
}

var gbMale = []string{
	"James", "John", "David", "Michael", "Paul", "Andrew", "Richard", "Mark",
	"Peter", "Stephen", "Robert", "Christopher", "Daniel", "Matthew", "Thomas",
	"Oliver", "Harry", "George", "Jack", "William", "Simon", "Ian", "Gareth",
	"Rhys", "Callum", "Graham", "Neil",
}

var gbFemale = []string{
	"Sarah", "Emma", "Claire", "Helen", "Rachel", "Laura", "Rebecca", "Charlotte",
	"Emily", "Sophie", "Lucy", "Hannah", "Jessica", "Amy", "Victoria", "Katie",
	"Olivia", "Siobhan", "Niamh", "Fiona", "Joanne", "Karen", "Susan", "Zoë",
}

var usFamilies = []string{
	"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
	"Rodriguez", "Martinez", "Hernandez", "Lopez", "Wilson", "Anderson", "Taylor",
	"Thomas", "Moore", "Jackson", "Lee", "Thompson", "White", "Harris", "Clark",
	"Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Goldberg", "O'Connor",
}

var usMale = []string{
	"John", "Michael", "Robert", "James", "William", "David", "Joseph", "Richard",
	"Brian", "Kevin", "Tyler",
}

var usFemale = []string{
	"Jennifer", "Jessica", "Ashley", "Emily", "Sarah", "Amanda", "Elizabeth",
	"Megan", "Madison",
}

var nlTrades = []string{
	"Bakkerij", "Installatietechniek", "Bouw", "Transport", "Loodgietersbedrijf",
	"Schildersbedrijf", "Accountants", "Advocaten", "Notarissen",
	"Administratiekantoor", "Autobedrijf", "Hoveniers", "Tuincentrum",
	"Elektrotechniek", "Metaalbewerking", "Houthandel", "Drukkerij", "Slagerij",
	"Makelaardij", "Verzekeringen", "Schoonmaakbedrijf", "Klimaattechniek",
	"Dakdekkers", "Timmerbedrijf", "Keukens", "Meubelmakerij", "Tweewielers",
	"Zonwering", "Catering", "Logistiek", "Tandartspraktijk", "Fysiotherapie",
	"Dierenkliniek", "Bloemisterij", "Groothandel", "Machinehandel", "Kunststoffen",
	"ICT", "Software", "Consultancy", "Reclamebureau", "Ingenieursbureau",
	"Architecten", "Uitzendbureau", "Vastgoed", "Stukadoorsbedrijf", "Tegelwerken",
	"Glashandel", "Staalbouw", "Verhuur", "Koeltechniek", "Grondverzet", "Recycling",
	"Kwekerij", "Transportbedrijf", "Taxi", "Aannemersbedrijf", "Bouwbedrijf",
	"Installatiebedrijf", "Loonbedrijf", "Rijschool", "Kaashandel", "Visgroothandel",
	"Vloeren", "Beveiliging", "Personeelsdiensten", "Bedrijfskleding", "Kozijnen",
}

var beTradesNL = []string{
	"Bouwbedrijf", "Schrijnwerkerij", "Bakkerij", "Elektriciteit", "Sanitair",
	"Dakwerken", "Transport", "Garage", "Boekhoudkantoor", "Verzekeringen", "Immo",
	"Brouwerij", "Slagerij", "Schilderwerken", "Tuinaanleg", "Verwarming",
	"Drukkerij", "Interieur", "Logistiek", "Metaalconstructie", "Keukens",
}

var beTradesFR = []string{
	"Boulangerie", "Boucherie", "Construction", "Menuiserie", "Électricité",
	"Toitures", "Transports", "Garage", "Fiduciaire", "Assurances", "Immobilière",
	"Brasserie", "Chauffage", "Plomberie", "Imprimerie", "Pharmacie", "Jardins",
	"Carrosserie", "Peinture",
}

var deTrades = []string{
	"Maschinenbau", "Metallbau", "Elektrotechnik", "Haustechnik", "Sanitär",
	"Heizungsbau", "Bauunternehmen", "Spedition", "Logistik", "Autohaus",
	"Bäckerei", "Metzgerei", "Druckerei", "Steuerberatung", "Rechtsanwälte",
	"Immobilien", "Gebäudereinigung", "Gartenbau", "Landtechnik",
	"Kunststofftechnik", "Werkzeugbau", "Holzbau", "Dachdeckerei", "Malerbetrieb",
	"Fensterbau", "Anlagenbau", "Softwareentwicklung", "Systemhaus",
	"Medizintechnik", "Verpackungen", "Feinmechanik", "Stahlhandel", "Zahnarztpraxis",
	"Ingenieurbüro", "Sicherheitstechnik", "Fliesenleger",
}

var gbTrades = []string{
	"Logistics", "Engineering", "Construction", "Builders", "Plumbing & Heating",
	"Electrical Services", "Consulting", "Solicitors", "Accountants", "Haulage",
	"Joinery", "Roofing", "Catering", "Print", "Property Services", "Software",
	"Recruitment", "Facilities Management", "Landscapes", "Motors",
	"Precision Engineering", "Packaging", "Fabrications", "Architects",
	"Cleaning Services", "Scaffolding", "Estate Agents", "Dental Practice",
	"Veterinary Surgery", "Wholesale", "Interiors", "Security",
}

var frTrades = []string{
	"Conseil", "Transports", "Industrie", "Distribution", "Logistique", "Services",
	"Informatique", "Emballages", "Bâtiment", "Négoce",
}

var usTrades = []string{
	"Industries", "Logistics", "Solutions", "Technologies", "Manufacturing",
	"Supply", "Systems", "Partners", "Trading", "Consulting", "Capital",
}

// Made-up brand names are half of a word each, so a few dozen of each
// give thousands of names like "Technoplast" or "Euroline".
var brandHeads = []string{
	"Techno", "Euro", "Inter", "Holland", "Flex", "Multi", "Pro", "Top", "Eco",
	"Agri", "Metaal", "Data", "Net", "Solar", "Aqua", "Nova", "Prima", "Vita",
	"Sun", "Alpha", "Omni", "Trans", "Mega", "Quick", "Smart", "Green", "Blue",
	"Delta", "Rijn", "Maas", "Noord", "Zuid", "West", "Oost", "Polder", "Duin",
	"Hansa", "Rhein", "Nord", "Süd", "Alpen", "Britannia", "Albion", "Thames",
	"Cobalt", "Orion", "Vector", "Nexus", "Astra", "Terra", "Lumen", "Vario",
}

var brandTails = []string{
	"tec", "tech", "plan", "form", "line", "com", "soft", "ware", "vision",
	"point", "sys", "trans", "bouw", "log", "lux", "mark", "med", "print",
	"plast", "staal", "fix", "flow", "care", "link", "works", "serv", "trade",
	"port", "field", "gate",
}

var nlLegal = []string{"B.V.", "B.V.", "B.V.", "B.V.", "B.V.", "BV", "BV", "b.v.", "V.O.F.", "VOF", "N.V.", "", "", "", "", ""}
var beLegalNL = []string{"NV", "NV", "BV", "BV", "BVBA", "CommV", "VOF", "", "", ""}
var beLegalFR = []string{"SA", "SA", "SRL", "SRL", "SPRL", "SNC", "SCRL", "", "", ""}
var deLegal = []string{"GmbH", "GmbH", "GmbH", "GmbH", "GmbH & Co. KG", "GmbH & Co. KG", "KG", "AG", "OHG", "e.K.", "UG (haftungsbeschränkt)", ""}
var gbLegal = []string{"Ltd", "Ltd", "Ltd", "Ltd", "Limited", "Limited", "plc", "LLP", "", ""}
var frLegal = []string{"SARL", "SAS", "SAS", "SA", "EURL"}
var usLegal = []string{"Inc.", "Inc.", "LLC", "LLC", "Corp.", "Co."}

var nlJobs = []string{
	"Directeur", "Algemeen directeur", "Eigenaar", "DGA", "Inkoper", "Hoofd inkoop",
	"Office manager", "Administratief medewerker", "Financieel medewerker",
	"Crediteurenadministratie", "Boekhouder", "Controller", "Accountmanager",
	"Verkoper", "Binnendienst", "Buitendienst", "Werkvoorbereider", "Projectleider",
	"Planner", "Bedrijfsleider", "Magazijnchef", "HR-adviseur", "Receptioniste",
	"Secretaresse", "Managementassistent", "Calculator", "Uitvoerder", "Monteur",
	"ICT-beheerder", "Marketingmanager", "Commercieel directeur", "Vestigingsmanager",
	"Salarisadministratie", "Directeur/eigenaar", "Medewerker verkoop binnendienst",
}

var enJobs = []string{
	"Managing Director", "Director", "Purchasing Manager", "Buyer", "Office Manager",
	"Accounts Payable", "Accounts Receivable", "Finance Manager", "Financial Controller",
	"Sales Manager", "Account Manager", "Operations Manager", "Project Manager",
	"Receptionist", "PA to the MD", "IT Manager", "Procurement Officer",
	"Credit Controller", "Head of Facilities", "CEO", "CFO", "COO", "Owner",
}

var deJobs = []string{
	"Geschäftsführer", "Geschäftsführerin", "Einkäufer", "Einkaufsleiter",
	"Leiter Einkauf", "Buchhaltung", "Sachbearbeiterin", "Vertriebsleiter",
	"Außendienst", "Innendienst", "Prokurist", "Assistenz der Geschäftsleitung",
	"Projektleiter", "Technischer Leiter", "Teamleiter Logistik", "Kaufmännischer Leiter",
}

var frJobs = []string{
	"Gérant", "Directeur général", "Acheteur", "Responsable achats", "Comptable",
	"Assistante de direction", "Responsable commercial", "Chef de projet",
	"Directrice financière", "Secrétaire",
}

// Things people type into a phone field that are not phone numbers; the
// caller-ID directory must skip them instead of failing the sync. Some are
// the same everywhere, some depend on the language of the office.
var nonNumbers = []string{"-", "?", ".", "0000000000", "12345", "x", "TBD"}

var (
	nonNumbersNL = []string{"n.v.t.", "onbekend", "zie e-mail", "nvt", "geen", "volgt"}
	nonNumbersEN = []string{"n/a", "N/A", "TBC", "see email", "none"}
	nonNumbersDE = []string{"k.A.", "keine", "siehe E-Mail"}
	nonNumbersFR = []string{"néant", "voir e-mail", "n.c."}
)

var nlNotes = []string{
	"Liever bellen na 10:00", "Alleen per mail benaderen", "Werkt niet op vrijdag",
	"Facturen naar administratie", "Contactpersoon voor offertes", "Nieuwjaarskaart sturen",
	"Privé nummer niet doorgeven", "Spreekt ook Duits",
}

var enNotes = []string{
	"Prefers e-mail", "Part-time, Mon-Wed", "Send invoices to accounts",
	"Met at trade fair", "Do not call before 9am",
}

var deNotes = []string{
	"Bitte nur per E-Mail", "Ansprechpartner für Angebote", "Freitags nicht erreichbar",
}

var frNotes = []string{
	"Préfère le courriel", "Absent le mercredi", "Factures à la comptabilité",
}

var mailPrefixNL = []string{"info", "info", "info", "administratie", "sales", "contact", "office", "boekhouding", "facturen", "verkoop", "mail"}
var mailPrefixDE = []string{"info", "info", "info", "kontakt", "buchhaltung", "rechnung", "vertrieb", "office"}
var mailPrefixEN = []string{"info", "info", "accounts", "enquiries", "sales", "office", "hello"}
var mailPrefixFR = []string{"contact", "info", "compta", "accueil", "facturation"}

var privateMailNL = []string{"gmail.com", "hotmail.com", "outlook.com", "ziggo.nl", "kpnmail.nl", "live.nl", "planet.nl", "xs4all.nl"}
var privateMailBE = []string{"gmail.com", "telenet.be", "skynet.be", "hotmail.com", "proximus.be"}
var privateMailDE = []string{"gmail.com", "gmx.de", "web.de", "t-online.de", "outlook.de"}
var privateMailGB = []string{"gmail.com", "btinternet.com", "hotmail.co.uk", "outlook.com", "yahoo.co.uk"}
var privateMailFR = []string{"gmail.com", "orange.fr", "free.fr", "wanadoo.fr"}
var privateMailUS = []string{"gmail.com", "yahoo.com", "outlook.com", "aol.com"}

// Division users that created or last changed records.
var userNames = []string{
	"Anouk de Vries", "Mark Jansen", "Sanne Bakker", "Peter van Dijk", "Admin",
	"Ilse Mulder", "Jeroen Visser",
}
