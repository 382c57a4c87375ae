"""Generate the demo data in this folder (seeded, deterministic; the output is committed).

The sentences are written for this project from the templates and name lists below: every person, company,
club and product is made up; the places are real cities, regions and countries. Run from the repository root:

    .venv/bin/python data/demo/make_demo.py

Writes ner_gold.jsonl (80), ner_round1/2/3.jsonl (20/50/80), ner_pool.jsonl (150 unlabeled) and
news_gold.csv (60), news_round1/2/3.csv (20/50/80). No normalized text appears twice across all files, and
no text is a near-duplicate (character 3-gram Jaccard >= 0.75) of another, except two pool texts that are
deliberate near-duplicates of gold texts, so that the leakage report has something to show.
"""
from __future__ import annotations

import csv
import json
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from evaluator.records import normalize_text  # noqa: E402

SEED = 20240611
NER_SIZES = {"gold": 80, "round1": 20, "round2": 50, "round3": 80, "pool": 150}
NEWS_SIZES = {"gold": 60, "round1": 20, "round2": 50, "round3": 80}
NEAR_DUPLICATES = 2
NEAR = 0.75

PERSON = [
    "Maria Okafor", "Daniel Brandt", "Priya Raman", "Tomasz Nowak", "Elena Vasquez", "Kenji Watanabe",
    "Amara Diallo", "Lucas Moreau", "Sofia Lindqvist", "Hannah Weiss", "Omar Haddad", "Grace Mwangi",
    "Noah Fischer", "Aisha Bello", "Mateo Rossi", "Ingrid Solberg", "Rahul Mehta", "Chen Wei", "Fatima Zahra",
    "Jonas Keller", "Clara Dubois", "Samuel Osei", "Yuki Tanaka", "Marta Kowalska", "Diego Herrera",
    "Leila Nasser", "Peter Hallam", "Julia Costa", "Ahmed Karim", "Emma Larsen", "Victor Petrov",
    "Nadia Rahman", "Oliver Grant", "Ana Ribeiro", "Felix Wagner", "Zoe Carter", "Ibrahim Sall", "Helen Park",
    "Marco Bianchi", "Siobhan Walsh", "José Alvarez", "Björn Nilsson",
]
COMPANY = [
    "Northwind Energy", "Helix Robotics", "Bluewater Bank", "Crescent Airlines", "Vantage Motors",
    "Meridian Health", "Orion Telecom", "Solaris Foods", "Granite Insurance", "Pinecrest Media",
    "Atlas Logistics", "Quantum Leaf", "Redwood Pharma", "Silverline Rail", "Harbor Steel", "Lumen Software",
    "Cobalt Mining", "Evergreen Retail", "Nova Chemicals", "Falcon Aerospace", "Brightpath Education",
    "Kestrel Games", "Summit Capital", "Tidewater Shipping", "Aster Biotech", "Ironbridge Construction",
    "Skyline Hotels", "Maple Dairy", "Zenith Semiconductors", "Cascade Water",
]
INSTITUTION = [
    "World Health Organization", "European Central Bank", "International Monetary Fund", "Red Cross",
    "National Statistics Office", "Ministry of Transport", "Supreme Court", "Competition Authority",
    "Electoral Commission", "World Bank",
]
AGENCY = ["National Statistics Office", "Central Statistics Bureau", "Labour Ministry", "Finance Ministry"]
CLUB = [
    "Lakeside United", "Riverside Rovers", "Northgate Athletic", "Harbour Town", "Eastfield Wanderers",
    "Kingsbridge Rangers", "Southport Lions", "Westbrook Albion", "Highland Falcons", "Redhill Rockets",
    "Coastal Sharks", "Metro Titans", "Valley Stars", "Ashford City",
]
LOCATION = [
    "Berlin", "Nairobi", "São Paulo", "Toronto", "Lyon", "Osaka", "Lagos", "Melbourne", "Oslo", "Kraków",
    "Lima", "Cape Town", "Seoul", "Dublin", "Texas", "Bavaria", "Mumbai", "Vancouver", "Rotterdam", "Accra",
    "Santiago", "Hanoi", "Istanbul", "Glasgow", "Marseille", "Denver", "Quebec", "Tasmania", "Kenya", "Norway",
    "Brazil", "Chile", "Vietnam", "Scotland", "New Zealand", "Patagonia", "Gdańsk", "Lake Geneva", "Andalusia",
    "Hokkaido",
]
PRODUCT = [
    "Aurora X2", "Nimbus Pro", "Zephyr Buds", "Atlas Watch 2", "Terra Drone", "SkyPad Mini", "Quill 5",
    "Starlite 300", "Echo Lens", "Vortex Blender", "Pulse Ring", "Horizon E7", "Comet Scooter", "Lumen Office",
    "Kestrel Racer", "Summit Phone 12", "Glide Pen", "Polar Fridge XL", "Beacon Router", "Drift Headset",
    "Orbit Tablet", "Nova Cam 4", "Spark Kettle", "Titan Drill", "Breeze Purifier", "Sonic Speaker S3",
    "Ember Heater", "Vista TV 55", "Canvas Reader", "Trail Bike 900",
]
DAY = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTH = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
         "November", "December"]

