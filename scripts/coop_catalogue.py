"""Writes the cooperation and analysis pages' Serbian catalogues (Latin, and Cyrillic
transliterated from it, so the two always say the same). Run after editing SR_LATN."""

from __future__ import annotations

import re
from pathlib import Path

import cyrtranslit

SR_LATN: dict[str, str] = {
    "Actions": "Radnje", "Active subscriptions": "Aktivne pretplate", "Agencies": "Službe",
    "Alcohol": "Alkohol", "Ammunition": "Municija", "Animals": "Životinje",
    "Asylum applications": "Zahtevi za azil", "Back to the records": "Nazad na zapise",
    "Border crossing point": "Granični prelaz",
    "Border crossing point (empty for the whole country)": "Granični prelaz (prazno za celu zemlju)",
    "Border crossing points": "Granični prelazi", "Border section": "Deo granice",
    "Bus": "Autobus", "CHED reference": "Broj CHED dokumenta",
    "CITES appendix or EU annex": "Dodatak CITES ili aneks EU", "Cancel": "Otkaži",
    "Car": "Automobil", "Carrier (company)": "Prevoznik (preduzeće)", "Carriers": "Prevoznici",
    "Cash and bearer instruments": "Gotovina i prenosivi instrumenti", "Change": "Promena",
    "Checks done": "Obavljene provere", "Cigarettes": "Cigarete",
    "Commodities (HS code prefixes)": "Roba (početak HS tarifne oznake)",
    "Commodity (HS code)": "Roba (HS tarifna oznaka)", "Company or carrier": "Preduzeće ili prevoznik",
    "Concealment": "Način skrivanja", "Consignee": "Primalac", "Consignor": "Pošiljalac",
    "Container": "Kontejner", "Cooperation": "Saradnja",
    "Cooperation between agencies": "Saradnja između službi",
    "Counterfeit goods": "Krivotvorena roba", "Country of origin (code)": "Zemlja porekla (oznaka)",
    "Criteria": "Kriterijumi", "Crossing point": "Prelaz", "Cultural objects": "Kulturna dobra",
    "Decision": "Odluka", "Description": "Opis", "Destination (country code)": "Odredište (oznaka zemlje)",
    "Destination countries": "Zemlje odredišta", "Details": "Pojedinosti", "Detected by": "Otkriveno",
    "Direction": "Smer", "Document fraud": "Prevara s dokumentima", "Document number": "Broj dokumenta",
    "Download CSV": "Preuzmi CSV", "Drug precursors": "Prekursori droga", "Drugs": "Droge",
    "Every criterion you fill in must hold; separate several values with commas.":
        "Svaki popunjen kriterijum mora biti ispunjen; više vrednosti odvojite zarezima.",
    "Explosives": "Eksplozivi", "FRAN indicators": "FRAN pokazatelji",
    "Facilitation of irregular migration / trafficking in human beings":
        "Pomaganje neregularnih migracija / trgovina ljudima",
    "Facilitators": "Krijumčari migranata", "False-document users": "Korisnici lažnih dokumenata",
    "Feed and food of non-animal origin": "Hrana i hrana za životinje neživotinjskog porekla",
    "Firearms and parts": "Vatreno oružje i delovi", "Flags": "Oznake", "Flight": "Let",
    "Flight of interest": "Let od interesa", "Found": "Pronađeno", "Fuel": "Gorivo", "Goods": "Roba",
    "HS/CN commodity code": "HS/KN tarifna oznaka", "Hazardous substances": "Opasne materije",
    "Hit rate": "Stopa pogodaka",
    "Hit rate of each risk profile (share of flags where something was found)":
        "Stopa pogodaka svakog profila rizika (udeo oznaka kod kojih je nešto pronađeno)",
    "If not acceptable: action": "Ako nije prihvatljivo: mera",
    "Illegal border-crossing at BCPs (clandestine entry)":
        "Nezakonit prelazak na graničnim prelazima (skriveni ulazak)",
    "Illegal border-crossing between BCPs": "Nezakonit prelazak van graničnih prelaza",
    "Illegal stay": "Nezakonit boravak", "Impact level": "Nivo uticaja", "Incident": "Incident",
    "Incidents": "Incidenti", "Indicator": "Pokazatelj",
    "Inspection of a consignment": "Pregled pošiljke", "Kind": "Vrsta",
    "Links to other records": "Veze s drugim zapisima", "Lorry": "Kamion",
    "Mark as read": "Označi kao pročitano", "Means of transport": "Prevozno sredstvo",
    "Message": "Poruka", "Month": "Mesec",
    "Monthly report over all agencies: FRAN indicators, seizures, incidents, refusals, risk profiles, trends, CIRAM.":
        "Mesečni izveštaj svih službi: FRAN pokazatelji, zaplene, incidenti, odbijanja, profili rizika, kretanja, CIRAM.",
    "Name": "Naziv", "Naming": "Navodi", "Nationalities": "Državljanstva",
    "Nationalities (codes, separated by commas)": "Državljanstva (oznake, odvojene zarezima)",
    "Net weight (kg)": "Neto masa (kg)", "New risk profile": "Novi profil rizika",
    "No incidents in this period.": "Nema incidenata u ovom periodu.",
    "No links found among the records you may see.": "Nema veza među zapisima koje smete da vidite.",
    "No risk-profile flags in this period.": "Nema oznaka profila rizika u ovom periodu.",
    "No seizures in this period.": "Nema zaplena u ovom periodu.",
    "No unread notifications.": "Nema nepročitanih obaveštenja.", "None.": "Nema.",
    "Notes": "Napomene", "Nothing found": "Ništa nije pronađeno", "Notifications": "Obaveštenja",
    "Origin (country code)": "Poreklo (oznaka zemlje)", "Origin countries": "Zemlje porekla",
    "Other cross-border crime": "Drugi prekogranični kriminal", "Other goods": "Ostala roba",
    "Over the EUROSUR threshold": "Iznad praga EUROSUR", "Owner": "Vlasnik", "Parcel": "Paket",
    "Pedestrian": "Pešak", "Person": "Lice", "Persons": "Lica", "Phone number": "Broj telefona",
    "Place": "Mesto", "Plants and plant products": "Bilje i biljni proizvodi",
    "Plate, flight or vessel": "Tablice, let ili plovilo", "Pressure": "Pritisak",
    "Printable report (PDF)": "Izveštaj za štampu (PDF)",
    "Products of animal origin": "Proizvodi životinjskog porekla", "Profile": "Profil",
    "Protected animals and plants (CITES)": "Zaštićene životinje i biljke (CITES)",
    "Quantity": "Količina", "Quantity, in the unit shown": "Količina, u prikazanoj jedinici",
    "Raw tobacco": "Sirovi duvan", "Reasons for refusal": "Razlozi odbijanja", "Record": "Zapis",
    "Records found": "Pronađeni zapisi", "Records linked to this one": "Zapisi povezani s ovim",
    "Records you may see": "Zapisi koje smete da vidite", "Reference": "Oznaka",
    "Refusals of entry": "Odbijanja ulaska", "Retire": "Povuci", "Returns": "Vraćanja",
    "Risk analysis": "Analiza rizika", "Risk profiles": "Profili rizika",
    "Risk profiles written by several agencies, with the hit rate of each.":
        "Profili rizika koje pišu različite službe, sa stopom pogodaka svakog.",
    "Route (origin>destination)": "Ruta (poreklo>odredište)", "Save": "Sačuvaj",
    "Save the profile": "Sačuvaj profil", "Search": "Pretraga", "Search and rescue": "Traganje i spasavanje",
    "Seizure": "Zaplena", "Seizures": "Zaplene", "Seizures by goods": "Zaplene po vrsti robe",
    "Seizures, inspections, incidents and cases shared between border police, customs and the inspections; your notifications.":
        "Zaplene, pregledi, incidenti i predmeti koje dele granična policija, carina i inspekcije; vaša obaveštenja.",
    "Serial numbers (weapons), separated by commas": "Serijski brojevi (oružje), odvojeni zarezima",
    "Share": "Udeo", "Share with every agency": "Podeli sa svim službama", "Shared with": "Podeljeno sa",
    "Shift": "Smena", "Show": "Prikaži", "Since": "Od", "Smuggling of goods": "Krijumčarenje robe",
    "Species": "Vrsta (biološka)", "Subscribe": "Pretplati se", "Subscriptions": "Pretplate",
    "Substance (drugs and precursors)": "Supstanca (droge i prekursori)", "Summary": "Sažetak",
    "Tell the shift at": "Obavesti smenu na", "Threat": "Pretnja",
    "Threat from each section's share of the pressure over the last three months; vulnerability and impact are the analysts' assessment.":
        "Pretnja prema udelu svakog dela granice u pritisku tokom poslednja tri meseca; ranjivost i uticaj procenjuju analitičari.",
    "Threat per border section (CIRAM)": "Pretnja po delovima granice (CIRAM)", "Time": "Vreme",
    "Trafficking or smuggling case": "Predmet trgovine ljudima ili krijumčarenja",
    "Train": "Voz", "Trends": "Kretanja", "Twelve months": "Dvanaest meseci",
    "Type of consignment (CHED)": "Vrsta pošiljke (CHED)", "Type of incident": "Vrsta incidenta",
    "UN number (dangerous goods)": "UN broj (opasna roba)",
    "Unauthorised border crossing": "Neovlašćen prelazak granice", "Urgent": "Hitno",
    "Urgent notice to the shift at the crossing point": "Hitno obaveštenje smeni na prelazu",
    "Value": "Vrednost", "Vehicle (plate)": "Vozilo (tablice)", "Vehicle plate": "Registarske tablice",
    "Vehicle plates starting with": "Tablice koje počinju sa", "Version": "Verzija",
    "Vessel": "Plovilo", "Vessel of interest": "Plovilo od interesa", "What": "Šta",
    "What the officer is told": "Šta se saopštava službeniku", "What they share": "Šta im je zajedničko",
    "When": "Kada", "When (local time)": "Kada (lokalno vreme)", "Why": "Zašto",
    "Written together with": "Zajedno sa",
    "Your agency is told when another agency records something that names what you subscribe to.":
        "Vaša služba dobija obaveštenje kada druga služba zabeleži nešto što navodi ono na šta ste pretplaćeni.",
    "acceptable_internal_market": "prihvatljivo za unutrašnje tržište",
    "acceptable_onward_transportation": "prihvatljivo za dalji prevoz",
    "acceptable_temporary_admission": "prihvatljivo za privremeni uvoz",
    "acceptable_transit": "prihvatljivo za tranzit", "all": "sve", "bcp": "granični prelaz",
    "bcp_check": "kontrola na prelazu", "between crossing points": "između graničnih prelaza",
    "both": "oba", "carrier": "prevoznik", "commodity": "roba", "company": "preduzeće",
    "destination": "odredište", "destruction": "uništenje", "direction": "smer",
    "document": "dokument", "documentary": "provera dokumenata", "entry": "ulaz",
    "entry_refusal": "odbijanje ulaska", "euthanasia": "eutanazija", "exit": "izlaz",
    "high": "visok", "hit rate": "stopa pogodaka", "hours": "sati", "identity": "provera identiteta",
    "incidents": "incidenti", "industrial_processing": "industrijska prerada",
    "invasive_species": "invazivne vrste", "laboratory": "laboratorijsko ispitivanje", "low": "nizak",
    "medium": "srednji", "nationality": "državljanstvo", "not done": "nije obavljeno",
    "not_acceptable": "nije prihvatljivo", "not_satisfactory": "nezadovoljavajuće",
    "of whom minors": "od toga maloletnih", "origin": "poreklo", "other": "drugo",
    "other_use": "druga namena", "over the EUROSUR threshold": "iznad praga EUROSUR",
    "pending": "u toku", "person": "lice", "persons": "lica", "phone": "telefon",
    "physical": "fizički pregled", "quarantine": "karantin", "re_dispatch": "vraćanje pošiljaocu",
    "ref": "oznaka zapisa", "refusals": "odbijanja", "retired": "povučen", "route": "ruta",
    "satisfactory": "zadovoljavajuće", "seizures": "zaplene", "slaughter": "klanje",
    "special_treatment": "posebna obrada", "surveillance": "nadzor granice",
    "the whole agency": "cela služba", "this month": "ovaj mesec", "treatment": "tretman",
    "urgent": "hitno", "vehicle": "vozilo", "vehicle_plate_prefix": "početak tablica",
    "very_high": "veoma visok", "welfare": "dobrobit životinja",
    "Trafficking in human beings": "Trgovina ljudima", "Migrant smuggling": "Krijumčarenje migranata",
}

