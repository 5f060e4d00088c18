"""Synthetic alerts for demos and benchmarks: every category, Serbian names in both scripts and
foreign names, and object identifiers that pass their own checks (VIN check digit, ISO 6346
container check digit, plates, document numbers, firearm serial + make + calibre, banknotes).

The output has the import shape (one dict per alert), is deterministic for a seed and
contains no real person's data.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

from granica import clock
from granica.sis.categories import CATEGORIES, OBJECT_CATEGORIES, PERSON_CATEGORIES, Category

SR_MALE = ("Marko", "Nikola", "Stefan", "Luka", "Milan", "Nemanja", "Đorđe", "Aleksandar", "Dušan",
           "Miloš", "Vladimir", "Jovan", "Petar", "Dragan", "Zoran", "Goran", "Dejan", "Bojan",
           "Ivan", "Srđan", "Slobodan", "Žarko", "Ljubomir", "Radovan", "Vuk", "Branislav",
           "Nenad", "Predrag", "Miroslav", "Uroš", "Filip", "Lazar", "Ognjen", "Čedomir", "Đurađ")
SR_FEMALE = ("Jelena", "Milica", "Ana", "Marija", "Jovana", "Ivana", "Dragana", "Snežana",
             "Ljiljana", "Tijana", "Sanja", "Gordana", "Nataša", "Vesna", "Biljana", "Teodora",
             "Katarina", "Mirjana", "Svetlana", "Anđela", "Dušica", "Zorica", "Jasmina", "Nevena",
             "Tamara", "Branka", "Olivera", "Slađana", "Željka", "Ružica", "Ljubica", "Danijela")
SR_SURNAMES = ("Jovanović", "Petrović", "Nikolić", "Marković", "Đorđević", "Stojanović", "Ilić",
               "Stanković", "Pavlović", "Milošević", "Popović", "Đukić", "Živković", "Todorović",
               "Kostić", "Ristić", "Lazić", "Kovačević", "Savić", "Mitrović", "Obradović",
               "Stevanović", "Ćirić", "Vasić", "Tomić", "Janković", "Radovanović", "Lukić",
               "Šarić", "Mladenović", "Simić", "Nedeljković", "Vuković", "Ljubisavljević",
               "Njegovan", "Džajić", "Čolić", "Grujić", "Bošković", "Krstić", "Filipović",
               "Aleksić", "Zdravković", "Milovanović", "Babić", "Knežević", "Antić", "Perić",
               "Ranković", "Gavrilović", "Veljković", "Milenković", "Stojković", "Šćepanović")
FOREIGN = {
    # nationality: (male forenames, female forenames, surnames)
    "DE": (("Thomas", "Michael", "Jürgen", "Stefan", "Lukas"), ("Anna", "Sabine", "Katrin", "Jülia"),
           ("Müller", "Schmidt", "Schneider", "Fischer", "Weiß", "Schäfer", "Köhler")),
    "FR": (("Jean", "Pierre", "François", "Luc"), ("Marie", "Camille", "Élodie"),
           ("Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Girard")),
    "AL": (("Arben", "Besnik", "Gëzim", "Driton"), ("Arta", "Blerta", "Drita"),
           ("Hoxha", "Krasniqi", "Berisha", "Gashi", "Shehu", "Kelmendi")),
    "RO": (("Andrei", "Ionuț", "Mihai", "Ștefan"), ("Ioana", "Elena", "Andreea"),
           ("Popescu", "Ionescu", "Dumitrescu", "Stănescu", "Constantinescu")),
    "HU": (("László", "István", "Gábor", "Zoltán"), ("Katalin", "Erzsébet", "Zsófia"),
           ("Nagy", "Kovács", "Tóth", "Szabó", "Horváth", "Varga")),
    "BG": (("Georgi", "Dimitar", "Ivaylo"), ("Desislava", "Mariya", "Radka"),
           ("Georgiev", "Dimitrov", "Ivanov", "Petkov", "Todorova")),
    "TR": (("Mehmet", "Mustafa", "Ahmet", "Hüseyin"), ("Ayşe", "Fatma", "Zeynep"),
           ("Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Öztürk")),
    "SY": (("Mohammed", "Ahmad", "Abdullah", "Omar", "Khaled"), ("Fatima", "Aisha", "Mariam"),
           ("Al-Hassan", "Haddad", "Khoury", "Al Masri", "Abdel Rahman", "Nasser")),
    "AF": (("Ahmad Shah", "Mohammad", "Abdul Karim", "Farid"), ("Zahra", "Maryam", "Fereshta"),
           ("Ahmadzai", "Rahimi", "Karimi", "Noori", "Hotak")),
    "UA": (("Oleksandr", "Andriy", "Serhiy", "Yuriy"), ("Olena", "Iryna", "Oksana"),
           ("Shevchenko", "Kovalenko", "Bondarenko", "Tkachenko", "Kravchenko")),
    "RU": (("Sergey", "Dmitriy", "Aleksey"), ("Natalya", "Yekaterina", "Olga"),
           ("Ivanov", "Smirnov", "Kuznetsov", "Popov", "Sokolov")),
    "CN": (("Wei", "Jun", "Lei"), ("Li Na", "Xiu Ying", "Mei"), ("Wang", "Li", "Zhang", "Liu", "Chen")),
    "BA": (("Adnan", "Emir", "Haris", "Mirza"), ("Amra", "Lejla", "Selma"),
           ("Hodžić", "Hadžić", "Begić", "Delić", "Mehmedović")),
}
_CYR = {"Lj": "Љ", "LJ": "Љ", "lj": "љ", "Nj": "Њ", "NJ": "Њ", "nj": "њ", "Dž": "Џ", "DŽ": "Џ",
        "dž": "џ"}
_CYR1 = dict(zip("ABVGDĐEŽZIJKLMNOPRSTĆUFHCČŠabvgdđežzijklmnoprstćufhcčš",
                 "АБВГДЂЕЖЗИЈКЛМНОПРСТЋУФХЦЧШабвгдђежзијклмнопрстћуфхцчш"))
SR_CITIES = ("Beograd", "Novi Sad", "Niš", "Kragujevac", "Subotica", "Zrenjanin", "Pančevo",
             "Čačak", "Kraljevo", "Smederevo", "Leskovac", "Užice", "Vranje", "Šabac", "Sombor")
FIREARMS = (("Zastava", ("9x19mm", "7.62x39mm", "7.65mm", ".22 LR")), ("Glock", ("9x19mm", ".40 S&W")),
            ("Beretta", ("9x19mm", "12/70")), ("CZ", ("9x19mm", "7.65mm")),
            ("Heckler & Koch", ("9x19mm", "5.56x45mm")), ("Smith & Wesson", (".38 Special", ".357 Magnum")),
            ("Kalashnikov", ("7.62x39mm", "5.45x39mm")), ("Walther", ("9x19mm", ".22 LR")))
VEHICLES = (("Volkswagen", "Golf", "WVW"), ("Volkswagen", "Passat", "WVW"), ("BMW", "X5", "WBA"),
            ("Mercedes-Benz", "E 220", "WDB"), ("Audi", "A6", "WAU"), ("Škoda", "Octavia", "TMB"),
            ("Toyota", "RAV4", "JTM"), ("Renault", "Clio", "VF1"), ("Fiat", "500L", "ZFA"),
            ("Zastava", "Yugo", "VX1"), ("Ford", "Focus", "WF0"), ("Peugeot", "308", "VF3"))
PLATE_CITIES = ("BG", "NS", "NI", "KG", "SU", "ZR", "PA", "ČA", "KV", "SD", "LE", "UE", "VR", "ŠA")
COUNTRIES = ("DE", "FR", "IT", "AT", "HU", "RO", "BG", "HR", "SI", "GR", "NL", "PL", "CZ", "ES")
AUTHORITIES = ("Viši sud u Beogradu", "Osnovni sud u Novom Sadu", "Ministarstvo unutrašnjih poslova",
               "Uprava kriminalističke policije", "Uprava granične policije", "Tužilaštvo za organizovani kriminal")


def to_cyrillic(text: str) -> str:
    """Serbian Latin to Cyrillic (digraphs lj, nj, dž first)."""
    for lat, cyr in _CYR.items():
        text = text.replace(lat, cyr)
    return "".join(_CYR1.get(ch, ch) for ch in text)


# --- identifiers that pass their own checks -----------------------------------------------------

_VIN_VALUES = {**{str(d): d for d in range(10)},
               **dict(zip("ABCDEFGH", range(1, 9))), **dict(zip("JKLMN", range(1, 6))), "P": 7, "R": 9,
               **dict(zip("STUVWXYZ", range(2, 10)))}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


def vin_check_digit(vin: str) -> str:
    """ISO 3779 / FMVSS 115 check digit (position 9)."""
    total = sum(_VIN_VALUES[ch] * w for ch, w in zip(vin, _VIN_WEIGHTS))
    rest = total % 11
    return "X" if rest == 10 else str(rest)


def make_vin(rng: random.Random, wmi: str) -> str:
    body = wmi + "".join(rng.choice(_VIN_CHARS) for _ in range(5)) + "0" + \
        rng.choice("ABCDEFGHJKLMNPRSTVWXY123456789") + rng.choice(_VIN_CHARS) + \
        "".join(rng.choice("0123456789") for _ in range(6))
    return body[:8] + vin_check_digit(body) + body[9:]


def container_check_digit(code10: str) -> str:
    """ISO 6346: letters valued 10.. skipping multiples of 11, weights 2^i, mod 11 mod 10."""
    values: dict[str, int] = {}
    v = 10
    for ch in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        if v % 11 == 0:
            v += 1
        values[ch] = v
        v += 1
    total = sum((values[ch] if ch.isalpha() else int(ch)) * (2 ** i) for i, ch in enumerate(code10))
    return str(total % 11 % 10)


def make_container(rng: random.Random) -> str:
    code = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(3)) + "U" + \
        "".join(rng.choice("0123456789") for _ in range(6))
    return code + container_check_digit(code)


def make_plate(rng: random.Random, country: str) -> str:
    if country == "RS":
        return f"{rng.choice(PLATE_CITIES)} {rng.randint(100, 9999)}-{rng.choice('ABCDEFGHIJKLMNOPRSTUVZ')}{rng.choice('ABCDEFGHIJKLMNOPRSTUVZ')}"
    if country == "DE":
        return f"{rng.choice(('B', 'M', 'HH', 'K', 'F', 'S'))}-{rng.choice('ABCDEFGHKLMNPRSTUVWXYZ')}{rng.choice('ABCDEFGHKLMNPRSTUVWXYZ')} {rng.randint(1, 9999)}"
    return "".join(rng.choice("ABCDEFGHJKLMNPRSTVWXYZ") for _ in range(2)) + "-" + \
        f"{rng.randint(100, 999)}-" + "".join(rng.choice("ABCDEFGHJKLMNPRSTVWXYZ") for _ in range(2))


def make_document_number(rng: random.Random, country: str) -> str:
    if country == "RS":
        return f"{rng.randint(0, 999_999_999):09d}"
    return "".join(rng.choice("CFGHJKLMNPRTVWXYZ") for _ in range(2)) + \
        "".join(rng.choice("0123456789CFGHJKLMNPRTVWXYZ") for _ in range(7))


def make_banknote_serial(rng: random.Random) -> tuple[str, str, str]:
    """Euro series 2 serial: printer letter, country letter, 10 digits; digit sum rule of the series
    (letters as their alphabet position, whole sum mod 9 == 7) holds."""
    letters = rng.choice("EMNPRSUVWXYZ") + rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    digits = [rng.randint(0, 9) for _ in range(9)]
    base = sum(ord(c) - 64 for c in letters) + sum(digits)
    last = (7 - base) % 9
    serial = letters + "".join(map(str, digits)) + str(last)
    return serial, "EUR", rng.choice(("20", "50", "100", "200", "500"))


# --- people ----------------------------------------------------------------------------------

def _dob(rng: random.Random, today: dt.date, child: bool = False) -> str:
    age_days = rng.randint(2 * 365, 16 * 365) if child else rng.randint(18 * 365, 80 * 365)
    day = today - dt.timedelta(days=age_days)
    r = rng.random()
    if r < 0.03:
        return str(day.year)
    if r < 0.05:
        return day.isoformat()[:7]
    return day.isoformat()


def _person_data(rng: random.Random, cat: Category, today: dt.date) -> dict[str, Any]:
    sex = rng.choice("MF")
    if rng.random() < 0.6:
        nat = ["RS"]
        forename = rng.choice(SR_MALE if sex == "M" else SR_FEMALE)
        surname = rng.choice(SR_SURNAMES)
        cyrillic = rng.random() < 0.4
        if cyrillic:
            forename, surname = to_cyrillic(forename), to_cyrillic(surname)
        place = rng.choice(SR_CITIES)
        if rng.random() < 0.1:
            nat.append(rng.choice(("BA", "ME", "HR", "HU")))
    else:
        code = rng.choice(list(FOREIGN))
        males, females, surnames = FOREIGN[code]
        nat = [code]
        forename = rng.choice(males if sex == "M" else females)
        surname = rng.choice(surnames)
        if sex == "F" and surname.endswith(("ev", "ov")):
            surname += "a"
        place = ""
    child = cat.code.startswith("prevent_travel_child") or (cat.code.startswith("missing") and rng.random() < 0.5)
    data: dict[str, Any] = {
        "surname": surname, "forenames": forename, "sex": sex, "nationalities": nat,
        "date_of_birth": _dob(rng, today, child),
        "reason": f"{cat.label}: decision of the competent authority",
        "issuing_authority": rng.choice(AUTHORITIES),
    }
    if place:
        data["place_of_birth"] = place
    if rng.random() < 0.15:
        alias_sur = rng.choice(SR_SURNAMES) if nat[0] == "RS" else surname
        data["aliases"] = [f"{forename} {alias_sur}"]
    if sex == "F" and rng.random() < 0.2 and nat[0] == "RS":
        data["names_at_birth"] = [rng.choice(SR_SURNAMES)]
    if rng.random() < 0.5:
        doc_country = nat[0]
        data["identity_documents"] = [{"type": rng.choice(("passport", "identity_card")),
                                       "number": make_document_number(rng, doc_country),
                                       "country": doc_country}]
    if cat.code in ("arrest", "discreet_check", "specific_check") and rng.random() < 0.3:
        data["warning_markers"] = rng.sample(("armed", "violent", "absconded"), rng.randint(1, 2))
    if cat.code == "arrest":
        data["warrant_reference"] = f"EAW-{today.year - rng.randint(0, 4)}-{rng.randint(1, 99999):05d}"
    if cat.code == "unknown_wanted":
        data = {"fingerprint_refs": [f"latent:{rng.randint(10**8, 10**9)}"],
                "reason": "finger marks from a serious-crime scene",
                "issuing_authority": rng.choice(AUTHORITIES)}
    if cat.code == "return":
        data["last_day_voluntary_departure"] = (today - dt.timedelta(days=rng.randint(1, 300))).isoformat()
        data["threat_to_public_policy"] = rng.random() < 0.2
    if "case_category" in cat.field_map:
        data["case_category"] = {"prevent_travel_child_abduction": "parental_abduction",
                                 "prevent_travel_vulnerable_adult": "vulnerable_adult"}.get(
            cat.code, rng.choice(("trafficking", "forced_marriage", "other")))
    if cat.code == "judicial_procedure":
        data["procedure_role"] = rng.choice(("witness", "summoned", "sentence_service"))
    if cat.code == "refusal_of_entry" and rng.random() < 0.3:
        data["decision_valid_until"] = (today + dt.timedelta(days=rng.randint(200, 2500))).isoformat()
    return data


def _object_data(rng: random.Random, cat: Category, today: dt.date, country: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "purpose": "seizure" if rng.random() < 0.85 else rng.choice(("evidence", "discreet_check")),
        "reason": "reported stolen" if rng.random() < 0.7 else "used in a criminal offence",
        "issuing_authority": rng.choice(AUTHORITIES),
        "theft_date": (today - dt.timedelta(days=rng.randint(1, 1500))).isoformat(),
    }
    plate_country = country if rng.random() < 0.7 else rng.choice(COUNTRIES)
    code = cat.code
    if code in ("motor_vehicle", "trailer", "caravan"):
        make, model, wmi = rng.choice(VEHICLES)
        data.update(vin=make_vin(rng, wmi), plate=make_plate(rng, plate_country),
                    plate_country=plate_country, make=make, model=model,
                    colour=rng.choice(("black", "white", "silver", "blue", "red")))
    elif code == "vehicle_plate":
        data.update(plate=make_plate(rng, plate_country), plate_country=plate_country)
    elif code == "firearm":
        make, calibres = rng.choice(FIREARMS)
        data.update(serial_number=f"{rng.choice('ABCDEFGHKLMNPRSTZ')}{rng.randint(10000, 9999999)}",
                    make=make, calibre=rng.choice(calibres),
                    firearm_type=rng.choice(("pistol", "revolver", "rifle", "shotgun", "assault_rifle")))
    elif code in ("blank_document", "issued_document", "registration_certificate"):
        doc_country = country if rng.random() < 0.6 else rng.choice(COUNTRIES)
        data.update(document_number=make_document_number(rng, doc_country), document_country=doc_country,
                    document_status=rng.choice(("stolen", "lost", "invalid", "false"))
                    if code != "blank_document" else "stolen")
        if code != "registration_certificate":
            data["document_type"] = rng.choice(("passport", "identity_card", "residence_permit"))
        if code == "issued_document":
            data["holder_name"] = f"{rng.choice(SR_MALE)} {rng.choice(SR_SURNAMES)}"
    elif code == "banknote":
        serial, currency, value = make_banknote_serial(rng)
        data.update(banknote_serial=serial, currency=currency, face_value=value,
                    banknote_status=rng.choice(("registered", "false")))
    elif code == "container":
        data["container_number"] = make_container(rng)
    elif code == "boat":
        data.update(hull_id=f"{rng.choice(COUNTRIES)}-{''.join(rng.choice('ABCDEFGHJKLMNPRSTUVWXYZ') for _ in range(3))}{rng.randint(10000, 99999)}{rng.choice('ABCDEFGHJKL')}{rng.randint(0, 9)}{rng.randint(10, 26)}",
                    registration=f"{rng.choice(('BG', 'NS', 'PA'))}-{rng.randint(100, 9999)}", make=rng.choice(("Bavaria", "Jeanneau", "Beneteau")))
    elif code == "aircraft":
        data.update(registration=f"YU-{''.join(rng.choice('ABCDEFGHIJKLMNOPRSTUVZ') for _ in range(3))}",
                    serial_number=str(rng.randint(1000, 99999)), make=rng.choice(("Cessna", "Piper", "Diamond")))
    elif code == "it_item":
        data.update(serial_number=f"SN{rng.randint(10**9, 10**10)}",
                    imei="".join(str(rng.randint(0, 9)) for _ in range(15)),
                    make=rng.choice(("Apple", "Samsung", "Lenovo", "Dell")))
    elif code == "payment_means":
        data.update(card_or_account="".join(str(rng.randint(0, 9)) for _ in range(16)),
                    payment_issuer=rng.choice(("Banca Intesa", "UniCredit", "Raiffeisen")))
    else:
        data.update(serial_number=f"{rng.choice('ABCDEFGHKLMNPRSTZ')}{rng.choice('ABCDEFGHKLMNPRSTZ')}{rng.randint(10**5, 10**9)}",
                    make=rng.choice(("Caterpillar", "Komatsu", "Yamaha", "Rolls-Royce", "Bosch", "Liebherr")),
                    description=f"{cat.label}, reported stolen")
    return {k: v for k, v in data.items() if k in cat.field_map}


def synth_alerts(count: int, *, seed: int = 1, country: str = "RS", foreign_share: float = 0.4,
                 today: dt.date | None = None) -> Iterator[dict[str, Any]]:
    """`count` alerts in the import shape; every category appears once `count` >= the number of
    categories (the first alerts walk through them), then persons 60 %, objects 40 %."""
    rng = random.Random(seed)
    today = today or clock.today()
    order = list(CATEGORIES.values())
    weights_p = [6 if c.code in ("arrest", "refusal_of_entry", "discreet_check") else 2 for c in PERSON_CATEGORIES]
    weights_o = [6 if c.code in ("motor_vehicle", "issued_document", "firearm", "vehicle_plate") else 1
                 for c in OBJECT_CATEGORIES]
    for i in range(count):
        if i < len(order):
            cat = order[i]
        elif rng.random() < 0.6:
            cat = rng.choices(PERSON_CATEGORIES, weights_p)[0]
        else:
            cat = rng.choices(OBJECT_CATEGORIES, weights_o)[0]
        issuer = country if rng.random() >= foreign_share else rng.choice(COUNTRIES)
        data = _person_data(rng, cat, today) if cat.kind == "person" else _object_data(rng, cat, today, issuer)
        alert: dict[str, Any] = {
            "schengen_id": f"{issuer}{seed % 100:02d}{i:012d}{rng.randint(0, 99):02d}",
            "issuing_country": issuer,
            "category": cat.code,
            "data": data,
        }
        if rng.random() < 0.05:
            alert["supplementary_information"] = "SIRENE: case file with the issuing bureau"
        yield alert