# slot -> (values, label or None); numbered slots (ORG2, LOC2, ...) draw a different value of the same kind
SLOTS = {
    "PERSON": (PERSON, "PERSON"), "ORG": (COMPANY, "ORG"), "INST": (INSTITUTION, "ORG"), "CLUB": (CLUB, "ORG"),
    "AGENCY": (AGENCY, "ORG"), "LOC": (LOCATION, "LOCATION"), "PRODUCT": (PRODUCT, "PRODUCT"), "DAY": (DAY, None), "MONTH": (MONTH, None),
}

NER_TEMPLATES = [
    # business
    "{PERSON} was named chief executive of {ORG} on {DAY}, the company said.",
    "{ORG} will open a new plant near {LOC}, creating about {NUM} jobs.",
    "Shares of {ORG} rose {PCT} percent after the launch of the {PRODUCT}.",
    "{PERSON}, a spokesperson for {ORG}, declined to comment on the {PRODUCT} recall.",
    "{ORG} agreed to buy {ORG2} for {MONEY}, the two companies said on {DAY}.",
    "{ORG} recalled {NUM} units of its {PRODUCT} over a battery fault.",
    "Sales of the {PRODUCT} fell in {LOC} during the third quarter, {ORG} reported.",
    "{PERSON} resigned from the board of {ORG} after {SMALL} years.",
    "A court in {LOC} fined {ORG} {MONEY} for misleading advertising.",
    "{ORG} said it would cut {NUM} jobs in {LOC} as demand slows.",
    "Analysts at {ORG} expect the {PRODUCT} to outsell its rivals in {LOC}.",
    "{ORG} posted a quarterly profit of {MONEY}, beating forecasts, and named {PERSON} finance chief.",
    "Workers at the {ORG} depot in {LOC} walked out on {DAY} in a dispute over pay.",
    # products and technology
    "The {PRODUCT} goes on sale in {LOC} next month for {PRICE}.",
    "Reviewers praised the {PRODUCT}, though {PERSON} called it overpriced.",
    "Researchers at {ORG} in {LOC} unveiled a prototype they call the {PRODUCT}.",
    "Fans queued overnight outside stores in {LOC} to buy the {PRODUCT}.",
    "{ORG} said the {PRODUCT} had sold {NUM} units in its first week.",
    "A software update for the {PRODUCT} fixes the overheating problem, {ORG} said on {DAY}.",
    "{PERSON} demonstrated the {PRODUCT} at a trade fair in {LOC}.",
    "Early buyers of the {PRODUCT} complained about short battery life.",
    "Dr. {PERSON} of {ORG} warned that the {PRODUCT} had not been tested in cold weather.",
    "The {PRODUCT} from {ORG} will be assembled in {LOC} from {MONTH}.",
    # politics
    "Mayor {PERSON} of {LOC} met officials from {ORG} to discuss a new tram line.",
    "Talks in {LOC} ended without a deal, {PERSON} told reporters on {DAY}.",
    "{PERSON} will lead the delegation to the climate summit in {LOC}.",
    "Lawmakers in {LOC} voted {VOTES} to approve the budget, {PERSON} said.",
    "{PERSON} accused {PERSON2} of breaking campaign promises during a debate in {LOC}.",
    "The {INST} said on {DAY} that it would send observers to {LOC}.",
    "{PERSON}, the opposition leader, called for early elections in {LOC}.",
    "Officials from the {INST} arrived in {LOC} to review the aid programme.",
    "{PERSON} told the {AGENCY} that food prices in {LOC} were still rising.",
    # sport
    "{PERSON} scored twice as {CLUB} beat {CLUB2} {SCORE} in {LOC}.",
    "Coach {PERSON} said {CLUB} would appeal the ban.",
    "{CLUB} signed striker {PERSON} on a contract until {YEAR}.",
    "{PERSON} won the marathon in {LOC} in a course record time.",
    "{CLUB} and {CLUB2} drew {DRAW} in front of {NUM} fans.",
    "Injured midfielder {PERSON} will miss the cup final against {CLUB}.",
    "{PERSON} of {LOC} took gold in the 400 metres on {DAY}.",
    # general news
    "Police in {LOC} said {SMALL} people were hurt when a bus overturned on {DAY}.",
    "Flights between {LOC} and {LOC2} were cancelled on {DAY} as snow closed runways.",
    "Heavy rain flooded parts of {LOC} overnight, forcing schools to close.",
    "{PERSON} and {PERSON2} were shortlisted for the award, to be presented in {LOC} in {MONTH}.",
    "Unemployment in {LOC} fell to {PCT} percent in {MONTH}, the {AGENCY} said.",
    "A new exhibition in {LOC} traces the history of {ORG}.",
    "{ORG} moved its headquarters from {LOC} to {LOC2} last year.",
    "{PERSON} bought a {PRODUCT} for the office after the old one broke.",
    "Tourists are returning to {LOC} after a quiet year, said {PERSON} of {ORG}.",
    # no entities (a model must learn to predict nothing here too)
    "The central bank left interest rates unchanged on {DAY}.",
    "Petrol prices rose for the {ORD} week in a row.",
    "Commuters faced long delays after a signal failure on {DAY} morning.",
    "The committee will publish its findings in {MONTH}.",
    "Heavy snow is expected across the north of the country over the weekend.",
]