# Codes and abbreviations that stay in Latin letters in the Cyrillic catalogue.
KEEP = re.compile(r"\b(?:CHED|CITES|EUROSUR|FRAN|CIRAM|CSV|PDF|HS|UN|EU|KN)\b")

HEADER = '''# Granica {what} page messages ({lang}). {how}
# Licensed under the EUPL-1.2.
msgid ""
msgstr ""
"Project-Id-Version: Granica 0.1\\n"
"Language: {code}\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=utf-8\\n"
"Content-Transfer-Encoding: 8bit\\n"
"Plural-Forms: nplurals=3; plural=n % 10 == 1 && n % 100 != 11 ? 0 : n % 10 >= 2 && n % 10 <= 4 && (n % 100 < 12 || n % 100 > 14) ? 1 : 2;\\n"

'''


def to_cyrillic(text: str) -> str:
    kept: list[str] = []

    def hold(m: re.Match[str]) -> str:
        kept.append(m.group(0))
        return f"\x00{len(kept) - 1}\x00"

    held = KEEP.sub(hold, text)
    out = cyrtranslit.to_cyrillic(held, "sr")
    return re.sub("\x00(\\d+)\x00", lambda m: kept[int(m.group(1))], out)


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write(root: Path) -> None:
    for code, lang, convert, how in (
            ("sr_Latn", "sr-Latn", lambda s: s, "Edit scripts/coop_catalogue.py, not this file."),
            ("sr_Cyrl", "sr-Cyrl", to_cyrillic, "Transliterated from sr-Latn by "
             "scripts/coop_catalogue.py.")):
        path = root / "granica" / "cooperation" / "locale" / lang / "LC_MESSAGES" / "cooperation.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        body = [HEADER.format(what="cooperation and analysis", lang=lang, how=how, code=code)]
        for msgid in sorted(SR_LATN):
            body.append(f"msgid {quote(msgid)}\nmsgstr {quote(convert(SR_LATN[msgid]))}\n\n")
        path.write_text("".join(body), encoding="utf-8")


if __name__ == "__main__":
    write(Path(__file__).resolve().parent.parent)
