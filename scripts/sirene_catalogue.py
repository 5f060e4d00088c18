"""Writes the SIRENE pages' Serbian catalogues (Latin, and Cyrillic transliterated from it,
so the two always say the same; codes such as SIRENE, UTC, ST001 and the form letters stay
in Latin). Run after editing SR_LATN: `.venv/bin/python scripts/sirene_catalogue.py`."""

from __future__ import annotations

import re
from pathlib import Path

import cyrtranslit

SR_LATN: dict[str, str] = {
"Action taken": "Preduzeta radnja",
"Add the note": "Dodaj belešku",
"Answer due": "Rok za odgovor",
"Answer this form": "Odgovori na ovaj obrazac",
"Answered": "Odgovoreno",
"Answers": "Odgovara na",
"Answers are overdue: answer them first, or tell the head of the shift.": "Rokovi za odgovore su istekli: prvo odgovorite na njih ili obavestite šefa smene.",
"Answers due, overdue and escalated in this shift, and forms waiting for another bureau.": "Odgovori koji dospevaju, kasne ili su eskalirani u ovoj smeni i obrasci koji čekaju drugi biro.",
"Answers given late": "Odgovori dati sa zakašnjenjem",
"Answers given within the deadline": "Odgovori dati u roku",
"Answers still open": "Odgovori koji još nisu dati",
"Answers the form": "Odgovor na obrazac",
"Arrest data (European arrest warrant or extradition)": "Podaci o hapšenju (evropski nalog za hapšenje ili izručenje)",
"Attachments": "Prilozi",
"Attachments (at most %(n)s files, %(mb)s MB in all)": "Prilozi (najviše %(n)s datoteka, ukupno %(mb)s MB)",
"Back to the cases": "Nazad na predmete",
"Bureau": "Biro",
"Case": "Predmet",
"Circumstances": "Okolnosti",
"Close the case": "Zatvori predmet",
"Counts": "Brojevi",
"Cross-border surveillance (CISA Art 40)": "Prekogranično praćenje (CISA, čl. 40)",
"Data wrong or unlawfully stored": "Netačni ili nezakonito čuvani podaci",
"Date of birth": "Datum rođenja",
"Date of the consent": "Datum pristanka",
"Date of the evidence (sent within 10 days of it)": "Datum dokaza (šalje se u roku od 10 dana od njega)",
"Delivery": "Isporuka",
"Direction": "Smer",
"Document serial number": "Serijski broj isprave",
"Download as CSV": "Preuzmi kao CSV",
"Due": "Dospeva",
"EAW sequence number": "Redni broj evropskog naloga za hapšenje",
"Escalated": "Eskalirano",
"Europol dissemination code": "Evropolova oznaka za dostavljanje",
"Evidence": "Dokaz",
"Fields marked * are mandatory.": "Polja označena sa * su obavezna.",
"Fingerprints or pictures sent for identification": "Otisci prstiju ili fotografije poslati radi identifikacije",
"Firearm serial number": "Serijski broj vatrenog oružja",
"Flag request": "Zahtev za označavanje",
"Forename": "Ime",
"Form": "Obrazac",
"Form sent": "Obrazac je poslat",
"Forms": "Obrasci",
"Forms per form and country, hits and reply times against the deadlines.": "Obrasci po vrsti i zemlji, pogoci i vreme odgovora u odnosu na rokove.",
"Forms sent and received, by form": "Poslati i primljeni obrasci, po vrsti",
"From": "Od",
"Ground": "Osnov",
"Header": "Zaglavlje",
"Hit on a refusal of entry alert: transit was allowed": "Pogodak po upozorenju o zabrani ulaska: tranzit je dozvoljen",
"Hit report: the person or object was found, and the action taken": "Izveštaj o pogotku: lice ili predmet je pronađen i preduzeta je radnja",
"Hits taken up": "Preuzeti pogoci",
"How to tell the victim from the wanted person": "Kako razlikovati žrtvu od traženog lica",
"Important": "Važno",
"Issuing country": "Zemlja koja je izdala upozorenje",
"Keywords": "Ključne reči",
"Last change": "Poslednja izmena",
"Median time to answer (minutes)": "Medijana vremena do odgovora (minuti)",
"Miscellaneous information, replies and notices": "Razne informacije, odgovori i obaveštenja",
"Misused identity: the victim's data for the alert's extension": "Zloupotrebljeni identitet: podaci o žrtvi za dopunu upozorenja",
"N (meaning not confirmed for the recast)": "N (značenje nije potvrđeno za novi pravni okvir)",
"Nationalities": "Državljanstva",
"New note": "Nova beleška",
"No cases found.": "Nije pronađen nijedan predmet.",
"No forms yet.": "Još nema obrazaca.",
"No notes.": "Nema beležaka.",
"Notes": "Beleške",
"Nothing here.": "Ovde nema ničega.",
"Notice": "Obaveštenje",
"Now": "Sada",
"Number": "Broj",
"O (meaning not confirmed for the recast)": "O (značenje nije potvrđeno za novi pravni okvir)",
"Offence category": "Kategorija krivičnog dela",
"Officer on the case": "Službenik na predmetu",
"Only a European arrest warrant": "Samo evropski nalog za hapšenje",
"Open the form": "Otvori obrazac",
"Opened": "Otvoren",
"Overdue": "Kasni",
"P (meaning not confirmed for the recast)": "P (značenje nije potvrđeno za novi pravni okvir)",
"Reason for the alert": "Razlog upozorenja",
"Print (PDF)": "Štampaj (PDF)",
"Received": "Primljeno",
"Tasks": "Zadaci",
"Task": "Zadatak",
"No tasks.": "Nema zadataka.",
"New task": "Novi zadatak",
"Deadline (local time)": "Rok (lokalno vreme)",
"Officer (user name)": "Službenik (korisničko ime)",
"Add the task": "Dodaj zadatak",
"Done": "Urađeno",
"done": "urađeno",
"due": "rok",
"Refresh": "Osveži",
"Registration number": "Registarski broj",
"Remarks": "Napomene",
"Reopen the case": "Ponovo otvori predmet",
"Request": "Zahtev",
"Request for further information": "Zahtev za dodatne informacije",
"Request to the issuing bureau": "Zahtev birou koji je izdao upozorenje",
"Request to use data for another purpose": "Zahtev za korišćenje podataka u drugu svrhu",
"Requesting authority": "Organ koji podnosi zahtev",
"SIRENE cases": "Predmeti SIRENE",
"SIRENE duty board": "Dežurna tabla SIRENE",
"SIRENE statistics": "Statistika SIRENE",
"Schengen identifier": "Šengenski identifikator",
"Schengen identifier and article of the alert": "Šengenski identifikator i član upozorenja",
"Search": "Pretraži",
"Search (reference, Schengen identifier, name, words of the forms)": "Pretraga (broj, šengenski identifikator, ime, reči iz obrazaca)",
"Send a form": "Pošalji obrazac",
"Send the form": "Pošalji obrazac",
"Sent": "Poslato",
"Sex": "Pol",
"Shift": "Smena",
"Short account of the facts": "Kratak opis činjenica",
"State": "Stanje",
"Subject": "Predmet",
"Surname": "Prezime",
"Take the case": "Preuzmi predmet",
"Target states of a geographic search (ST001 codes)": "Ciljane države geografske pretrage (ST001 oznake)",
"Text": "Tekst",
"The bureau has taken up your hit report. This page shows how the exchange with the issuing country stands; the forms' content stays with the bureau.": "Biro je preuzeo vaš izveštaj o pogotku. Ova stranica pokazuje dokle je stigla razmena sa zemljom koja je izdala upozorenje; sadržaj obrazaca ostaje u birou.",
"The bureau's cases: search them, read their forms, answer.": "Predmeti biroa: pretražite ih, čitajte obrasce, odgovarajte.",
"The other bureau's answer is due within %(hours)s hours (at once when urgent).": "Drugi biro treba da odgovori u roku od %(hours)s sati (odmah kada je hitno).",
"The other purpose": "Druga svrha",
"The victim gave explicit consent": "Žrtva je dala izričit pristanak",
"There is no such form; choose one from the list.": "Takav obrazac ne postoji; izaberite jedan sa spiska.",
"Time of the form": "Vreme obrasca",
"Vehicle identification number": "Identifikacioni broj vozila",
"Victim's date of birth": "Datum rođenja žrtve",
"Victim's forename": "Ime žrtve",
"Victim's identity document (type, number, country)": "Isprava žrtve (vrsta, broj, zemlja)",
"Victim's surname": "Prezime žrtve",
"Waiting for the other bureau": "Čeka se drugi biro",
"What is asked": "Šta se traži",
"What is sent": "Šta se šalje",
"When the hit happened (UTC)": "Kada se pogodak dogodio (UTC)",
"Where": "Gde",
"Where (crossing point, office or place)": "Gde (granični prelaz, kancelarija ili mesto)",
"Which data are wrong or unlawfully stored": "Koji su podaci netačni ili nezakonito čuvani",
"Why it is urgent (required with URGENT)": "Zašto je hitno (obavezno uz URGENT)",
"Why the action cannot be executed": "Zašto radnja ne može da se izvrši",
"Why transit was allowed": "Zašto je tranzit dozvoljen",
"Your hit at the SIRENE Bureau": "Vaš pogodak u birou SIRENE",
"all": "sve",
"answered late": "odgovoreno sa zakašnjenjem",
"closed": "zatvoren",
"delivered": "isporučeno",
"form": "obrazac",
"in progress": "u radu",
"layout not confirmed": "izgled nije potvrđen",
"new": "nov",
"no": "ne",
"not yet": "još ne",
"overdue": "kasni",
"pending": "čeka isporuku",
"received": "primljeno",
"refused": "odbijeno",
"sent": "poslato",
"the alert": "upozorenje",
"to": "za",
"urgent": "hitno",
"waiting for the other bureau": "čeka se drugi biro",
"yes": "da",
}