NEWS_HEADLINES = {
    "business": [
        "{ORG} profit beats forecasts", "{ORG} to cut {NUM} jobs", "{ORG} agrees takeover of {ORG2}",
        "Shares in {ORG} slide after warning", "{ORG} raises prices again", "Inflation eases in {LOC}",
        "{ORG} opens new plant in {LOC}", "Investors cautious ahead of rate decision",
    ],
    "sport": [
        "{CLUB} beat {CLUB2} {SCORE}", "{PERSON} wins marathon in {LOC}", "{CLUB} sign striker {PERSON}",
        "Late goal rescues {CLUB}", "{PERSON} retires after {SMALL} seasons", "Cup draw pairs {CLUB} with {CLUB2}",
        "{PERSON} sets national record", "Coach {PERSON} leaves {CLUB}",
    ],
    "tech": [
        "{ORG} unveils the {PRODUCT}", "{PRODUCT} review: fast but pricey", "Security flaw found in {PRODUCT}",
        "{ORG} bets on artificial intelligence", "Chip shortage delays {PRODUCT}", "{ORG} launches cloud service",
        "Start-up in {LOC} builds cheaper batteries", "{PRODUCT} update fixes battery drain",
    ],
    "politics": [
        "{PERSON} calls early election", "Parliament in {LOC} passes budget", "{PERSON} wins party leadership",
        "Talks in {LOC} end without deal", "{PERSON} resigns as minister", "Opposition rejects tax plan",
        "Voters in {LOC} head to the polls", "{PERSON} promises new housing law",
    ],
}
NEWS_BODIES = {
    "business": [
        "The company said revenue rose {PCT} percent in the third quarter.",
        "Analysts had expected weaker sales after a difficult year for retailers.",
        "The deal, worth {MONEY}, still needs approval from regulators.",
        "Managers blamed higher energy costs and a strong currency.",
        "The firm told investors it would pay a larger dividend this year.",
        "Unions said they would fight the plan to close the factory.",
        "Consumer spending held up better than economists had predicted.",
        "The board will present a new strategy to shareholders in {MONTH}.",
    ],
    "sport": [
        "The visitors led at half-time but conceded twice in the last ten minutes.",
        "The win lifts the club to third place in the table.",
        "A crowd of {NUM} watched the match despite the rain.",
        "The coach praised his defence after a third clean sheet in a row.",
        "She finished almost a minute ahead of the defending champion.",
        "The transfer fee was not disclosed, but reports put it near {MONEY}.",
        "Fans will have to wait until {MONTH} for the return fixture.",
        "The team has now won {SMALL} of its last ten games.",
    ],
    "tech": [
        "The device has a larger screen and a battery that lasts two days.",
        "Engineers said the new chip uses half the power of the old one.",
        "The software will be available as a free download from {MONTH}.",
        "Researchers warned that attackers could read private messages.",
        "The company hopes to sell {NUM} units before the end of the year.",
        "Early testers said the app crashed when too many users logged on.",
        "The firm has hired {SMALL} hundred engineers to work on the project.",
        "Critics said the price puts it out of reach for most students.",
    ],
    "politics": [
        "Lawmakers voted {VOTES} after a debate that lasted late into the night.",
        "The minister said the reforms would be introduced in {MONTH}.",
        "Polls suggest the race between the two main parties is close.",
        "Opposition leaders accused the government of ignoring rural voters.",
        "The coalition needs the support of smaller parties to pass the law.",
        "Protesters gathered outside parliament as the vote took place.",
        "Observers said turnout was higher than at the last election.",
        "The cabinet will meet again on {DAY} to discuss the plan.",
    ],
}

