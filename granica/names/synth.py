"""Synthetic person names for benchmarks, demos and load tests (no real person).

A seeded generator of names as they reach a border register: Serbian in both
scripts, Russian and Ukrainian (Cyrillic and romanised, with patronymics),
Arabic (romanised in the usual competing ways, with nasab chains and nisbas, and
in Arabic script), Persian/Afghan, Turkish, Western European, Korean and Chinese.
Frequencies follow a Zipf law over each list, so common names collide as in real
data. The same seed gives the same names (`granica synth` reuses this module).
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

from granica.names.mrz import mrz_name
from granica.names.translit import to_serbian_cyrillic

T = TypeVar("T")


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


SERBIAN_MALE = _words(
    "Marko Nikola Stefan Luka Đorđe Aleksandar Miloš Nemanja Lazar Filip Vuk Dušan Milan "
    "Dragan Zoran Goran Dejan Nenad Bojan Ivan Petar Jovan Vladimir Slobodan Miroslav "
    "Predrag Srđan Žarko Branko Radoslav Ljubomir Živojin Čedomir Vojislav Dragoljub "
    "Njegoš Đurađ Ratko Mladen Uroš Ognjen Veljko Boško Tihomir"
)
SERBIAN_FEMALE = _words(
    "Milica Jelena Ana Marija Jovana Ivana Dragana Snežana Ljiljana Vesna Jasmina Tijana "
    "Kristina Teodora Katarina Sanja Danijela Gordana Zorica Biljana Nataša Svetlana "
    "Đurđa Ljubica Mirjana Nevena Anđela Sofija Mila Dunja Žaklina Branka Vukica Ružica"
)
SERBIAN_SURNAMES = _words(
    "Jovanović Petrović Nikolić Marković Đorđević Stojanović Ilić Stanković Pavlović "
    "Milošević Popović Živković Todorović Kostić Ristić Đukić Savić Lazić Mitrović "
    "Janković Vasić Tomić Kovačević Lukić Stevanović Mladenović Radovanović Marić "
    "Obradović Filipović Nedeljković Ćirić Šarić Čolić Đurić Vučić Babić Simić Ljubić "
    "Knežević Bogdanović Radosavljević Jeremić Cvetković Gajić Milenković Zdravković "
    "Đokić Šešelj Karadžić Njegovan Pejović Ćosić Vukotić Bošković Lalić Mićić Anđelković"
)
RUSSIAN_MALE = _words(
    "Александр Сергей Дмитрий Андрей Алексей Максим Евгений Иван Михаил Артём Николай "
    "Владимир Юрий Олег Игорь Павел Виктор Роман Константин Геннадий Борис Фёдор "
    "Григорий Илья Вячеслав Анатолий Валерий Леонид Тимофей Ярослав"
)
RUSSIAN_FEMALE = _words(
    "Елена Ольга Наталья Татьяна Ирина Светлана Анна Мария Екатерина Юлия Анастасия "
    "Людмила Галина Валентина Ксения Дарья Полина Вера Надежда Любовь"
)
RUSSIAN_SURNAMES = _words(
    "Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Фёдоров "
    "Морозов Волков Алексеев Лебедев Семёнов Егоров Павлов Козлов Степанов Николаев "
    "Орлов Андреев Макаров Никитин Захаров Зайцев Соловьёв Борисов Яковлев Григорьев "
    "Романов Воробьёв Сергеев Кузьмин Фролов Александров Дмитриев Королёв Гусев Киселёв "
    "Шевченко Коваленко Бондаренко Ткаченко Кравченко Мельник Щербаков Жуков Чернов"
)
UKRAINIAN_MALE = _words("Олександр Володимир Сергій Андрій Юрій Василь Микола Григорій Євген Іван")

# Arabic names: a canonical spelling, its competing romanisations, its Arabic form.
ARABIC_GIVEN: tuple[tuple[tuple[str, ...], str], ...] = (
    (("Muhammad", "Mohammed", "Mohamed", "Mohammad", "Mohamad", "Muhammed"), "محمد"),
    (("Ahmad", "Ahmed"), "أحمد"),
    (("Ali",), "علي"),
    (("Omar", "Umar"), "عمر"),
    (("Hassan", "Hasan"), "حسن"),
    (("Hussein", "Husayn", "Hussain", "Hossein"), "حسين"),
    (("Khalid", "Khaled"), "خالد"),
    (("Ibrahim", "Ebrahim"), "إبراهيم"),
    (("Yusuf", "Youssef", "Yousef", "Yousif"), "يوسف"),
    (("Mahmoud", "Mahmud"), "محمود"),
    (("Mustafa", "Moustafa", "Mostafa"), "مصطفى"),
    (("Abdullah", "Abdallah", "Abdulla"), "عبدالله"),
    (("Abd al-Rahman", "Abdulrahman", "Abdel Rahman", "Abdurrahman"), "عبدالرحمن"),
    (("Abd al-Aziz", "Abdulaziz", "Abdelaziz"), "عبدالعزيز"),
    (("Said", "Saeed", "Saiid"), "سعيد"),
    (("Salih", "Saleh", "Salah"), "صالح"),
    (("Tariq", "Tarek", "Tarik"), "طارق"),
    (("Walid", "Waleed"), "وليد"),
    (("Jamal", "Gamal", "Djamel"), "جمال"),
    (("Karim", "Kareem"), "كريم"),
    (("Nasser", "Nasir", "Naser"), "ناصر"),
    (("Faisal", "Faysal", "Feisal"), "فيصل"),
    (("Hamza", "Hamzah"), "حمزة"),
    (("Bilal",), "بلال"),
    (("Samir", "Sameer"), "سمير"),
    (("Adel", "Adil"), "عادل"),
    (("Rashid", "Rachid", "Rasheed"), "رشيد"),
    (("Sami", "Samy"), "سامي"),
    (("Anwar", "Anouar"), "أنور"),
    (("Ismail", "Ismael", "Smail"), "إسماعيل"),
    (("Osama", "Usama", "Oussama"), "أسامة"),
    (("Ziad", "Ziyad"), "زياد"),
    (("Majid", "Majed"), "ماجد"),
    (("Fadi",), "فادي"),
    (("Hisham", "Hicham"), "هشام"),
    (("Nabil", "Nabeel"), "نبيل"),
    (("Yasin", "Yassin", "Yassine"), "ياسين"),
    (("Qasim", "Kassem", "Qassem"), "قاسم"),
    (("Jabir", "Jaber"), "جابر"),
    (("Murad", "Mourad"), "مراد"),
    (("Fatima", "Fatma", "Fatemeh"), "فاطمة"),
    (("Aisha", "Aicha", "Ayesha"), "عائشة"),
    (("Maryam", "Mariam"), "مريم"),
    (("Khadija", "Khadidja"), "خديجة"),
    (("Zainab", "Zeinab"), "زينب"),
    (("Layla", "Leila", "Laila"), "ليلى"),
    (("Huda", "Houda"), "هدى"),
    (("Amina", "Amena"), "أمينة"),
)
ARABIC_FAMILY: tuple[tuple[tuple[str, ...], str], ...] = (
    (("al-Tikriti", "Al Tikriti"), "التكريتي"),
    (("al-Masri", "El Masry"), "المصري"),
    (("al-Baghdadi", "Al Baghdadi"), "البغدادي"),
    (("al-Zahrani", "Alzahrani"), "الزهراني"),
    (("al-Harbi", "Alharbi"), "الحربي"),
    (("al-Qahtani", "Al Kahtani"), "القحطاني"),
    (("al-Shammari", "Al Shamari"), "الشمري"),
    (("al-Otaibi", "Alotaibi"), "العتيبي"),
    (("Haddad", "al-Haddad"), "حداد"),
    (("Khoury", "al-Khouri"), "خوري"),
    (("Nasrallah", "Nasr Allah"), "نصرالله"),
    (("al-Jaziri", "El Djazairi"), "الجزائري"),
    (("Bouazizi",), "بوعزيزي"),
    (("Benali", "Ben Ali"), "بنعلي"),
    (("al-Hashimi", "Al Hashemi"), "الهاشمي"),
    (("al-Dulaimi", "Al Dulaimi"), "الدليمي"),
    (("al-Rawi", "Alrawi"), "الراوي"),
    (("al-Amiri", "Al Ameri"), "العامري"),
    (("Mansour", "Mansur"), "منصور"),
    (("Darwish", "Darwich"), "درويش"),
    (("al-Sudani", "Al Soudani"), "السوداني"),
    (("al-Libi", "Allibi"), "الليبي"),
    (("Qureshi", "Kureishi"), "قريشي"),
    (("al-Khatib", "El Khatib"), "الخطيب"),
)
PERSIAN_GIVEN = _words(
    "Reza Mehdi Hamid Javad Amir Ali-Reza Mohsen Morteza Saeed Ehsan Hossein Farid Babak "
    "Dariush Kourosh Shirin Parisa Fariba Zahra Maryam Nasrin Gul Wali Zabihullah Hidayatullah "
    "Najibullah Rahmatullah Sayed Haji Mirwais Ahmad-Shah Dost Faizullah Ghulam Sher Aziz"
)
PERSIAN_FAMILY = _words(
    "Ahmadi Mohammadi Hosseini Rezaei Karimi Rahimi Moradi Jafari Sadeghi Hashemi Ghorbani "
    "Noorzai Barakzai Popalzai Achakzai Durrani Haqqani Mujahid Akhundzada Yusufzai Safi Stanekzai"
)
TURKISH_GIVEN = _words(
    "Mehmet Mustafa Ahmet Ali Hüseyin Hasan İbrahim Murat Ömer Yusuf Emre Burak Fatma Ayşe "
    "Emine Hatice Zeynep Elif Özlem Gül Çağlar Şükrü Tuğba Gökhan"
)
TURKISH_FAMILY = _words(
    "Yılmaz Kaya Demir Şahin Çelik Yıldız Yıldırım Öztürk Aydın Özdemir Arslan Doğan "
    "Kılıç Aslan Çetin Kara Koç Kurt Özkan Şimşek Erdoğan Güneş Aksoy Polat"
)
WESTERN_GIVEN = _words(
    "James John Robert Michael William David Richard Thomas Daniel Paul Mark George Peter "
    "Hans Jürgen Klaus Stefan Wolfgang Friedrich Lukas Jean Pierre Michel François Louis "
    "José Juan Carlos Antonio Manuel Francisco Luis Giuseppe Marco Giovanni Alessandro "
    "Mary Anna Maria Elisabeth Sarah Laura Emma Sophie Julia Claire Isabelle Carmen Lucía "
    "Giulia Francesca Ingrid Astrid Björn Lars Sören Mikael Jan Piotr Krzysztof Agnieszka"
)
WESTERN_FAMILY = _words(
    "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Moore Martin "
    "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer "
    "Koch Bauer Richter Klein Wolf Schröder Neumann Dubois Durand Lefèvre Moreau Laurent "
    "Girard Bonnet Mercier García Fernández González Rodríguez López Martínez Sánchez "
    "Pérez Gómez Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino "
    "Andersson Johansson Karlsson Nilsson Eriksson Larsen Jensen Hansen Nowak Kowalski "
    "Wiśniewski Wójcik van-der-Berg de-Vries van-Dijk O'Brien O'Connor MacDonald"
)
KOREAN_FAMILY = _words("Kim Lee Park Choi Jung Kang Cho Yoon Jang Lim Han Ri Pak Ryu")
KOREAN_SYLLABLES = _words(
    "Min Jun Seo Yeon Ji Hoon Woo Hyun Sung Young Jin Chol Il Nam Su Hee Kyung Ho Jae Dong "
    "Chun Hyok Song Mun Kwang Yong Sik Man"
)
CHINESE_FAMILY = _words("Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He")
CHINESE_GIVEN = _words(
    "Wei Fang Na Min Jing Li Qiang Lei Jun Yang Yong Jie Tao Ming Chao Xiu Hua Ping"
)


def _zipf_cumulative(n: int, s: float = 0.75) -> list[float]:
    total = 0.0
    out: list[float] = []
    for rank in range(1, n + 1):
        total += 1.0 / (rank**s)
        out.append(total)
    return out


@dataclass(frozen=True, slots=True)
class SyntheticPerson:
    """A made-up person: the full name as written, its parts and where it is from."""

    name: str
    surname: str
    given: str
    culture: str
    script: str

    @property
    def mrz(self) -> str:
        """The name as an MRZ would print it."""
        return mrz_name(self.surname, self.given)


class NameSynth:
    """Seeded generator of synthetic person names (see the module docstring)."""

    CULTURES: tuple[tuple[str, float], ...] = (
        ("serbian_latin", 0.16), ("serbian_cyrillic", 0.10), ("russian", 0.12),
        ("russian_latin", 0.06), ("arabic_latin", 0.20), ("arabic_script", 0.05),
        ("persian", 0.08), ("turkish", 0.06), ("western", 0.12), ("korean", 0.03),
        ("chinese", 0.02),
    )  # fmt: skip

    def __init__(self, seed: int = 1) -> None:
        self.rng = random.Random(seed)
        self._cultures = [c for c, _ in self.CULTURES]
        self._culture_cum: list[float] = []
        total = 0.0
        for _, w in self.CULTURES:
            total += w
            self._culture_cum.append(total)
        self._cum: dict[int, list[float]] = {}

    def _pick(self, items: tuple[T, ...]) -> T:  # Zipf-weighted choice
        cum = self._cum.get(len(items))
        if cum is None:
            cum = self._cum[len(items)] = _zipf_cumulative(len(items))
        return items[bisect.bisect(cum, self.rng.random() * cum[-1])]

    def _s(self, items: tuple[str, ...]) -> str:
        return self._pick(items)

    def person(self) -> SyntheticPerson:
        cum = self._culture_cum
        culture = self._cultures[bisect.bisect(cum, self.rng.random() * cum[-1])]
        made: SyntheticPerson = getattr(self, f"_{culture}")()
        return made

    def names(self, count: int) -> Iterator[str]:
        for _ in range(count):
            yield self.person().name

    def people(self, count: int) -> Iterator[SyntheticPerson]:
        for _ in range(count):
            yield self.person()

    # --- cultures ------------------------------------------------------------------

    def _serbian(self) -> tuple[str, str]:
        female = self.rng.random() < 0.5
        given = self._s(SERBIAN_FEMALE if female else SERBIAN_MALE)
        if self.rng.random() < 0.08:
            given += " " + self._s(SERBIAN_FEMALE if female else SERBIAN_MALE)
        surname = self._s(SERBIAN_SURNAMES)
        if self.rng.random() < 0.04:
            surname += "-" + self._s(SERBIAN_SURNAMES)
        return given, surname

    def _serbian_latin(self) -> SyntheticPerson:
        given, surname = self._serbian()
        order = self.rng.random()
        name = f"{surname} {given}" if order < 0.15 else f"{given} {surname}"
        if order > 0.9:
            name = name.upper()
        return SyntheticPerson(name, surname, given, "serbian", "latin")

    def _serbian_cyrillic(self) -> SyntheticPerson:
        given, surname = self._serbian()
        g, s = _cyrillic(given), _cyrillic(surname)
        name = f"{s} {g}" if self.rng.random() < 0.2 else f"{g} {s}"
        return SyntheticPerson(name, s, g, "serbian", "cyrillic")

    def _russian_parts(self, ukrainian: bool = False) -> tuple[str, str, str]:
        female = self.rng.random() < 0.4
        given = self._s(RUSSIAN_FEMALE if female else RUSSIAN_MALE)
        if ukrainian and not female:
            given = self._s(UKRAINIAN_MALE)
        father = self._s(RUSSIAN_MALE)
        patronymic = _russian_patronymic(father, female)
        surname = self._s(RUSSIAN_SURNAMES)
        if female and surname.endswith(("ов", "ев", "ёв", "ин")):
            surname += "а"
        return given, patronymic, surname

    def _russian(self) -> SyntheticPerson:
        given, patronymic, surname = self._russian_parts()
        r = self.rng.random()
        if r < 0.4:
            name = f"{surname} {given} {patronymic}"
        elif r < 0.8:
            name = f"{given} {patronymic} {surname}"
        else:
            name = f"{given} {surname}"
        return SyntheticPerson(name, surname, f"{given} {patronymic}", "russian", "cyrillic")

    def _russian_latin(self) -> SyntheticPerson:
        from granica.names.translit import latin_readings

        given, patronymic, surname = self._russian_parts(ukrainian=self.rng.random() < 0.2)

        def rom(word: str) -> str:
            readings = latin_readings(word)
            pick = readings[-1] if len(readings) > 1 and self.rng.random() < 0.5 else readings[0]
            return pick[:1].upper() + pick[1:]

        g, p, s = rom(given), rom(patronymic), rom(surname)
        name = f"{g} {p} {s}" if self.rng.random() < 0.5 else f"{g} {s}"
        return SyntheticPerson(name, s, f"{g} {p}", "russian", "latin")

    def _arabic_choice(self, table: tuple[tuple[tuple[str, ...], str], ...]) -> tuple[str, str]:
        spellings, arabic = self._pick(table)
        return self.rng.choice(spellings), arabic

    def _arabic_parts(self) -> tuple[list[tuple[str, str]], tuple[str, str] | None]:
        chain = [self._arabic_choice(ARABIC_GIVEN) for _ in range(self.rng.choice((1, 2, 2, 3)))]
        family = self._arabic_choice(ARABIC_FAMILY) if self.rng.random() < 0.7 else None
        return chain, family

    def _arabic_latin(self) -> SyntheticPerson:
        chain, family = self._arabic_parts()
        words = [latin for latin, _ in chain]
        if len(words) > 1 and self.rng.random() < 0.25:
            words.insert(1, self.rng.choice(("bin", "ibn", "ben")))
        surname = family[0] if family else words[-1]
        given = " ".join(words if family else words[:-1]) or words[0]
        name = " ".join(words + ([family[0]] if family else []))
        if self.rng.random() < 0.3:
            name = name.upper()
        return SyntheticPerson(name, surname, given, "arabic", "latin")

    def _arabic_script(self) -> SyntheticPerson:
        chain, family = self._arabic_parts()
        words = [arabic for _, arabic in chain]
        surname = family[1] if family else words[-1]
        name = " ".join(words + ([family[1]] if family else []))
        return SyntheticPerson(name, surname, " ".join(words), "arabic", "arabic")

    def _persian(self) -> SyntheticPerson:
        given = self._s(PERSIAN_GIVEN).replace("-", " ")
        if self.rng.random() < 0.3:
            given += " " + self._s(PERSIAN_GIVEN).replace("-", " ")
        surname = self._s(PERSIAN_FAMILY)
        name = f"{given} {surname}"
        if self.rng.random() < 0.3:
            name = name.upper()
        return SyntheticPerson(name, surname, given, "persian", "latin")

    def _turkish(self) -> SyntheticPerson:
        given = self._s(TURKISH_GIVEN)
        if self.rng.random() < 0.15:
            given += " " + self._s(TURKISH_GIVEN)
        surname = self._s(TURKISH_FAMILY)
        return SyntheticPerson(f"{given} {surname}", surname, given, "turkish", "latin")

    def _western(self) -> SyntheticPerson:
        given = self._s(WESTERN_GIVEN)
        if self.rng.random() < 0.3:
            given += " " + self._s(WESTERN_GIVEN)
        surname = self._s(WESTERN_FAMILY).replace("-", " ")
        r = self.rng.random()
        name = f"{surname.upper()}, {given}" if r < 0.1 else f"{given} {surname}"
        return SyntheticPerson(name, surname, given, "western", "latin")

    def _korean(self) -> SyntheticPerson:
        family = self._s(KOREAN_FAMILY)
        given = (
            self._s(KOREAN_SYLLABLES)
            + self.rng.choice(("-", " ", ""))
            + self._s(KOREAN_SYLLABLES).lower()
        )
        return SyntheticPerson(f"{family} {given}", family, given, "korean", "latin")

    def _chinese(self) -> SyntheticPerson:
        family = self._s(CHINESE_FAMILY)
        given = self._s(CHINESE_GIVEN)
        if self.rng.random() < 0.6:
            given += self._s(CHINESE_GIVEN).lower()
        return SyntheticPerson(f"{family} {given}", family, given, "chinese", "latin")


@lru_cache(maxsize=4096)
def _cyrillic(latin: str) -> str:
    return to_serbian_cyrillic(latin)


def _russian_patronymic(father: str, female: bool) -> str:
    stem = father
    if stem.endswith("й"):
        stem = stem[:-1]
        suffix = "евна" if female else "евич"
    elif stem.endswith(("а", "я")):
        stem = stem[:-1]
        suffix = "ична" if female else "ич"
    else:
        suffix = "овна" if female else "ович"
    return stem + suffix


def synth_names(count: int, seed: int = 1) -> list[str]:
    """`count` synthetic person names; the same seed gives the same list."""
    return list(NameSynth(seed).names(count))