KEPT = re.compile(r"%\(\w+\)s|\b(?:SIRENE|EAW|UTC|CISA|ST001|PDF|CSV|URGENT|MB|EU|[A-Z])\b")
LOCALE = Path(__file__).resolve().parent.parent / "granica" / "sirene" / "locale"


def to_cyrillic(text: str) -> str:
    kept: list[str] = []

    def hold(match: re.Match[str]) -> str:
        kept.append(match.group(0))
        return f"\x00{len(kept) - 1}\x00"

    held = cyrtranslit.to_cyrillic(KEPT.sub(hold, text), "sr")
    return re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], held)


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def write(language: str, convert: object) -> None:
    lines = [f"# Granica SIRENE page messages ({language}), written by scripts/sirene_catalogue.py.",
             "# Licensed under the EUPL-1.2.", 'msgid ""', 'msgstr ""',
             '"Content-Type: text/plain; charset=utf-8\\n"', f'"Language: {language}\\n"', ""]
    for key in sorted(SR_LATN):
        value = convert(SR_LATN[key]) if callable(convert) else SR_LATN[key]
        lines += [f'msgid "{_quoted(key)}"', f'msgstr "{_quoted(value)}"', ""]
    path = LOCALE / language / "LC_MESSAGES" / "sirene.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    write("sr-Latn", None)
    write("sr-Cyrl", to_cyrillic)