_SLOT = re.compile(r"\{([A-Z]+)(\d?)\}")


def _filler(kind: str, rng: random.Random) -> str:
    if kind == "NUM":
        return f"{rng.choice([120, 250, 400, 600, 850, 1200, 1500, 2300, 3000, 4500, 12000, 18000]):,}"
    if kind == "SMALL":
        return str(rng.randint(2, 19))
    if kind == "PCT":
        return f"{rng.randint(1, 9)}.{rng.randint(0, 9)}"
    if kind == "MONEY":
        return rng.choice(["$", "€", "£"]) + f"{rng.randint(2, 95)} million" if rng.random() < 0.7 \
            else f"{rng.randint(1, 9)}.{rng.randint(1, 9)} billion dollars"
    if kind == "PRICE":
        return f"{rng.choice([49, 99, 149, 199, 249, 399, 499, 899])} euros"
    if kind == "SCORE":
        a = rng.randint(1, 4)
        return f"{a}-{rng.randint(0, a - 1)}"
    if kind == "DRAW":
        a = rng.randint(0, 3)
        return f"{a}-{a}"
    if kind == "VOTES":
        a = rng.randint(60, 140)
        return f"{a} to {rng.randint(20, a - 10)}"
    if kind == "YEAR":
        return str(rng.randint(2026, 2030))
    if kind == "ORD":
        return rng.choice(["second", "third", "fourth", "fifth", "sixth"])
    raise KeyError(kind)


def render(template: str, rng: random.Random) -> tuple[str, list[dict]]:
    """Fill a template; returns the text and its entity spans (char offsets, end exclusive)."""
    out, spans, pos, used = [], [], 0, {}
    last = 0
    for m in _SLOT.finditer(template):
        out.append(template[last:m.start()])
        pos += m.start() - last
        last = m.end()
        kind = m.group(1)
        if kind in SLOTS:
            values, label = SLOTS[kind]
            taken = used.setdefault(kind, set())
            value = rng.choice([v for v in values if v not in taken])
            taken.add(value)
        else:
            value, label = _filler(kind, rng), None
        if label:
            spans.append({"start": pos, "end": pos + len(value), "label": label})
        out.append(value)
        pos += len(value)
    out.append(template[last:])
    return "".join(out), spans


def _grams(text: str) -> set[str]:
    t = normalize_text(text)
    return {t[i:i + 3] for i in range(len(t) - 2)}


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


