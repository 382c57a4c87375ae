"""Generate the demo data in this folder (seeded, deterministic; the output is committed).

The sentences are written for this project from the templates and name lists below: every person, company,
club and product is made up; the places are real cities, regions and countries. Run from the repository root:

    .venv/bin/python data/demo/make_demo.py

Writes ner_gold.jsonl (80), ner_round1/2/3.jsonl (20/50/80), ner_pool.jsonl (150 unlabeled) and
news_gold.csv (100), news_round1/2/3.csv (20/50/80) and news_pool.csv (150, label column empty). No normalized text appears twice across all files, and
no text is a near-duplicate (character 3-gram Jaccard >= 0.75) of another, except two pool texts that are
deliberate near-duplicates of gold texts, so that the leakage report has something to show.

The news texts are deliberately not trivial: the categories share vocabulary (crossover sub-topics, and one text
in five borrows a sentence from another category), so a classifier trained on round 1 alone (20 texts) is clearly
worse on the gold set than one trained on rounds 1-3 (150 texts). The news generator has its own random stream
(NEWS_SEED), so changing it leaves the NER files untouched.
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


def normalize_text(text: str) -> str:
    """NFC, case-folded, whitespace collapsed: the normalization these files were generated with (kept here so
    that the output does not change when the leakage guard's own normalization grows)."""
    import unicodedata

    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


SEED = 20240611
NER_SIZES = {"gold": 80, "round1": 20, "round2": 50, "round3": 80, "pool": 150}
NEWS_SIZES = {"gold": 100, "round1": 20, "round2": 50, "round3": 80, "pool": 150}  # the pool last: unlabeled
NEWS_SEED = 20240621
NEWS_SECOND = 0.4  # a second body sentence of the same sub-topic
NEWS_OTHER = 0.2  # a second body sentence from another category
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

# News categories: each label has several sub-topics; each sub-topic has headline and body templates.
# "[a|b|c]" picks one alternative (groups may nest and may contain slots); "{PARTY}" is a made-up party and
# "{FEE}" a transfer fee.
# The last two sub-topics of every label are crossovers (football money is business, AI rules are politics, ...),
# so company, club, product and election words occur in every category and no single word gives a label away.
PARTY = [
    "the Civic Alliance", "the People's Movement", "the Green Union", "the Liberal Forum", "the Centre Party",
    "the Workers' League", "the New Democrats", "the Rural Party",
]
NEWS_TOPICS: dict[str, list[dict[str, list[str]]]] = {
    "business": [
        {"head": [  # results
            "{ORG} [profit|revenue] [beats|misses|tops|falls short of] [forecasts|expectations|estimates]",
            "{ORG} [reports|posts] [record|weaker|stronger|flat] [quarterly|annual|half-year] [results|sales|profits]",
            "[Higher|Rising|Soaring] [energy|wage|shipping|material] costs [hit|squeeze|dent] [margins|profits] at "
            "{ORG}",
            "{ORG} [warns on profits|cuts its forecast|lifts its outlook] as [orders slow|demand slows|bookings "
            "recover|orders pick up] in {LOC}",
        ], "body": [
            "[Revenue|Turnover|Operating profit|Net income] [rose|fell|climbed|slipped] {PCT} percent to {MONEY} in "
            "the [three months to|quarter to|six months to] {MONTH}.",
            "The [company|group|firm] [raised its full-year outlook and promised a larger dividend|cut its annual "
            "forecast and warned of a tougher second half|kept its guidance and promised further savings].",
            "[Finance chief|Chief executive|Chief financial officer] {PERSON} told [analysts|investors|shareholders] "
            "that [demand|orders|bookings] [had stabilised|remained strong|were picking up|had slowed] in {LOC}.",
            "[Shares|The stock] [jumped|fell|rose|dropped] {PCT} percent in [early|morning|late] trading [on the "
            "news|after the update|on {DAY}].",
        ]},
        {"head": [  # deals
            "{ORG} [agrees|launches|drops|raises] [takeover|buyout|merger] [bid|offer] for {ORG2}",
            "{ORG} to [buy|acquire|sell] [a stake in|its unit in|a majority of] {ORG2} for {MONEY}",
            "{ORG} and {ORG2} [confirm|call off|extend] merger talks",
        ], "body": [
            "The [offer|deal|bid] values the [company|business|target] at {MONEY}[ including debt|, a premium of "
            "{PCT} percent|].",
            "[Shareholders|Investors|Bondholders] [will vote on|must still approve|are expected to back] the "
            "[deal|merger|offer] in {MONTH}.",
            "[Bankers|Advisers|People close to the talks] said [rival|private equity] [bidders|suitors|funds] could "
            "still [step in|make a counter-offer].",
            "[Competition regulators|The competition authority|Regulators in {LOC}] [are expected to review|have "
            "opened an inquiry into|must approve] the [deal|tie-up|purchase].",
        ]},
        {"head": [  # markets and the economy
            "[Shares|Stocks|Bond yields|The currency] [rally|slide|tumble|edge higher] [as|after] "
            "[inflation|jobs|trade|growth] figures [surprise|disappoint|come in weaker]",
            "Inflation in {LOC} [eases|climbs|slows] to {PCT} percent",
            "[Central bank holds interest rates|Investors brace for a rate cut|Lenders price in higher borrowing "
            "costs]",
            "[Oil|Gold|Copper|Wheat|Coffee] prices [hit|slip from|climb towards] [a record|a two-year high|a "
            "six-month low]",
        ], "body": [
            "[Traders|Economists|Fund managers] had expected [a smaller|a bigger|no] [rise|fall|change] [in prices|in "
            "rates|in unemployment].",
            "The [index|benchmark index|main share index] [closed|ended the week|finished] {PCT} percent "
            "[higher|lower].",
            "[Mortgage|Borrowing|Fuel|Food] costs remain [a worry|the main concern|stubbornly high] for "
            "[households|small firms|retailers|exporters], said {PERSON}, an economist at {ORG}.",
            "[Growth|Output|Factory activity] [slowed|picked up|stalled] in {MONTH}, figures from the {AGENCY} showed.",
        ]},
        {"head": [  # jobs, shops and strikes
            "{ORG} to [cut|shed|create|add] {NUM} jobs [in {LOC}|worldwide|at its plants]",
            "Workers at {ORG} [vote to strike|walk out|threaten to strike] over [pay|pensions|shift patterns]",
            "[Shoppers|Consumers] [cut back|splash out|return to the shops] [in {MONTH}|before the holidays|as prices "
            "rise]",
            "{ORG} [closes|opens|sells] {SMALL} [stores|branches|factories] in {LOC}",
        ], "body": [
            "[The union|Union leaders|Staff representatives] said the [offer|plan|decision] [was unacceptable|came as "
            "a shock|would be put to members].",
            "[Sales|Footfall|Online orders] at its [stores|shops|branches] in {LOC} [rose|fell] {PCT} percent [last "
            "month|in the quarter|over the holiday season].",
            "The [retailer|chain|carmaker|airline|bank] [blamed|cited|pointed to] [weak demand|a mild winter|higher "
            "wages|supply problems|online competition].",
            "[Managers|Executives|The firm] said the [cuts|closures|changes] would save {MONEY} a year.",
        ]},
        {"head": [  # crossover: money in sport is business
            "{CLUB} [report|post] record [revenue|turnover|losses] [after|despite] [a cup run|a new sponsorship "
            "deal|the stadium move]",
            "{ORG} [signs|renews|ends] [shirt|stadium naming|kit] sponsorship [deal|contract] with {CLUB}",
            "[Broadcasters|Streaming services] [pay|bid|offer] {MONEY} for [league|cup|tournament] [TV|media] rights",
        ], "body": [
            "The [deal|agreement|contract] is worth {MONEY} [a year|over five years|including bonuses], [according "
            "to|said] {PERSON}[ of {ORG}|].",
            "[Income|Revenue] from [tickets|broadcasting|merchandise|sponsors] [rose|fell] {PCT} percent, [the "
            "accounts show|the annual report shows].",
            "[Analysts|Investors|Lenders] [worry|fear|say] that [spending on players|rising wages|heavy debts] could "
            "[hurt|squeeze|wipe out] [profits|margins|the surplus].",
        ]},
        {"head": [  # crossover: money in tech is business
            "{ORG} shares [jump after chip orders surge|slump after weak phone sales|slide after a cyber attack|rise "
            "after the launch of the {PRODUCT}]",
            "{ORG} [sells|ships] fewer [phones|laptops|chips] [than expected|as demand cools]",
        ], "body": [
            "The [company|group|firm] [sold|shipped] {NUM} [phones|devices|units] [in the quarter|last year], "
            "[fewer|more] than [analysts|the market] had expected.",
            "[Analysts|Investors] worry that [rising chip prices|cheaper rivals|heavy spending on data centres] could "
            "[hurt|squeeze] [margins|profits].",
            "[Revenue|Sales] from [cloud services|subscriptions|smartphones] [rose|fell] {PCT} percent to {MONEY}.",
        ]},
    ],
    "politics": [
        {"head": [  # elections
            "{PERSON} [calls|rules out|hints at] [an early|a snap] election",
            "[Polls show|A new poll shows|Surveys show] [a tight race|{PERSON} ahead|support for {PARTY} slipping][ "
            "in {LOC}|]",
            "{PARTY} [wins|loses|holds] [seats|its majority|the vote] in {LOC}",
            "{PERSON} [launches|ends|suspends] [campaign|bid] for [party leader|mayor|president|the leadership]",
        ], "body": [
            "Turnout was [higher|lower] than at the last election, [the electoral commission|officials|observers] "
            "said.",
            "{PERSON} [promised|pledged|vowed] to [cut taxes|build more homes|reform pensions|raise the minimum "
            "wage|fix the health service] [if elected|within a year|before the next election].",
            "The [campaign|race] [has focused on|turned on|has been dominated by] [housing|immigration|energy "
            "bills|the cost of living|public transport].",
            "{PARTY} [needs|hopes to win|is short of] {SMALL} more seats to [form a government|keep its "
            "majority|govern alone].",
        ]},
        {"head": [  # parliament and laws
            "[Parliament|The senate|The assembly|The lower house] [passes|rejects|delays|debates] "
            "[budget|tax|housing|data protection|media|pension] [bill|law|reform]",
            "[Government|The cabinet|The coalition] [unveils|scraps|waters down] plan to [raise|cut|freeze] [fuel "
            "duty|income tax|rents|tuition fees]",
            "Opposition [rejects|blocks|attacks] {PERSON}'s [tax|budget|welfare|housing] plan",
        ], "body": [
            "The [bill|law|measure] passed by {VOTES} [after a long debate|late on {DAY}|with support from the "
            "opposition].",
            "[Critics|Opponents|Campaigners] say the [reform|law|bill] will [hurt small businesses|raise costs for "
            "renters|give police too much power|cost taxpayers {MONEY}].",
            "The [finance|housing|interior] minister, {PERSON}, said the [changes|rules|reforms] would [take "
            "effect|be introduced|come into force] in {MONTH}.",
            "[Protesters|Farmers|Teachers|Nurses] gathered outside [parliament|the assembly|government offices] as "
            "[lawmakers voted|members debated the plan].",
        ]},
        {"head": [  # diplomacy
            "{PERSON} [meets|hosts|visits] [leaders|ministers|officials] in {LOC}",
            "Trade talks [stall|resume|collapse] over [tariffs|farm subsidies|fishing rights|steel quotas]",
            "[Talks|Ministers|Leaders] in {LOC} [agree|fail to agree|make progress] on [climate "
            "targets|sanctions|border checks|a ceasefire]",
            "{LOC} [recalls|expels|summons] [ambassador|diplomats|envoy] [over|after] [spying claims|a border "
            "dispute|remarks by {PERSON}]",
        ], "body": [
            "[The two sides|Both governments|Negotiators] [agreed to|failed to|hope to] [meet again|sign a deal|ease "
            "sanctions] [in {MONTH}|before the summit|by the end of the year].",
            "[Officials|Diplomats] said [little|some|real] progress had been made on [border checks|tariffs|energy "
            "supplies|a ceasefire|refugees].",
            "The [foreign|trade|defence] minister, {PERSON}, called the [talks|meeting|visit] "
            "[constructive|difficult|a first step].",
            "The [{INST}|opposition|president's office] [welcomed|criticised|questioned] the "
            "[agreement|decision|statement] on {DAY}.",
        ]},
        {"head": [  # government, scandals, resignations
            "{PERSON} [resigns|is sacked|steps down] as [finance|health|transport|sports|digital|trade] minister",
            "[Inquiry clears|Reshuffle hits|Expenses row hits|Scandal rocks] {PERSON}",
            "[Prime minister|President|Mayor] {PERSON} [survives|faces|loses] [confidence vote|no-confidence "
            "motion|party revolt]",
        ], "body": [
            "The [prime minister|president|party leader] [thanked|criticised|defended] {PERSON} [in a statement|on "
            "{DAY}|at a press conference].",
            "[An inquiry|A report|Auditors] found [that public money had been misused|no wrongdoing|failings in the "
            "ministry|that rules had been broken].",
            "[Opposition leaders|Backbench members|Coalition partners] [called for|demanded|ruled out] [fresh "
            "elections|a full inquiry|a vote of no confidence].",
            "{PERSON} [denied|admitted|apologised for] [breaking the rules|misleading parliament|the remarks] and "
            "said [she|he] would [stay on|cooperate with investigators|not stand again].",
        ]},
        {"head": [  # crossover: rules for companies are politics
            "Government [plans|unveils|drops] [rules|new taxes|a ban] on [artificial intelligence|social media|online "
            "gambling|crypto] [firms|apps|platforms]",
            "{ORG} [boss|chief|chairman] [questioned|grilled] by [lawmakers|MPs|a parliamentary committee] over "
            "[prices|a data breach|tax affairs|job cuts]",
        ], "body": [
            "The [committee|minister|government] said [companies|tech firms|platforms] would [face fines|have to "
            "pay|be held to account] [if they break the rules|from {MONTH}|under the new law].",
            "[Lawmakers|MPs|Members of the committee] [voted|decided] {VOTES} to [publish the report|summon "
            "executives|back the plan].",
            "[The opposition|Campaign groups|Unions] accused the government of [caving in to|siding with] [big "
            "business|industry lobbyists|big tech].",
        ]},
        {"head": [  # crossover: public money for sport is politics
            "Ministers [approve|reject|delay] public [money|funding] for new stadium in {LOC}",
            "[Minister|Government|Mayor] [backs|opposes] {LOC} bid to host [the Olympics|the World Cup|the Games]",
        ], "body": [
            "[Taxpayers|Voters|Local residents] [should not|will not|may have to] [foot the bill|pay for it|cover the "
            "cost], {PERSON} of {PARTY} said.",
            "The [bid|stadium|plan] would cost {MONEY} of public money, [auditors estimate|the finance ministry said].",
            "The [council|regional government|cabinet] will [vote on|decide on|debate] the [plan|bid|funding] in "
            "{MONTH}.",
        ]},
    ],
    "sport": [
        {"head": [  # matches
            "{CLUB} [beat|edge past|thrash|stun] {CLUB2} {SCORE}",
            "{CLUB} and {CLUB2} [draw|share the points at] {DRAW}",
            "Late [goal|penalty|header|winner] [rescues|sinks|lifts] {CLUB}",
            "{CLUB} [go top|slip to {ORD}|stay bottom] after [win|defeat|draw] against {CLUB2}",
        ], "body": [
            "{PERSON} [scored|struck|headed in] [twice|the winner|a late equaliser] [before half-time|in stoppage "
            "time|after the break].",
            "[The win lifts them to {ORD} in the league|The result keeps the home side top of the table|The defeat "
            "leaves the visitors in the relegation zone|The draw keeps both sides in mid-table].",
            "The visitors [led|were level] at half-time but [conceded twice|fell apart|had a player sent off] [in the "
            "last ten minutes|after the break].",
            "A crowd of {NUM} [watched|saw] the [match|game|derby] [despite the rain|in {LOC}|on {DAY} evening].",
        ]},
        {"head": [  # transfers and contracts
            "{CLUB} [sign|agree fee for|complete move for] [striker|midfielder|defender|goalkeeper|winger] {PERSON}",
            "{PERSON} [signs new contract|agrees extension|hands in transfer request] at {CLUB}",
            "{CLUB} [reject|accept|weigh] [an offer|a bid] of {FEE} for [captain|striker|goalkeeper] {PERSON}",
        ], "body": [
            "The [fee|deal|contract] [is thought to be worth|could rise to] {FEE} [with add-ons|over five "
            "years|including bonuses].",
            "[Manager|Head coach|Coach] {PERSON} said the [signing|player|new arrival] would [add depth|strengthen "
            "the defence|bring experience] [for the title race|ahead of the cup tie|in the second half of the season].",
            "[He|She] [scored {SMALL} goals|made {SMALL} appearances] for {CLUB} last season [and won the cup|before "
            "a move abroad].",
            "[Supporters|Fans] [welcomed|criticised] the [move|deal|decision] on social media.",
        ]},
        {"head": [  # individual sports
            "{PERSON} [wins|claims|defends] [marathon|world title|stage {SMALL}|the open|the sprint title] in {LOC}",
            "{PERSON} [breaks|sets|equals] [world|national|course|championship] record[ in {LOC}| at the trials|]",
            "{PERSON} [reaches|qualifies for] the [final|semi-finals] [in {LOC}|at the open|of the championships]",
        ], "body": [
            "[She|He] finished [almost a minute|{SMALL} seconds|a few metres|two strokes] ahead of [the defending "
            "champion|a training partner|the favourite].",
            "The [victory|result|win] [secures|earns|seals] [a place at the world championships|a first major title|a "
            "spot in the final|qualification for the Olympics].",
            "[Wet|Windy|Hot] conditions [slowed the field|troubled the favourites] [on {DAY}|in {LOC}|all week].",
            "[Her|His] coach, {PERSON}, said the [plan|aim|target] [was|had been] to [peak in {MONTH}|qualify for the "
            "final|win gold].",
        ]},
        {"head": [  # discipline, managers, injuries
            "{PERSON} [banned for {SMALL} matches|suspended for doping|fined for misconduct|banned after a failed "
            "test]",
            "{CLUB} [sack|appoint|confirm] [manager|coach|head coach] {PERSON}",
            "[Injury|Knee injury|Hamstring problem|Ankle injury] [rules|keeps] {PERSON} out of [the final|the "
            "derby|the rest of the season]",
        ], "body": [
            "The [governing body|league|federation|disciplinary panel] said [the ban|the decision|the fine] [would be "
            "appealed|takes effect immediately|was final].",
            "[Club officials|The board|Supporters] [backed|criticised|questioned] [the decision|the coach|the "
            "captain] after [a run of defeats|a poor start|a late collapse].",
            "[Scans|Tests] showed [a torn ligament|a small fracture|muscle damage], and [doctors|the medical staff] "
            "expect [a long|a short|a six-week] [absence|recovery].",
            "{PERSON} [leaves|takes charge of] the [team|squad|club] [in {ORD} place|with {SMALL} games left|after "
            "{SMALL} years].",
        ]},
        {"head": [  # crossover: technology in the game is sport
            "[Goal-line technology|Video review|Replay system] [rules out|confirms|awards] {CLUB} "
            "[goal|penalty|winner]",
            "[Wearable sensors|Tracking data|Smart balls] [used|tested|approved] at [the cup final|the world "
            "championships|league matches]",
        ], "body": [
            "[Referee {PERSON}|The referee, {PERSON},] [checked the screen|consulted the replay|waited for the "
            "system] before [awarding|disallowing] the [goal|penalty].",
            "[Coaches|Players|Pundits] said the [system|technology] [took too long|got the call right|spoiled the "
            "atmosphere] [in the second half|at the end|on {DAY}].",
            "The [league|federation|governing body] [plans to use|will review|wants to expand] the [system|trial] "
            "[next season|from {MONTH}|in every stadium].",
        ]},
        {"head": [  # crossover: elections, fans and hosting around the game are sport
            "Fans [protest|march|boycott matches] [against|over] [ticket prices|the club's owners|kick-off times] at "
            "{CLUB}",
            "{PERSON} [elected|voted in|re-elected] as president of [the football federation|the athletics "
            "federation|the cycling union]",
            "{LOC} [named|chosen|confirmed] as host of [the world championships|the cup final|the tournament]",
        ], "body": [
            "[Players|The players' union|Coaches] said [the schedule|the calendar|the format] leaves too little time "
            "for [rest|recovery|training].",
            "The [event|tournament|final] is expected to [draw|attract|sell] {NUM} [spectators|fans|tickets] [in "
            "{MONTH}|next season|over {SMALL} days].",
            "[Supporters|Season-ticket holders|Fan groups] said they [would keep protesting until prices come "
            "down|felt ignored by the board|wanted a meeting before the next home game].",
        ]},
    ],
    "tech": [
        {"head": [  # launches and reviews
            "{ORG} [unveils|launches|shows off|delays] [the {PRODUCT}|its new {PRODUCT}|the latest {PRODUCT}]",
            "{PRODUCT} review: [fast but pricey|a solid upgrade|style over substance|good battery, weak camera]",
            "[First look|Hands on|Tested]: {ORG}'s {PRODUCT}",
        ], "body": [
            "The [device|gadget|headset|phone|tablet] [has|comes with|ships with] [a larger screen|a faster chip|a "
            "battery that lasts two days|a sharper camera].",
            "It [goes on sale|will be available|ships] [in {LOC}|worldwide|in {SMALL} countries] [from {MONTH}|next "
            "month|later this year] for {PRICE}.",
            "[Reviewers|Testers|Early buyers] [praised|criticised|complained about] [the screen|the battery life|the "
            "price|the software|the weight].",
            "[Engineers|Designers] said the new [chip|processor|sensor] uses [half the power of|less energy than|a "
            "fraction of the memory of] the old one.",
        ]},
        {"head": [  # security
            "[Security flaw|Bug|Data breach|Leak] [exposes|hits|affects] [millions of users|{ORG} customers|{PRODUCT} "
            "owners]",
            "[Hackers target|Attackers breach|A ransomware gang disrupts] {ORG} [systems|servers|network]",
            "[Passwords|Private messages|Location data] of [{NUM}|millions of] users [leaked|exposed|stolen]",
        ], "body": [
            "[Researchers|Security experts|Analysts] warned that [attackers|criminals|hackers] could [read private "
            "messages|steal passwords|take control of devices].",
            "[A patch|An update|A fix] [is being rolled out|will be released|was published] [on {DAY}|this "
            "week|within days], {ORG} said.",
            "Users were [advised|told|urged] to [change their passwords|update the app|switch on two-factor login] "
            "[as soon as possible|immediately].",
            "The [flaw|bug|weakness] [was found by a student in {LOC}|had gone unnoticed for {SMALL} months|sat in "
            "the login system].",
        ]},
        {"head": [  # AI and research
            "{ORG} [trains|releases|opens up] [a new|a larger|a cheaper] [AI|language|image|speech] model",
            "Researchers in {LOC} [build|develop|test] [quantum|robot|battery|chip] [prototype|system|design]",
            "[Robots|Drones|Self-driving cars] [tested|deployed|trialled] [in {LOC}|on public roads|in warehouses]",
        ], "body": [
            "The [model|system|software] [can|was trained to] [write code|translate speech|spot tumours in "
            "scans|summarise documents] [in seconds|with few errors].",
            "[Critics|Some scientists|Rights groups] [questioned|warned about] [the energy use|bias|the claims] of "
            "[such systems|the company].",
            "The [team|lab|researchers] [published|shared|released] [the code|the results|a paper] [online|on "
            "{DAY}|in {MONTH}].",
            "[Training|Running] the [model|system] [needed|used] [thousands of chips|a huge data centre|weeks of "
            "computing time].",
        ]},
        {"head": [  # software, apps, networks
            "[App|Software|System] update [fixes battery drain|adds dark mode|breaks the login|adds offline maps]",
            "{ORG} [rolls out|switches on|expands] [5G|fibre broadband|satellite internet] [in {LOC}|to rural areas]",
            "[Outage|Glitch|Crash] [takes down|hits|disrupts] [online banking|messaging apps|cloud services] [for "
            "hours|across {LOC}|on {DAY}]",
        ], "body": [
            "[Users|Customers|Testers] [complained|reported] that the [app|service|website] [crashed|slowed "
            "down|logged them out] [when too many people logged on|after the update].",
            "[Download speeds|Coverage|Signal strength] [doubled|improved|fell] in [early tests|trials in {LOC}|the "
            "first month].",
            "The [update|software|feature] will be [free|available|switched on] for [all users|older phones|paying "
            "subscribers] [from {MONTH}|next week].",
            "Engineers traced the [fault|problem|outage] to [a faulty server|a software bug|a power cut at a data "
            "centre].",
        ]},
        {"head": [  # crossover: chips and start-up money are tech
            "Chip [shortage|output] [delays|hits|slows] {PRODUCT} [production|shipments]",
            "{ORG} [spends|invests|puts] {MONEY} [into|in] [data centres|AI chips|cloud servers]",
            "Start-up in {LOC} [raises|secures] {MONEY} to build [cheaper batteries|delivery drones|smart "
            "meters|faster chips]",
        ], "body": [
            "[The chips|The servers|The sensors] [use|need|handle] [less power|twice the data|new cooling] [and|but] "
            "[cost more|run faster|take up less space].",
            "The [prototype|device|battery] [charges in minutes|runs for a week|works in cold weather], the "
            "[founders|engineers] said.",
            "[Engineers|Researchers] [expect|hope] to [double|triple] [output|capacity|production] [by {MONTH}|within "
            "{SMALL} years].",
        ]},
        {"head": [  # crossover: apps for fans and voters are tech
            "[Gaming|Streaming|Fitness] app [adds|launches|tests] [live match data|virtual stadium seats|heart-rate "
            "tracking] for [fans|players|athletes|runners]",
            "[Voting|Election|Tax] [app|website|software] [crashes|goes live|is tested] [ahead of the election|on "
            "polling day|before the tax deadline]",
        ], "body": [
            "[Developers|Engineers|Programmers] [rebuilt the system in {SMALL} months|tested the software over the "
            "summer|rewrote the code with open-source tools].",
            "[Users|Players|Fans] can [stream|track|share] [their data|live statistics|replays] [on their phones|in "
            "the app|on a watch].",
            "The [site|app|system] [was back online|had been tested for months|will be fixed] [within an hour|before "
            "the vote|by {DAY}], [officials|the developers] said.",
        ]},
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


_CHOICE = re.compile(r"\[([^\[\]]*)\]")


def expand(template: str, rng: random.Random) -> str:
    """Resolve the ``[a|b|c]`` alternatives (innermost first) and the ``{PARTY}`` and ``{FEE}`` slots of a
    news template; the other slots are filled by :func:`render`."""
    while (m := _CHOICE.search(template)) is not None:
        template = template[:m.start()] + rng.choice(m.group(1).split("|")) + template[m.end():]
    while "{PARTY}" in template:
        template = template.replace("{PARTY}", rng.choice(PARTY), 1)
    while "{FEE}" in template:  # a transfer fee (MONEY can run to billions)
        template = template.replace("{FEE}", f"{rng.choice(['£', '€', '$'])}{rng.randint(3, 90)} million", 1)
    return template


def news_text(label: str, rng: random.Random) -> str:
    """Headline + one or two body sentences of one sub-topic of ``label``; sometimes the second sentence comes
    from another category (a story that touches two topics, labelled by its headline)."""
    topic = rng.choice(NEWS_TOPICS[label])
    first, second = rng.sample(topic["body"], 2)
    parts = [rng.choice(topic["head"]) + ".", first]
    roll = rng.random()
    if roll < NEWS_OTHER:
        other = rng.choice([lab for lab in sorted(NEWS_TOPICS) if lab != label])
        parts.append(rng.choice(rng.choice(NEWS_TOPICS[other])["body"]))
    elif roll < NEWS_OTHER + NEWS_SECOND:
        parts.append(second)
    text, _ = render(" ".join(expand(p, rng) for p in parts), rng)
    text = re.sub(r" +", " ", text).replace(" .", ".").replace(" ,", ",")
    return text[0].upper() + text[1:]


def news_examples(n: int, rng: random.Random, unique: Unique) -> list[dict]:
    labels = sorted(NEWS_TOPICS)
    out: list[dict] = []
    while len(out) < n:
        label = labels[len(out) % len(labels)]  # balanced classes
        text = news_text(label, rng)
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

    rng, unique = random.Random(NEWS_SEED), Unique()
    for name, n in NEWS_SIZES.items():
        rows = news_examples(n, rng, unique)
        if name == "pool":
            rows = [{"text": r["text"], "label": ""} for r in rows]
        write_csv(out / f"news_{name}.csv", rows)
        counts[f"news_{name}.csv"] = len(rows)
    return counts


if __name__ == "__main__":
    for name, n in main().items():
        print(f"{name:<20} {n}")