class Unique:
    """Accepts a text only if no accepted text has the same normalized form or is a near-duplicate."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.grams: list[set[str]] = []

    def add(self, text: str) -> bool:
        key = normalize_text(text)
        if key in self.seen:
            return False
        g = _grams(text)
        if any(_jaccard(g, other) >= NEAR for other in self.grams):
            return False
        self.seen.add(key)
        self.grams.append(g)
        return True


def ner_examples(n: int, rng: random.Random, unique: Unique) -> list[dict]:
    out: list[dict] = []
    # templates drawn at random, so every file mixes topics; entity-free sentences are about one in ten
    while len(out) < n:
        template = rng.choice(NER_TEMPLATES)
        text, spans = render(template, rng)
        if unique.add(text):
            out.append({"text": text, "spans": spans})
    return out


def news_examples(n: int, rng: random.Random, unique: Unique) -> list[dict]:
    labels = sorted(NEWS_HEADLINES)
    out: list[dict] = []
    while len(out) < n:
        label = labels[len(out) % len(labels)]  # balanced classes
        head, _ = render(rng.choice(NEWS_HEADLINES[label]), rng)
        body, _ = render(rng.choice(NEWS_BODIES[label]), rng)
        text = f"{head}. {body}"
        if unique.add(text):
            out.append({"text": text, "label": label})
    rng.shuffle(out)
    return out


def near_duplicate(text: str) -> str:
    """A one-digit edit of a gold text (what an updated wire story looks like): a near-duplicate, not exact."""
    m = re.search(r"\d(?=\D*$)", text)
    assert m, text
    digit = str((int(m.group()) + 5) % 10)
    return text[:m.start()] + digit + text[m.end():]


def check_spans(rows: list[dict]) -> None:
    """Every span must sit on spaCy tokens (the importer refuses misaligned spans)."""
    from evaluator.tokenize import tokenize_texts
    for row, toks in zip(rows, tokenize_texts(r["text"] for r in rows)):
        starts, ends = {t.start for t in toks}, {t.end for t in toks}
        for sp in row["spans"]:
            assert sp["start"] in starts and sp["end"] in ends, (row["text"], sp)


def write_jsonl(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def write_csv(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "label"])
        for row in rows:
            w.writerow([row["text"], row["label"]])


def main(out: Path = HERE) -> dict[str, int]:
    rng = random.Random(SEED)
    counts: dict[str, int] = {}

    unique = Unique()
    ner = {name: ner_examples(n, rng, unique) for name, n in NER_SIZES.items()}
    for name in ("gold", "round1", "round2", "round3"):
        rows = [{"text": r["text"], "spans": r["spans"], "answer": "accept",
                 "meta": {"source": "evaluator demo", "id": f"{name}-{i:03d}"}}
                for i, r in enumerate(ner[name], 1)]
        check_spans(rows)
        write_jsonl(out / f"ner_{name}.jsonl", rows)
        counts[f"ner_{name}.jsonl"] = len(rows)
    pool = [r["text"] for r in ner["pool"]]
    # replace the last pool texts by near-duplicates of long gold texts with a number in them: the leakage
    # report shows them as near-duplicates (3-gram Jaccard >= 0.9), the exact-overlap guard does not fire
    sources = [r["text"] for r in ner["gold"] if len(r["text"]) > 75 and re.search(r"\d", r["text"])]
    for k in range(NEAR_DUPLICATES):
        edited = near_duplicate(sources[k])
        assert _jaccard(_grams(edited), _grams(sources[k])) >= 0.9 and normalize_text(edited) not in unique.seen
        pool[-1 - k] = edited
    write_jsonl(out / "ner_pool.jsonl", [{"text": t} for t in pool])
    counts["ner_pool.jsonl"] = len(pool)

    unique = Unique()
    for name, n in NEWS_SIZES.items():
        rows = news_examples(n, rng, unique)
        write_csv(out / f"news_{name}.csv", rows)
        counts[f"news_{name}.csv"] = len(rows)
    return counts


if __name__ == "__main__":
    for name, n in main().items():
        print(f"{name:<20} {n}")
