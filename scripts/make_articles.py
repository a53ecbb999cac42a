#!/usr/bin/env python3
"""Generate the synthetic news articles that the `offline` and `tiny` profiles summarise.

Writes two JSON Lines files, one article per line as {"id", "topic", "article", "highlights"}, in a folder laid out
like the Hub dataset abisee/cnn_dailymail (a configuration folder whose README declares its train and test splits),
so that the notebook opens it with load_dataset exactly as it opens the Hub's:

    data/cnn_dailymail/offline/train-00000-of-00001.jsonl   120 articles, ids train-000 .. train-119, TRAIN_TOPICS
    data/cnn_dailymail/offline/test-00000-of-00001.jsonl     30 articles, ids heldout-000 .. heldout-029, HELDOUT_TOPICS
    data/cnn_dailymail/README.md                            the configuration "offline" and its two splits

The articles imitate CNN/DailyMail in shape only: 150-350 words in several paragraphs, about invented people,
places and organisations from the lists below, with 2-3 short "highlights" (separated by "\\n") that restate the
key facts (who, what, how many). Ten topic templates (council vote, sports result, company results, severe
weather, scientific study, court case, school news, transport, charity event, health advisory) each have
several phrasings per sentence, plus background sentences that never reach the highlights, so a summary has to
select facts rather than copy the opening. Nothing here is taken from a dataset or a web page.

The held-out articles come from three topics (HELDOUT_TOPICS) that the training file never contains, so a
student evaluated on them cannot score by having memorised a topic's template: it has to summarise an article
whose sentence patterns it never saw in training. Each row carries its `topic`, so the split can be checked.

The output is deterministic: each file has its own seeded random stream (TRAIN_SEED, HELDOUT_SEED), topics are
balanced within each file (counts differ by at most one), and the script checks that the two files share no
topic and no article. Standard library only. Rerun from the repository root with

    python scripts/make_articles.py
"""
import json
import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "data" / "cnn_dailymail"
TRAIN_SEED = 6_447_120
HELDOUT_SEED = 6_447_030
N_TRAIN, N_HELDOUT = 120, 30
MIN_WORDS, MAX_WORDS = 150, 350

# ---------------------------------------------------------------------------------------------------------------
# Invented people, places and organisations.
# Women's names are kept apart for the roles whose sentences say "she" or "her".
WOMEN = ["Amara", "Carmen", "Elena", "Grace", "Ingrid", "Kira", "Maya", "Olivia", "Rosa", "Tamsin", "Vera",
         "Ximena", "Zoe", "Beatrice", "Daniela", "Fatima", "Hannah", "Julia", "Leah", "Nadia", "Priya", "Sofia",
         "Yara", "Ada", "Mei"]
MEN = ["Ben", "Dmitri", "Farid", "Hiro", "Jamal", "Luis", "Nikhil", "Pavel", "Quinn", "Samuel", "Umar", "Wesley",
       "Yusuf", "Aiden", "Chidi", "Emil", "Gareth", "Ivan", "Kwame", "Marcus", "Oscar", "Rafael", "Tomas", "Victor",
       "Declan"]
FIRST_NAMES = WOMEN + MEN
SURNAMES = [
    "Abernathy", "Bellweather", "Castellano", "Dunmore", "Ekwueme", "Fairbanks", "Gallagher", "Halvorsen",
    "Ibarra", "Jablonski", "Kowalczyk", "Lindqvist", "Marchetti", "Nakamura", "Okafor", "Pemberton", "Quintero",
    "Rasmussen", "Sandoval", "Thistlewood", "Underhill", "Valdez", "Whitcombe", "Yilmaz", "Zielinski",
    "Achterberg", "Brannigan", "Cordova", "Delacroix", "Esposito", "Falkner", "Grimsby", "Hargreaves", "Iwasaki",
    "Kettering", "Lowenthal", "Novak", "Oyelaran", "Prendergast", "Radcliffe", "Soderberg", "Tennant", "Vasquez",
    "Wainwright", "Ashdown", "Blackwood", "Calloway", "Drummond", "Everly", "Mbatha",
]
TOWNS = [
    "Brackenford", "Eastmere", "Port Calder", "Hollowbrook", "Wrenfield", "Ashcombe Vale", "Kestrel Bay",
    "Marrow Cross", "Dunhaven", "Tallowmere", "Greyhaven", "Larkmoor", "Penhallow Springs", "Oakridge Junction",
    "Saltmarsh", "Corvin City", "Westbury Lake", "Halden", "Millbrook Harbor", "Ravensgate", "Thornbury Falls",
    "Cinderford Point", "Elmstead", "Quarry Hill", "Northam Bay", "Fenwick", "Silverleigh", "Brightmoor",
]
COUNTIES = ["Northvale", "Wexmoor", "Calder", "Linden", "Harrowgate", "Ambervale", "Stonemoor", "Fallowfield"]
RIVERS = ["Tessel", "Marrow", "Wendle", "Calder", "Ouse Brook", "Silverrun", "Blackwater", "Kennet Vale"]
STREETS = ["Carver Street", "Elm Avenue", "Harbor Road", "Mill Lane", "Station Road", "Queensway", "Birch Street",
           "Market Square", "Riverside Drive", "Chapel Road"]
COMPANIES = [
    ("Halvorsen Logistics", "the logistics company"), ("Brightwater Foods", "the packaged-food maker"),
    ("Corvane Systems", "the software firm"), ("Meridian Textiles", "the clothing manufacturer"),
    ("Northlight Energy", "the solar panel maker"), ("Quillfield Software", "the accounting software company"),
    ("Tessar Motors", "the electric scooter maker"), ("Pelham & Rowe", "the department store chain"),
    ("Granitewell Mining", "the mining group"), ("Bluefin Telecom", "the mobile phone operator"),
    ("Orchard Lane Bakeries", "the bakery chain"), ("Kestrel Aerospace", "the aircraft parts supplier"),
]
JOURNALS = ["the Halden Medical Review", "the Journal of Applied Lifestyle Research",
            "the Northern Annals of Epidemiology", "the Quarterly Review of Health and Behaviour",
            "Public Health Letters of Wexmoor"]
SOCCER_NAMES = ["Rovers", "United", "Athletic", "Wanderers", "Rangers", "City", "Albion", "Town"]
BASKETBALL_NAMES = ["Falcons", "Hawks", "Comets", "Lynx", "Pioneers", "Foxes", "Titans", "Mariners"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
WEEKDAYS = DAYS[:5]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
ORDINALS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth"]
NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                "twelve"]


# ---------------------------------------------------------------------------------------------------------------
# Small helpers.
def person(rng):
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"


def people(rng, k, women=()):
    """k people with distinct surnames, so that a surname never refers to two of them; the positions listed in
    `women` get a woman's first name."""
    surnames = rng.sample(SURNAMES, k)
    return [f"{rng.choice(WOMEN if i in women else FIRST_NAMES)} {s}" for i, s in enumerate(surnames)]


def surname(full_name):
    return full_name.split()[-1]


def money(value):
    """Dollars, CNN-style: $850,000 / $4.2 million / $1.3 billion."""
    if value >= 1e9:
        return f"${value / 1e9:.1f} billion".replace(".0 ", " ")
    if value >= 1e6:
        return f"${value / 1e6:.1f} million".replace(".0 ", " ")
    return f"${int(round(value)):,}"


def an(phrase):
    """Indefinite article for phrases such as "$8 million plan" or "11-year-old", read as spoken."""
    head = phrase.lstrip("$")
    digits = ""
    for ch in head:
        if ch.isdigit():
            digits += ch
        elif ch == ",":
            continue
        else:
            break
    if digits:
        n = int(digits)
        spoken_vowel = digits[0] == "8" or n in (11, 18) or 11_000 <= n < 12_000 or 18_000 <= n < 19_000
        return ("an " if spoken_vowel else "a ") + phrase
    return ("an " if phrase[:1].lower() in "aeiou" else "a ") + phrase


def possessive(name):
    return name + ("'" if name.endswith("s") else "'s")


def num_word(n):
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else f"{n:,}"


def cap(s):
    return s[:1].upper() + s[1:]


# A lone digit 1-9 that is not part of a score (3-1), a time (9:15), money ($2.50) or a percentage.
LONE_DIGIT = re.compile(r"(?<![\d$.,:\-])\b([1-9])\b(?![\d,.:]\d|-\d| percent)")


def newsroom(sentence):
    """House style: numbers under ten in words ("three weeks"), and a capital first letter."""
    return cap(LONE_DIGIT.sub(lambda m: NUMBER_WORDS[int(m.group(1))], sentence))


class Picker:
    """Picks one phrasing from a list and fills it from the article's facts."""

    def __init__(self, rng, facts):
        self.rng, self.f = rng, facts
        if "town" in facts:
            facts["town_pos"] = possessive(facts["town"])

    def __call__(self, *variants):
        return newsroom(self.rng.choice(variants).format(**self.f))

    def all(self, variants):
        return [newsroom(v.format(**self.f)) for v in variants]


def word_count(text):
    return len(text.split())


# ---------------------------------------------------------------------------------------------------------------
# Topic templates. Each returns (core paragraphs, background sentences, highlights):
#   core: list of paragraphs (each a list of sentences); the first is the lead and stays first.
#   background: sentences that may be added as extra paragraphs; they never appear in the highlights.
#   highlights: 2-3 sentences; the first states the main event.
COUNCIL_PROJECTS = [
    ("build a new public library on {street}", "the library"),
    ("rebuild the ageing {bridge} Bridge", "the bridge"),
    ("turn the old rail yard into a public park", "the park"),
    ("replace the city's remaining lead water pipes", "the pipe replacement"),
    ("build {homes} affordable homes on the former {sur2} factory site", "the housing development"),
    ("open a new community swimming pool", "the pool"),
    ("add {km} kilometres of protected bike lanes", "the bike lane network"),
    ("convert the empty {sur2} Building into a youth centre", "the youth centre"),
]
FUNDING = ["a mix of state grants and a small rise in property taxes", "the city's reserve fund",
           "a bond that voters approved two years ago", "federal infrastructure grants and parking revenue",
           "savings from the city's energy budget and a private donation"]


def t_council(rng):
    total = rng.choice([7, 9, 11])
    yes = rng.randint(total // 2 + 1, total - 1)
    mayor, opp, director, resident = people(rng, 4)
    f = dict(town=rng.choice(TOWNS), street=rng.choice(STREETS), bridge=rng.choice(SURNAMES),
             sur2=rng.choice(SURNAMES), homes=rng.choice([60, 85, 120, 140, 210]), km=rng.randint(6, 30),
             yes=yes, no=total - yes, day=rng.choice(WEEKDAYS), mayor=mayor, mayor_s=surname(mayor), opp=opp,
             opp_s=surname(opp), director=director, resident=resident, month=rng.choice(MONTHS),
             months=rng.choice([14, 18, 20, 24, 30]), funding=rng.choice(FUNDING),
             attendees=rng.randint(4, 30) * 10, hours=rng.choice(["three", "four", "five"]),
             pop=f"{rng.randint(18, 140) * 1000:,}", growth=rng.randint(6, 22), year=rng.randint(1994, 2016))
    what, noun = rng.choice(COUNCIL_PROJECTS)
    f["what"] = what.format(**f)
    f["noun"] = noun
    f["cost"] = money(rng.randint(15, 480) * 1e5)
    f["a_cost"] = an(f["cost"])
    p = Picker(rng, f)
    lead = p("City councillors in {town} voted {yes}-{no} on {day} to approve {a_cost} plan to {what}.",
             "{town} will {what} after its city council backed the {cost} project by {yes} votes to {no} on {day}.",
             "A long-debated plan to {what} in {town} cleared its final hurdle on {day}, when the city council "
             "approved the {cost} project {yes}-{no}.")
    core = [
        [lead, p("The money will come from {funding}.", "Officials said the project would be paid for with {funding}.",
                 "According to city documents, the cost will be covered by {funding}.")],
        [p("Construction is expected to begin in {month} and to take about {months} months.",
           "Work is scheduled to start in {month}, and the city expects it to last roughly {months} months."),
         p('"This is a long-term investment in the people of {town}," Mayor {mayor} said after the vote.',
           'Mayor {mayor} called the decision "a promise kept to the families of {town}."',
           '"Residents have asked for this for years, and tonight we delivered," said Mayor {mayor}.')],
        [p("Councillor {opp}, who voted against the plan, said the city could not afford it at a time of rising "
           "costs.", "Not everyone was convinced. Councillor {opp} argued that the estimate was too optimistic "
           "and warned that the final bill could be far higher.",
           'Councillor {opp} opposed the measure. "We are borrowing against our children\'s future," {opp_s} said.')],
    ]
    f.update(proposed=rng.randint(4, 15), upkeep=money(rng.randint(2, 30) * 1e4), next_month=rng.choice(MONTHS))
    core.append([p("The city will now invite construction firms to bid for the contract.",
                   "A contract for the work is expected to be awarded within the next few months."),
                 p("Detailed designs will go on display at city hall so that residents can comment before work "
                   "begins.", "A public consultation on the detailed design will take place in the coming weeks.")])
    more = [
        "Supporters at the meeting wore green ribbons, and some held signs reading \"Build it now.\"",
        "The idea was first proposed {proposed} years ago but stalled when money ran short.",
        "City staff estimate that {noun} will need about {upkeep} a year in upkeep once it is complete.",
        "Business owners on {street} said they hoped the project would bring more visitors to the area.",
        "The council's next regular meeting is scheduled for early {next_month}.",
        "Councillor {opp} said the city should have waited for next year's budget review before committing.",
    ]
    background = p.all(more + [
        "About {attendees} residents packed the meeting, which ran for more than {hours} hours.",
        "{town}, which has a population of about {pop}, has grown by nearly {growth} percent over the past decade.",
        "The council last approved a project of this size in {year}.",
        "The city's finance director, {director}, told councillors that the budget would remain balanced.",
        "Council members also discussed new parking rules downtown but postponed that vote until next month.",
        "Several speakers at the meeting asked the council to hire local contractors for the work.",
        "{resident}, who has lived in {town} for three decades, told the council that the project was overdue.",
        "The meeting was streamed live on the city's website, and the recording will remain online.",
        "A public survey last spring found broad support for {noun}, though many respondents worried about cost.",
    ])
    highlights = [
        p("{town} council approves {cost} plan to {what}.", "{town} to {what} at a cost of {cost}."),
        p("The vote was {yes}-{no}, with work due to start in {month}.",
          "Councillors split {yes}-{no}; construction is set to begin in {month}."),
        p("The project will be paid for with {funding}.", "Councillor {opp} opposed the plan."),
    ]
    return core, background, highlights


def t_sports(rng):
    towns = rng.sample(TOWNS, 2)
    star, coach, lcoach, rookie, injured = people(rng, 5)
    squad = WOMEN if rng.random() < 0.5 else MEN  # players of one team share a league
    star, rookie, injured = (f"{rng.choice(squad)} {surname(x)}" for x in (star, rookie, injured))
    if rng.random() < 0.5:
        names = rng.sample(SOCCER_NAMES, 2)
        ws, ls = rng.choice([(1, 0), (2, 0), (2, 1), (3, 1), (3, 2), (4, 1), (3, 0), (4, 2)])
        star_n = rng.randint(2, min(ws, 3)) if ws >= 2 else 1
        star_did = {1: "scored the only goal", 2: "scored twice", 3: "scored a hat-trick"}[star_n]
        star_hl = {1: "{star_s} got the only goal of the match.", 2: "{star_s} scored two of the goals.",
                   3: "{star_s} scored three goals."}[star_n]
        late = f"in the {rng.randint(78, 89)}th minute"
        sport = dict(game="match", league="Northern League", start="kick-off")
        venue = "Park"
        extra = ["Rain fell steadily throughout the second half, making the pitch heavy for both sides.",
                 "{winner} had {shots} shots on goal, compared with {lshots} for {loser}."]
    else:
        names = rng.sample(BASKETBALL_NAMES, 2)
        ls = rng.randint(72, 104)
        ws = ls + rng.randint(2, 18)
        star_n = rng.randint(24, 41)
        star_did = f"scored {star_n} points"
        star_hl = "{star_s} finished with {star_n} points."
        late = f"with {rng.randint(12, 58)} seconds left"
        sport = dict(game="game", league="Coastal Conference", start="tip-off")
        venue = "Arena"
        extra = ["{star_s} also added {rebounds} rebounds.",
                 "{winner} made {threes} three-pointers, a season high."]
    winner, loser = f"{towns[0]} {names[0]}", f"{towns[1]} {names[1]}"
    home, away = (winner, loser) if rng.random() < 0.5 else (loser, winner)
    f = dict(winner=winner, loser=loser, ws=ws, ls=ls, star=star, star_s=surname(star), star_did=star_did,
             star_n=star_n, coach=coach, coach_s=surname(coach), lcoach=lcoach, lcoach_s=surname(lcoach),
             rookie=rookie, injured=injured, day=rng.choice(DAYS), att=f"{rng.randint(35, 420) * 100:,}",
             venue=f"{rng.choice(SURNAMES)} {venue}", home=home, away=away, pos=rng.choice(ORDINALS[:5]),
             of=rng.randint(5, 7), streak=rng.randint(3, 7), weeks=rng.randint(2, 6), season=rng.randint(8, 40),
             shots=rng.randint(12, 22), lshots=rng.randint(3, 11), rebounds=rng.randint(7, 15),
             threes=rng.randint(13, 19), late=late, **sport)
    f["losses"] = rng.randint(3, f["of"] - 1)
    f["losses_ord"] = ORDINALS[f["losses"] - 1]
    p = Picker(rng, f)
    lead_i = rng.randrange(3)
    lead = p.all(["{star} {star_did} as {winner} beat {loser} {ws}-{ls} on {day} in front of {att} fans at {venue}.",
                  "{winner} defeated {loser} {ws}-{ls} on {day}, with {star} leading the way at {venue}.",
                  "A crowd of {att} at {venue} watched {winner} beat {loser} {ws}-{ls} on {day} night."])[lead_i]
    if ws - ls <= 1 or (sport["game"] == "game" and ws - ls <= 5):
        decider = p("{loser} kept it close until {late}, when {star_s} settled the {game}.",
                    "The result was only secured {late}, when {star_s} made the difference.")
    else:
        decider = p("{winner} were in control for most of the {game}, and {star_s} was at the heart of it.",
                    "{star_s}, who has been in outstanding form all season, gave {loser} few chances to recover.")
    core = [
        [lead],
        ([] if lead_i == 0 else [p("{star} {star_did} for {winner}.", "{star} {star_did} on the night.")]) +
        [decider,
         p("The win lifted {winner} to {pos} place in the {league}.",
           "The victory moved {winner} up to {pos} in the {league} standings.")],
        [p('"I am proud of the way the players kept going," said {winner} coach {coach}.',
           '"We knew it would be hard, and the players answered every question," coach {coach} said afterwards.',
           'Coach {coach} praised the team\'s patience. "We stuck to the plan," {coach_s} said.'),
         p("For {loser}, it was a {losses_ord} defeat in their last {of} outings.",
           "{loser} have now lost {losses} of their last {of} games, and coach {lcoach} admitted the team was "
           "short of confidence.")],
    ]
    third_town = rng.choice([t for t in TOWNS if t not in towns])
    third = f"{third_town} {rng.choice(SOCCER_NAMES if venue == 'Park' else BASKETBALL_NAMES)}"
    f.update(third=third, nextday=rng.choice([d for d in DAYS if d != f["day"]]), played=rng.randint(10, 24),
             cards=rng.randint(4, 8),
             fouls=rng.randint(34, 52))
    f["wins"] = rng.randint(f["played"] // 3, f["played"] - 2)
    core.append([p("{winner} travel to face {third} on {nextday}.", "Next up for {winner} is a trip to {third} on "
                   "{nextday}."),
                 p("Both sides will be hoping to avoid injuries with a busy run of fixtures ahead.",
                   "There is little time to rest, with both teams playing again within a week.")])
    more = [
        "The {game} was shown live on local television and radio.",
        "Fans queued outside {venue} for more than an hour before the doors opened.",
        "{star_s} signed a new three-year contract with the club in the summer.",
        "{winner} have won {wins} of their {played} games this season.",
        "Club officials said a new stand at {venue} would be ready next season.",
        "The referee showed {cards} yellow cards in a bad-tempered contest." if venue == "Park" else
        "The teams were called for {fouls} fouls between them in a physical contest.",
    ]
    background = p.all(more + extra + [
        "Both teams observed a minute of applause before {start} for a former player who died last month.",
        "{winner} were without {injured}, who is expected to miss another {weeks} weeks with a knee injury.",
        "Rookie {rookie} made a first appearance off the bench and was cheered loudly by the crowd.",
        "{home} had not lost at home in {streak} {game}es before the meeting." if sport["game"] == "match" else
        "{home} had not lost at home in {streak} {game}s before the meeting.",
        "Ticket sales for the {game} were the highest at {venue} in {season} seasons, the home club said.",
        "The two clubs meet again later this season, with {away} hosting the return fixture.",
        '"We simply were not good enough tonight," {loser} coach {lcoach} said.',
    ])
    highlights = [
        p("{winner} beat {loser} {ws}-{ls}.", "{winner} win {ws}-{ls} against {loser}.",
          "{loser} lose {ws}-{ls} to {winner}."),
        p("{star} {star_did} for the winners.", star_hl),
        p("The result lifts {winner} to {pos} in the {league}.",
          "{loser} have lost {losses} of their last {of} games."),
    ]
    return core, background, highlights


def t_company(rng):
    company, desc = rng.choice(COMPANIES)
    ceo, cfo, analyst, union = people(rng, 4)
    workforce = rng.randint(18, 160) * 100
    f = dict(company=company, desc=desc, ceo=ceo, ceo_s=surname(ceo), cfo=cfo, analyst=analyst, union=union,
             hq=rng.choice(TOWNS), quarter=rng.choice(["first", "second", "third", "fourth"]),
             day=rng.choice(WEEKDAYS), workforce=f"{workforce:,}", founded=rng.randint(1952, 2009),
             stores=rng.randint(40, 320), countries=rng.randint(3, 19),
             bank=f"{rng.choice(SURNAMES)} {rng.choice(['Capital', 'Securities', 'Partners'])}")
    revenue = rng.randint(40, 950) * 1e6
    f["revenue"] = money(revenue)
    p = Picker(rng, f)
    if rng.random() < 0.5:  # bad quarter, job cuts
        cuts = int(workforce * rng.randint(5, 18) / 100) // 10 * 10
        f.update(cuts=f"{cuts:,}", pct_jobs=round(100 * cuts / workforce), drop=rng.randint(6, 31),
                 share=rng.randint(4, 19), loss=money(rng.randint(4, 90) * 1e6), sites=rng.randint(2, 6))
        lead = p("{company} said on {day} it would cut {cuts} jobs after its {quarter}-quarter revenue fell {drop} "
                 "percent to {revenue}.",
                 "{desc} {company} plans to eliminate {cuts} jobs, about {pct_jobs} percent of its workforce, after "
                 "reporting a {drop} percent drop in {quarter}-quarter sales.",
                 "Shares in {company} fell {share} percent on {day} after {desc} announced {cuts} job cuts and a "
                 "sharp fall in revenue.")
        core = [
            [lead],
            [p("The company reported a net loss of {loss} for the quarter, compared with a profit a year earlier.",
               "{company} lost {loss} in the three months, its first quarterly loss in several years."),
             p("Revenue for the period was {revenue}, down {drop} percent from the same quarter last year.",
               "Sales slid {drop} percent, to {revenue}, as customers cut back on spending.")],
            [p('"These are painful decisions, and they affect people who have given a great deal to this company," '
               'chief executive {ceo} said in a statement.',
               'Chief executive {ceo} said the cuts were needed "to protect the long-term health of the business."'),
             p("The company, which employs about {workforce} people, said it would also close {sites} sites.",
               "{company} currently employs around {workforce} people and plans to shut {sites} of its sites."),
             p("The cuts amount to roughly {pct_jobs} percent of its workforce, and its shares closed down {share} "
               "percent.", "Its shares ended the day {share} percent lower; the cuts affect about {pct_jobs} percent "
               "of staff.")],
        ]
        highlights = [
            p("{company} to cut {cuts} jobs, about {pct_jobs} percent of staff.",
              "{cuts} jobs to go at {company}, which employs around {workforce} people."),
            p("Quarterly revenue fell {drop} percent to {revenue}.", "The firm lost {loss} in the {quarter} quarter."),
            p("Its shares dropped {share} percent on the news.", "It will also close {sites} sites."),
        ]
        extra = [
            "{union}, a union representative, called the cuts \"a shock to families who were told their jobs were "
            "safe.\"",
            "The company said affected employees would receive severance pay and help finding new work.",
        ]
    else:  # good quarter, hiring
        hires = rng.randint(15, 90) * 10
        f.update(hires=f"{hires:,}", rise=rng.randint(7, 42), share=rng.randint(3, 16),
                 profit=money(rng.randint(3, 120) * 1e6), plant=rng.choice(TOWNS))
        lead = p("{company} said on {day} that its {quarter}-quarter revenue rose {rise} percent to {revenue}, and "
                 "announced plans to hire {hires} workers.",
                 "{desc} {company} reported a {rise} percent jump in {quarter}-quarter sales on {day} and said it "
                 "would add {hires} jobs.",
                 "Shares in {company} climbed {share} percent on {day} after {desc} beat expectations with revenue "
                 "of {revenue}.")
        core = [
            [lead],
            [p("Net profit for the quarter reached {profit}.",
               "The company earned a profit of {profit} in the period."),
             p("Revenue climbed {rise} percent to {revenue}, helped by strong demand.",
               "Sales rose {rise} percent from a year earlier, reaching {revenue}.")],
            [p('"Our customers have trusted us through a difficult year, and it shows," chief executive {ceo} said.',
               'Chief executive {ceo} described the results as "the strongest in our history."'),
             p("Most of the {hires} new jobs will be at a new facility in {plant}.",
               "The company said the {hires} new positions would be based mainly in {plant}."),
             p("Its shares closed up {share} percent.", "Investors cheered the news, sending the shares up {share} "
               "percent by the close.")],
        ]
        highlights = [
            p("{company} to hire {hires} workers after strong results.",
              "{company} revenue up {rise} percent; {hires} new jobs planned."),
            p("Quarterly revenue rose {rise} percent to {revenue}.",
              "The firm made a profit of {profit} in the quarter."),
            p("Its shares rose {share} percent on the news.", "Most new jobs will be in {plant}."),
        ]
        extra = [
            "The company expects growth to slow slightly next year, according to its finance team.",
            "Local officials in {plant} welcomed the announcement.",
        ]
    f.update(ceo_year=rng.randint(2012, 2023), vol=rng.choice(["three", "four", "five"]), month=rng.choice(MONTHS))
    core.append([p("{company} said it would give investors more detail about its plans in {month}.",
                   "The company will update shareholders on its strategy at its annual meeting in {month}."),
                 p("Investors will be watching closely for signs that the strategy is working.",
                   "Analysts said the next two quarters would show whether the company's plan is on track.")])
    more = [
        "{ceo_s} became chief executive in {ceo_year}.",
        "The results were released before the stock market opened on {day}.",
        "{company} is one of the largest private employers in {hq}.",
        "Trading in the company's shares was about {vol} times heavier than on a normal day.",
        "Economists say firms like {company} are often among the first to feel changes in consumer spending.",
        "The company's previous chief executive stepped down after a disagreement with the board.",
    ]
    background = p.all(more + extra + [
        "{company} was founded in {founded} and is based in {hq}.",
        "Analyst {analyst} of {bank} said the results were \"broadly in line with what the market feared.\"",
        "The company operates in {countries} countries.",
        "Chief financial officer {cfo} told investors on a call that costs for raw materials remained high.",
        "{company} will publish its full-year results early next year.",
        "The wider sector has struggled with higher interest rates and weaker consumer demand.",
    ])
    return core, background, highlights


def t_weather(rng):
    official, forecaster, resident = people(rng, 3, women=(2,))
    county = rng.choice(COUNTIES)
    towns = rng.sample(TOWNS, 3)
    f = dict(county=county, town=towns[0], town2=towns[1], town3=towns[2], official=official,
             official_s=surname(official), forecaster=forecaster, resident=resident, day=rng.choice(DAYS),
             outages=f"{rng.randint(8, 190) * 500:,}", roads=rng.randint(12, 70), schools=rng.randint(10, 90),
             injured=rng.randint(2, 14), shelters=rng.randint(2, 9), hours=rng.randint(18, 60),
             year=rng.randint(1971, 2012), river=rng.choice(RIVERS), crews=rng.randint(40, 300))
    p = Picker(rng, f)
    if rng.random() < 0.5:
        f.update(kind="storm", amount=f"{rng.randint(90, 260)} millimetres of rain", wind=rng.randint(85, 140),
                 evac=f"{rng.randint(3, 60) * 50:,}")
        lead = p("A powerful storm swept through {county} County on {day}, dumping {amount} and leaving "
                 "{outages} homes without power.",
                 "Emergency crews in {county} County worked through the night after a storm brought winds of up to "
                 "{wind} km/h and knocked out power to {outages} homes.",
                 "More than {outages} households in {county} County were without electricity on {day} after heavy "
                 "rain and strong winds battered the region.")
        mid = [p("Wind gusts reached {wind} km/h near {town2}, bringing down trees and power lines, and {amount} "
                 "fell in {town} in less than a day.",
                 "Forecasters recorded {amount} in {town} in less than a day, with gusts of {wind} km/h near "
                 "{town2}."),
               p("About {evac} people were moved out of low-lying homes near the {river} River.",
                 "Officials evacuated some {evac} residents as the {river} River rose close to its banks.")]
        highlights = [p("Storm leaves {outages} homes without power in {county} County.",
                        "{outages} homes lose power as storm hits {county} County."),
                      p("{evac} people evacuated near the {river} River; {injured} injured.",
                        "Winds of up to {wind} km/h and {amount} recorded."),
                      p("Officials say power may take {hours} hours to restore.", "{roads} roads remain closed.")]
    else:
        f.update(kind="snowstorm", amount=f"{rng.randint(30, 95)} centimetres of snow", wind=rng.randint(50, 90),
                 stranded=rng.randint(40, 400))
        lead = p("A heavy snowstorm buried parts of {county} County on {day} under as much as {amount}, closing "
                 "{schools} schools and cutting power to {outages} homes.",
                 "Up to {amount} fell across {county} County on {day}, shutting {roads} roads and leaving "
                 "{outages} homes without heat or power.",
                 "{county} County was brought to a standstill on {day} by a snowstorm that dropped {amount} in "
                 "some areas.")
        mid = [p("The heaviest snow fell around {town2}, where drifts blocked the main highway.",
                 "Snow was heaviest near {town2}, and winds of {wind} km/h created deep drifts."),
               p("Power was cut to {outages} homes, and {schools} schools were closed.",
                 "In all, {schools} schools shut their doors and {outages} homes lost power."),
               p("Around {stranded} drivers were stranded overnight on the highway between {town} and {town3}.",
                 "Rescue teams reached about {stranded} motorists who had been stuck in their cars overnight.")]
        highlights = [p("Snowstorm drops {amount} on {county} County.",
                        "{county} County hit by up to {amount}; {schools} schools shut."),
                      p("{outages} homes lost power and {stranded} drivers were stranded.",
                        "About {stranded} motorists rescued from snowbound roads."),
                      p("Officials say power may take {hours} hours to restore.", "{roads} roads remain closed.")]
    core = [
        [lead],
        mid,
        [p("Officials said {injured} people were treated for minor injuries, but no deaths were reported.",
           "No one was killed, although {injured} people needed hospital treatment."),
         p('"Please stay off the roads unless your journey is absolutely necessary," said {official}, the '
           'county\'s emergency management director.',
           '{official}, who leads the county\'s emergency response, said crews would "work around the clock."')],
        [p("Officials warned that restoring power to every home could take up to {hours} hours.",
           "The electricity company said some customers could be without power for {hours} hours."),
         p("As of {day} evening, {roads} roads remained closed.",
           "At least {roads} roads were still closed late on {day}.")],
    ]
    f.update(more_precip="rain" if f["kind"] == "storm" else "snow",
             warnday=rng.choice([d for d in DAYS if d != f["day"]]),
             boat="boats" if f["kind"] == "storm" else "snowmobiles")
    core.append([p("Forecasters warned that more {more_precip} could fall later in the week and urged residents to "
                   "stay alert.", "A weather warning for further {more_precip} remains in place until {warnday}.")])
    more = [
        "Many businesses told their staff to work from home.",
        "In {town2}, firefighters used {boat} to reach a family who could not leave their home.",
        "Volunteers handed out blankets and hot drinks at the shelters through the night.",
        "Bus and train services across the region were suspended for most of the day.",
        "The county declared a local state of emergency on {day} afternoon, releasing extra money for the "
        "clean-up.",
        "Residents were urged to report fallen power lines and to stay well away from them.",
    ]
    background = p.all(more + [
        "{shelters} emergency shelters were opened in schools and church halls across the county.",
        "It was the worst {kind} to hit the area since {year}, according to local records.",
        "Forecaster {forecaster} said calmer weather was expected by the weekend.",
        "{resident}, a resident of {town3}, said a tree had fallen across her driveway. \"We heard a crack and then "
        "the lights went out,\" she said.",
        "The power company sent {crews} repair crews, some from neighbouring counties, to the worst-hit areas.",
        "Residents were asked to check on elderly neighbours and to avoid using generators indoors.",
        "The county's main airport cancelled most flights for the day.",
        "Insurance companies said it was too early to estimate the cost of the damage.",
    ])
    return core, background, highlights


STUDIES = [
    ("adults", "walked for at least 30 minutes a day", "develop heart disease"),
    ("teenagers", "put their phones away an hour before bed", "report poor sleep"),
    ("older adults", "took part in a weekly dance class", "suffer a serious fall"),
    ("office workers", "took a short break every hour", "report back pain"),
    ("adults", "ate beans or lentils at least twice a week", "develop type 2 diabetes"),
    ("retired people", "volunteered at least once a week", "report feeling lonely"),
    ("students", "studied in short daily sessions instead of cramming", "fail their end-of-year exams"),
    ("people", "spent at least two hours a week in parks or gardens", "report symptoms of anxiety"),
    ("children", "played outdoors for an hour a day", "need glasses by the age of 12"),
]


def t_study(rng):
    who, did, bad = rng.choice(STUDIES)
    lead_author, expert, coauthor = people(rng, 3, women=(0,))
    town = rng.choice(TOWNS)
    uni = rng.choice([f"the University of {town}", f"{town} Institute of Technology",
                      f"{rng.choice(SURNAMES)} College"])
    f = dict(who=who, did=did, bad=bad, lead=lead_author, lead_s=surname(lead_author), expert=expert,
             expert_s=surname(expert), coauthor=coauthor, uni=uni, journal=rng.choice(JOURNALS),
             n=f"{rng.randint(12, 480) * 100:,}", years=rng.randint(3, 15), pct=rng.randint(12, 45),
             day=rng.choice(WEEKDAYS), age_lo=rng.choice([18, 25, 30, 40, 50]), funder=rng.choice(
                 ["a national health charity", "the state science foundation", "a university research grant"]),
             countries=rng.randint(2, 9))
    p = Picker(rng, f)
    lead = p("{who} who {did} were {pct} percent less likely to {bad}, according to a study published on {day}.",
             "A new study suggests that {who} who {did} are significantly less likely to {bad}.",
             "Researchers at {uni} say they have found a simple habit linked to a lower chance of having to "
             "{bad}: {who} who {did} fared far better than those who did not.")
    core = [
        [lead],
        [p("The research, published in {journal}, followed {n} people for {years} years.",
           "The team tracked {n} volunteers over {years} years, and reported its results in {journal}."),
         p("Those who {did} were {pct} percent less likely to {bad} than those who did not.",
           "After accounting for age, income and smoking, those who {did} were still {pct} percent less likely "
           "to {bad}.")],
        [p('"The effect was larger than we expected," said Dr. {lead}, who led the study at {uni}.',
           'Dr. {lead} of {uni}, the lead author, said the findings were "encouraging, because this is something '
           'almost anyone can do."'),
         p("Independent experts cautioned that the study shows an association, not proof of cause and effect.",
           'Dr. {expert}, who was not involved in the research, urged caution. "People who {did} may differ in '
           'many other ways," {expert_s} said.')],
    ]
    f.update(dropout=rng.randint(8, 25), town2=rng.choice(TOWNS))
    core.append([p("The authors said their findings add to a growing body of evidence on everyday habits and "
                   "long-term health.", "The authors said the results should encourage doctors to talk to patients "
                   "about small, practical changes.")])
    more = [
        "About {dropout} percent of the original volunteers left before the study ended, a common problem in "
        "long-term research.",
        "The team found similar results for men and women.",
        "The results were first presented at a scientific meeting in {town2} earlier this year.",
        "Dr. {lead} said she first became interested in the question while working as a family doctor.",
        "The findings are likely to be discussed when national health guidelines are next reviewed.",
    ]
    background = p.all(more + [
        "The study was funded by {funder}.",
        "Participants were aged {age_lo} and over when the study began, and came from {countries} countries.",
        "The researchers relied partly on questionnaires, which can be less accurate than direct measurements.",
        "Co-author {coauthor} said the team now plans a trial to test whether changing the habit makes a difference.",
        "Earlier, smaller studies had pointed in the same direction but produced mixed results.",
        "Health officials have not changed their guidance in response to the findings.",
        "The data were collected through regular check-ups and health records.",
    ])
    highlights = [
        p("Study: {who} who {did} are {pct} percent less likely to {bad}.",
          "{who} who {did} were {pct} percent less likely to {bad}, researchers say."),
        p("Researchers at {uni} followed {n} people for {years} years.",
          "The study tracked {n} people and appeared in {journal}."),
        p("Experts warn the link does not prove cause and effect.", "Dr. {lead} led the research."),
    ]
    return core, background, highlights


def t_court(rng):
    judge, defendant, prosecutor, lawyer, witness = people(rng, 5, women=(0, 4))
    county = rng.choice(COUNTIES)
    f = dict(judge=judge, judge_s=surname(judge), defendant=defendant, def_s=surname(defendant),
             prosecutor=prosecutor, lawyer=lawyer, witness=witness, county=county, town=rng.choice(TOWNS),
             river=rng.choice(RIVERS), day=rng.choice(WEEKDAYS), weeks=rng.randint(2, 9),
             witnesses=rng.randint(6, 30), appeal_days=rng.choice([14, 28, 30]))
    p = Picker(rng, f)
    if rng.random() < 0.5:
        company, desc = rng.choice(COMPANIES)
        f.update(company=company, desc=desc, fine=money(rng.randint(5, 90) * 1e5), km=rng.randint(3, 25),
                 fish=f"{rng.randint(4, 60) * 100:,}", cleanup=money(rng.randint(2, 30) * 1e5))
        f["a_fine"] = an(f["fine"])
        lead = p("A judge on {day} ordered {company} to pay {fine} for illegally releasing waste into the {river} "
                 "River.",
                 "{company} must pay {a_fine} penalty after a court found it had polluted the {river} River.",
                 "The {county} County District Court has fined {desc} {company} {fine} over a chemical spill that "
                 "turned a stretch of the {river} River grey.")
        core = [
            [lead],
            [p("Judge {judge} said the company had ignored repeated warnings from inspectors.",
               "In her ruling, Judge {judge} found that the company had ignored warnings about a leaking tank for "
               "months."),
             p("The spill stretched for {km} kilometres and killed an estimated {fish} fish.",
               "Environmental officials said about {fish} fish died along a {km}-kilometre stretch of the river.")],
            [p("The company was also ordered to pay {cleanup} toward the clean-up.",
               "On top of the fine, {company} must contribute {cleanup} to restore the river."),
             p('"Today\'s decision sends a clear message that rivers are not dumping grounds," said prosecutor '
               '{prosecutor}.', 'Prosecutor {prosecutor} called the ruling "a win for everyone who fishes, swims '
               'or draws water from the {river}."')],
        ]
        highlights = [p("{company} fined {fine} for polluting the {river} River.",
                        "Court orders {company} to pay {fine} over river pollution."),
                      p("An estimated {fish} fish died along {km} kilometres of river.",
                        "The firm must also pay {cleanup} toward the clean-up."),
                      p("The judge said the company ignored warnings.",
                        "Prosecutor {prosecutor} welcomed the ruling.")]
        extra = ["A lawyer for {company}, {lawyer}, said the company regretted the spill and was considering an "
                 "appeal.", "Anglers' groups had campaigned for the case to be brought for more than a year."]
    else:
        f.update(amount=money(rng.randint(12, 240) * 1e4), years=rng.randint(2, 8), role=rng.choice(
            ["treasurer", "finance officer", "parks director", "office manager"]))
        f["years_w"] = num_word(f["years"])
        f["n_payments"] = rng.randint(30, 160)
        lead = p("A former {role} of {town} was sentenced on {day} to {years_w} years in prison for stealing "
                 "{amount} from the city.",
                 "{defendant}, who embezzled {amount} while working as {town_pos} {role}, will spend {years_w} years "
                 "behind bars, a judge ruled on {day}.",
                 "Judge {judge} on {day} sentenced {defendant} to {years} years in prison, saying the former {role} "
                 "had betrayed the trust of {town_pos} residents.")
        core = [
            [lead],
            [p("Prosecutors said {defendant} moved the money into personal accounts through {n_payments} payments "
               "to a fake supplier.", "Investigators found that {defendant} had made {n_payments} payments to "
               "a company that existed only on paper."),
             p("{def_s} pleaded guilty to fraud charges earlier this year.",
               "{def_s} admitted the fraud in court {weeks} weeks ago.")],
            [p("The judge also ordered {def_s} to repay the full {amount}.",
               "In addition to the prison term, {def_s} must pay back all {amount}."),
             p('"This was not a single mistake but a long pattern of deception," Judge {judge} said.',
               'Prosecutor {prosecutor} said the sentence showed "that no one is above the law."')],
        ]
        highlights = [p("Former {town} {role} sentenced to {years_w} years for stealing {amount}.",
                        "{defendant} jailed for {years} years over {amount} fraud."),
                      p("The money was moved through {n_payments} payments to a fake supplier.",
                        "{def_s} must also repay the full amount."),
                      p("{def_s} had pleaded guilty to fraud.", "{def_s} had admitted the fraud.")]
        extra = ["Defence lawyer {lawyer} said {def_s} was \"deeply ashamed\" and had struggled with gambling debts.",
                 "The city has since changed its rules so that two officials must approve every large payment."]
    f.update(bench_years=rng.randint(6, 28), months_inv=rng.randint(5, 20), times=rng.randint(3, 40),
             audit_year=rng.choice(["last year", "two years ago", "three years ago"]))
    core.append([p("Legal experts said the decision could be cited in similar cases in the future.",
                   "The ruling is one of the largest of its kind in {county} County in recent years."),
                 p("Outside the courthouse, a small group of residents applauded as the news spread.",
                   "Reporters and residents gathered outside the courthouse as the decision was read out.")])
    more = [
        "The hearing was delayed twice, once because of a scheduling conflict and once because a witness was ill.",
        "Court records show the investigation began after a tip from a member of the public.",
        "Judge {judge_s} has served on the bench for {bench_years} years.",
        "Investigators spent {months_inv} months reviewing records before charges were filed.",
    ] + ([
        "Water samples taken downstream showed chemical levels {times} times above the legal limit.",
        "According to its lawyers, the company has since replaced the tank and installed new alarms.",
    ] if "company" in f else [
        "The missing money was discovered during a routine audit {audit_year}.",
        "The mayor of {town} said part of the money had been recovered through an insurance policy.",
    ])
    background = p.all(more + extra + [
        "The case was heard at the {county} County District Court over {weeks} weeks.",
        "In all, {witnesses} witnesses gave evidence during the proceedings.",
        "Either side has {appeal_days} days to lodge an appeal.",
        "{witness}, who gave evidence in the case, said outside court that she was relieved it was over.",
        "The courtroom was full for the ruling, and several people had to watch from the corridor.",
    ])
    return core, background, highlights


SCHOOL_POLICIES = [
    ("ban mobile phones during the school day", "the phone ban", "phones will be locked in pouches from the first "
     "bell until the last"),
    ("offer free breakfast to every student", "free breakfast", "breakfast will be served in classrooms during "
     "the first ten minutes of the day"),
    ("start the school day 45 minutes later", "the later start", "the first lesson will begin at 9:15 instead "
     "of 8:30"),
    ("add a daily hour of reading to the timetable", "the reading hour", "every class will set aside an hour each "
     "day for independent reading"),
    ("switch to a four-day school week", "the four-day week", "students will attend longer days from Monday "
     "to Thursday"),
    ("hire a full-time counsellor for every school", "the counsellor plan", "each school will have its own "
     "counsellor on site"),
]


def t_school(rng):
    sup, teacher, parent, student, board = people(rng, 5, women=(1, 2, 3))
    what, noun, detail = rng.choice(SCHOOL_POLICIES)
    town = rng.choice(TOWNS)
    students = rng.randint(30, 260) * 100
    f = dict(what=what, noun=noun, detail=detail, town=town, sup=sup, sup_s=surname(sup), teacher=teacher,
             parent=parent, student=student, board=board, day=rng.choice(WEEKDAYS),
             students=f"{students:,}", schools=max(6, students // rng.randint(450, 900)), month=rng.choice(
                 ["August", "September", "January"]), cost=money(rng.randint(3, 60) * 1e5),
             survey=rng.randint(55, 84), pilot=rng.randint(2, 5), votes=rng.choice(["5-2", "6-1", "4-3", "7-0"]),
             sur=rng.choice(SURNAMES), teachers=f"{students // rng.randint(14, 19) // 10 * 10:,}",
             grade=rng.randint(6, 11))
    f["pilot_w"] = num_word(f["pilot"])
    p = Picker(rng, f)
    lead = p("Schools in {town} will {what} starting in {month}, the district announced on {day}.",
             "The {town} school board voted {votes} on {day} to {what} across all {schools} of its schools.",
             "Students in {town_pos} public schools face a big change this year after district leaders decided to "
             "{what}.")
    core = [
        [lead],
        [p("The change will affect about {students} students in {schools} schools.",
           "Some {students} pupils across the district's {schools} schools will be covered by {noun}."),
         p("Under the plan, which takes effect in {month}, {detail}.",
           "The change takes effect in {month}. District officials said that {detail}.")],
        [p('"We listened to parents, teachers and students, and this is what they asked for," said superintendent '
           '{sup}.', 'Superintendent {sup} said families had asked for the change, which was "about giving every '
           'child the best possible chance to learn."'),
         p("The district estimates {noun} will cost about {cost} a year.",
           "Officials put the annual cost of {noun} at roughly {cost}.")],
    ]
    union = person(rng)
    f.update(budget=money(rng.randint(40, 400) * 1e6), union=union, hours=rng.choice(["three", "four"]))
    core.append([p("The board will review {noun} after one year and publish the results.",
                   "District leaders promised to report on how {noun} is working by the end of the school year."),
                 p("Families will receive a letter explaining the details before the start of term.",
                   "Parents will be sent more information by email in the coming weeks.")])
    more = [
        "The district's total budget for the coming year is about {budget}.",
        "Teachers' union representative {union} said members had been consulted and were broadly supportive.",
        "Research on similar changes elsewhere has produced mixed results, according to education experts.",
        "The board meeting lasted nearly {hours} hours and drew a large crowd of parents.",
        "Some families asked for exceptions for students with medical needs, and the district said it would "
        "consider each case.",
    ]
    background = p.all(more + [
        "A district survey found that {survey} percent of parents supported the idea.",
        "{noun} was tested at {pilot_w} schools last year before the board decided to expand it.",
        "Teacher {teacher} said the pilot had made a noticeable difference in her classroom.",
        "Parent {parent} said she had mixed feelings. \"I like the idea, but I want to see how it works in practice,\" "
        "she said.",
        "{student}, a grade {grade} student, said most of her friends were in favour.",
        "Board member {board} voted against the plan, saying more time was needed to consult families.",
        "The district employs about {teachers} teachers.",
        "Several nearby districts are watching the change closely and may follow suit.",
    ])
    highlights = [
        p("{town} schools to {what} from {month}.", "{town} school district will {what}."),
        p("About {students} students in {schools} schools are affected.",
          "The plan will cost about {cost} a year."),
        p("Superintendent {sup} says families asked for the change.",
          "The district will report on how it is working within a year."),
    ]
    return core, background, highlights


def t_transport(rng):
    minister, engineer, commuter, critic = people(rng, 4, women=(1, 2))
    towns = rng.sample(TOWNS, 2)
    kind = rng.choice(["rail line", "tram line", "bridge", "bus rapid transit line"])
    cost = rng.randint(9, 190) * 10**7
    f = dict(minister=minister, engineer=engineer, commuter=commuter, critic=critic,
             a=towns[0], b=towns[1], kind=kind, km=rng.randint(4, 48), stations=rng.randint(4, 16),
             cost=money(cost), riders=f"{rng.randint(8, 90) * 1000:,}",
             minutes=rng.randint(10, 35), day=rng.choice(DAYS), years=rng.randint(3, 9),
             workers=f"{rng.randint(4, 30) * 100:,}", month=rng.choice(MONTHS), fare=rng.choice(
                 ["$2", "$2.50", "$3", "$3.25"]), delay=rng.randint(5, 14),
             overrun=money(cost * rng.randint(8, 45) // 100 // 10**7 * 10**7))
    if kind == "bridge":
        f.update(unit="crossing", desc="the new crossing", per_day="vehicles a day", km=rng.randint(1, 4),
                 alt="repairing existing roads", extend="a new road linking the bridge to {c}")
    else:
        f.update(unit=kind, desc=f"the new {kind}", per_day="passengers a day",
                 vehicles={"rail line": "Trains", "tram line": "Trams"}.get(kind, "Buses"),
                 alt="more buses" if kind != "bus rapid transit line" else "repairing existing roads",
                 extend="extending the route to {c}")
    f["a_cost"] = an(f["cost"])
    f["a_km"] = an(f"{f['km']}-kilometre link")
    p = Picker(rng, f)
    if rng.random() < 0.55:  # opening
        lead_i = rng.randrange(3)
        lead = p.all(["The long-awaited {kind} between {a} and {b} opened on {day}, cutting journey times by about "
                      "{minutes} minutes.",
                      "{a} and {b} are now linked by {a_cost} {kind} that opened to the public on {day}.",
                      "After {years} years of construction, {desc} linking {a} and {b} welcomed its first users on "
                      "{day}."])[lead_i]
        core = [
            [lead] + ([] if lead_i == 2 else
                      [p("Construction took {years} years.", "Building it took {years} years.")]),
            [p("The {km}-kilometre project cost {cost} and is expected to carry about {riders} {per_day}.",
               "Officials expect {riders} {per_day} to use {desc}, {a_km} that cost {cost} to build."),
             (p("The route has {stations} stations.", "{vehicles} will stop at {stations} stations along the way.")
              if kind != "bridge" else p("The bridge spans the {a} estuary.", "The bridge has two lanes in "
                                          "each direction and a separate cycle path."))],
            [p('"This is a day {a} and {b} have waited a long time for," transport minister {minister} said at the '
               'opening ceremony.', 'Transport minister {minister} said {desc} would "change how thousands of '
               'people get to work."'),
             p("Travel on the line will cost {fare} per trip.", "Journeys that used to take more than an hour will "
               "now take {minutes} minutes less.") if kind != "bridge" else
             p("Crossing the bridge is free for the first month.", "Commuters should save about {minutes} minutes "
               "at rush hour.")],
        ]
        highlights = [p("New {kind} opens between {a} and {b}.", "{a}-{b} {kind} finally opens after {years} years."),
                      p("The {cost} project should carry {riders} {per_day}.",
                        "It is expected to carry {riders} {per_day}."),
                      p("Transport minister {minister} welcomed the opening.",
                        "The {km}-kilometre {unit} cost {cost}.")]
    else:  # delay
        lead = p("The opening of the {kind} between {a} and {b} has been pushed back by {delay} months, officials "
                 "said on {day}.",
                 "Commuters in {a} will wait at least {delay} more months for the {kind} to {b}, after engineers "
                 "found problems with the design.",
                 "The {kind} linking {a} and {b} is running {delay} months late and {overrun} over budget, the "
                 "transport agency admitted on {day}.")
        core = [
            [lead],
            [p("The project was originally budgeted at {cost}, but costs have grown by {overrun}.",
               "Its price has risen by {overrun} from the original estimate of {cost}."),
             p("Officials blamed supply delays and a shortage of skilled workers.",
               "The agency said testing had revealed faults that must be fixed before opening.")],
            [p('"We will not open it until it is safe, and we owe the public an apology for the delay," said '
               'transport minister {minister}.', 'Minister {minister} apologised for the delay and said the new '
               'timetable was "realistic and achievable."'),
             p("The {km}-kilometre {unit} is now due to open in {month} next year.",
               "The new target date is {month} next year.")],
        ]
        highlights = [p("{a}-{b} {kind} delayed by {delay} months.", "The {kind} to {b} will open {delay} months "
                        "late."),
                      p("Costs have risen by {overrun} above the original {cost}.",
                        "The project is now {overrun} over budget."),
                      p("It is now due to open in {month} next year.",
                        "Minister {minister} apologised for the delay.")]
    f["c"] = rng.choice([t for t in TOWNS if t not in towns])
    f["extend"] = f["extend"].format(**f)
    f.update(trees=f"{rng.randint(3, 40) * 100:,}",
             survey=rng.randint(52, 81))
    core.append([p("Planners describe the {unit} as the first part of a larger network for the region.",
                   "Businesses near the route are hoping the {unit} will bring them more customers."),
                 p("A second phase, {extend}, is still being studied.",
                   "Officials have not ruled out {extend} in the future.")])
    more = [
        "The project was paid for with a mix of national and regional money.",
        "Environmental groups welcomed the project, saying it would cut traffic and pollution.",
        "About {trees} trees were planted along the route to replace those removed during construction.",
        "A survey last year found that {survey} percent of residents in {a} supported the project.",
        "Engineers had to work around protected wetland near {b}, which added months to the schedule.",
    ]
    background = p.all(more + [
        "About {workers} people worked on the project at its peak.",
        "Engineer {engineer}, who worked on the project from the start, said it was the most complex job of her "
        "career.",
        "Commuter {commuter} said she had been looking forward to leaving her car at home.",
        "Critics, including local campaigner {critic}, argued the money would have been better spent on {alt}.",
        "The project was first proposed more than 20 years ago.",
        "Planners say it will take some traffic off the main road between {a} and {b}, one of the busiest in the "
        "region.",
        "Construction caused years of disruption for businesses along the route.",
    ])
    return core, background, highlights


CHARITY_EVENTS = [("fun run", "runners"), ("bake sale", "volunteers"), ("charity swim", "swimmers"),
                  ("cycle ride", "riders"), ("food drive", "volunteers"), ("dance marathon", "dancers"),
                  ("quiz night", "players")]
BENEFICIARIES = [("the children's ward at {town} General Hospital", "new toys, games and tablets for young patients"),
                 ("the {town} Food Bank", "about {meals} meals for local families"),
                 ("the {county} Animal Shelter", "food, vaccinations and a new kennel block"),
                 ("a local homeless shelter", "new beds and winter coats"),
                 ("the {town} Youth Music Project", "instruments and free lessons for children"),
                 ("a community garden in the east of {town}", "a greenhouse, tools and a new water supply")]


def t_charity(rng):
    organiser, volunteer, participant, director = people(rng, 4, women=(1, 2))
    event, doers = rng.choice(CHARITY_EVENTS)
    raised = rng.randint(8, 240) * 500
    town = rng.choice(TOWNS)
    f = dict(town=town, county=rng.choice(COUNTIES), event=event, doers=doers, organiser=organiser,
             org_s=surname(organiser), volunteer=volunteer, participant=participant, director=director,
             day=rng.choice(["Saturday", "Sunday"]), raised=money(raised),
             people=f"{rng.randint(6, 180) * 10:,}", record=money(raised * rng.randint(5, 30) // 100 // 100 * 100),
             year_n=rng.choice(["third", "fifth", "tenth", "12th", "20th"]), age=rng.randint(6, 91),
             hours=rng.randint(3, 12), goal=money(raised * rng.randint(55, 90) // 100 // 500 * 500),
             sponsors=rng.randint(5, 40),
             place=rng.choice(["the town square", "Riverside Park", "the high school field", "the harbour front",
                               "the community centre"]))
    f["meals"] = f"{raised // 3 // 100 * 100:,}"
    beneficiary, use = rng.choice(BENEFICIARIES)
    f.update(beneficiary=beneficiary.format(**f), use=use.format(**f))
    p = Picker(rng, f)
    lead = p("A {event} in {town} on {day} raised {raised} for {beneficiary}.",
             "Some {people} {doers} turned out in {town} on {day} for a {event} that raised {raised} for "
             "{beneficiary}.",
             "{beneficiary} will receive {raised} after {town_pos} annual {event} broke its fundraising record.")
    core = [
        [lead],
        [p("About {people} people took part in the event at {place}. It is now in its {year_n} year.",
           "The event, now in its {year_n} year, was held at {place} and drew around {people} {doers}."),
         p("The total beat last year's figure by {record}.", "Organisers had hoped to raise {goal}; the final total "
           "was {raised}, {record} more than last year.")],
        [p('"I am overwhelmed by how generous people have been," said organiser {organiser}.',
           'Organiser {organiser} said the day showed "what this town can do when it pulls together."'),
         p("The money will be handed over at a ceremony next month.",
           "{director}, who runs {beneficiary}, said the money would make a real difference.")],
    ]
    f.update(mayor=f"{rng.choice(WOMEN)} {rng.choice(SURNAMES)}", entry=rng.choice(["$10", "$15", "$20", "$25"]),
             sold=rng.randint(2, 20), reg_month=rng.choice(MONTHS))
    core.append([p("According to organisers, the money will pay for {use}.",
                   "The funds will be spent on {use}, organisers said."),
                 p("Entry cost {entry} per person, and places sold out within {sold} days.",
                   "Registration opened in {reg_month}, and all places were taken within {sold} days.")])
    more = [
        "Some participants wore fancy dress, including a group of nurses dressed as superheroes.",
        "The mayor of {town}, {mayor}, took part and said she was \"exhausted but delighted.\"",
        "Children under 12 were able to join a shorter event in the morning.",
        "A local radio station broadcast live from {place} for most of the afternoon.",
        "Organisers said the weather had held, despite a forecast of heavy showers.",
        "The event was started by a group of friends who wanted to give something back to the town.",
        "Donations can still be made online until the end of the month.",
    ]
    background = p.all(more + [
        "The oldest participant was {age} years old.",
        "Volunteer {volunteer} said she had spent {hours} hours setting up before the first {doers} arrived.",
        "The event was sponsored by {sponsors} local businesses.",
        "Participant {participant} said she took part in memory of her father. \"He would have loved this,\" she said.",
        "Food stalls, a brass band and a raffle kept the crowds entertained throughout the day.",
        "Organisers thanked police and first aid volunteers for keeping everyone safe.",
        "Plans are already under way for next year's event.",
    ])
    highlights = [
        p("{town} {event} raises {raised} for {beneficiary}.",
          "Local {event} raises {raised} for {beneficiary}."),
        p("Around {people} people took part.", "The total beat last year's by {record}."),
        p("The money will pay for {use}.", "The event is now in its {year_n} year."),
    ]
    return core, background, highlights


def t_health(rng):
    officer, doctor, pharmacist, resident = people(rng, 4, women=(3,))
    county = rng.choice(COUNTIES)
    f = dict(county=county, town=rng.choice(TOWNS), officer=officer, doctor=doctor,
             pharmacist=pharmacist, resident=resident, day=rng.choice(WEEKDAYS), weeks=rng.randint(2, 5),
             hosp=rng.randint(6, 80), clinics=rng.randint(4, 25), age=rng.choice([65, 70, 75]),
             homes=f"{rng.randint(4, 90) * 500:,}", days=rng.randint(3, 10), samples=rng.randint(12, 60),
             bottles=f"{rng.randint(5, 60) * 1000:,}", river=rng.choice(RIVERS))
    p = Picker(rng, f)
    if rng.random() < 0.5:
        illness = rng.choice(["flu", "norovirus", "whooping cough", "RSV"])
        f.update(illness=illness, cases=f"{rng.randint(12, 260) * 10:,}",
                 mult=rng.choice(["twice", "three times", "four times"]))
        f["advice"] = {"flu": "get vaccinated and stay home when sick",
                       "norovirus": "wash their hands often and stay home for two days after symptoms stop",
                       "whooping cough": "check that their children's vaccinations are up to date",
                       "RSV": "keep babies away from anyone with a cold"}[illness]
        lead = p("Health officials in {county} County, where {cases} cases of {illness} have been recorded in {weeks} "
                 "weeks, urged residents on {day} to {advice}.",
                 "{county} County has issued a health advisory after {illness} cases climbed to {cases}, about "
                 "{mult} the usual number for this time of year, and is asking residents to {advice}.",
                 "A sharp rise in {illness} has prompted {county} County's health department to ask residents to "
                 "{advice}.")
        core = [
            [lead],
            [p("The county has recorded {cases} cases in the past {weeks} weeks, {mult} the normal level.",
               "The {cases} cases reported over the past {weeks} weeks are roughly {mult} what officials "
               "would expect."),
             p("In total, {hosp} people have been admitted to hospital.",
               "So far {hosp} patients have needed hospital care.")],
            [p('"Most people will recover at home, but we are worried about the very young and the very old," said '
               '{officer}, the county health officer.',
               'County health officer {officer} said the very young and the very old were most at risk, and that '
               'the advisory would stay in place "until we see numbers clearly falling."'),
             p("Free clinics will open at {clinics} locations this week.",
               "The county is opening {clinics} free walk-in clinics.")],
        ]
        highlights = [p("{county} County issues {illness} advisory after {cases} cases.",
                        "{illness} cases in {county} County reach {cases}, {mult} the normal level."),
                      p("{hosp} people have been treated in hospital.", "Residents are urged to {advice}."),
                      p("{clinics} free clinics are opening this week.",
                        "Officials say the very young and old are most at risk.")]
        extra = ["People aged {age} and over were urged to see a doctor early if symptoms worsen.",
                 "Dr. {doctor}, an emergency physician in {town}, said waiting rooms had been unusually busy."]
    else:
        f.update(cause=rng.choice(["a break in one of the town's main water pipes",
                                   "the discovery of bacteria during routine testing",
                                   "flooding at the {river} water treatment plant".format(**f)]))
        lead = p("About {homes} households in {town} were told on {day} to boil their tap water before drinking "
                 "it, after {cause}.",
                 "A boil-water notice is in effect for {homes} homes in {town} following {cause}, health officials "
                 "said.",
                 "Residents of {town} must boil water for at least one minute before drinking it, the {county} "
                 "County health department said on {day}.")
        core = [
            [lead],
            [p("The notice covers about {homes} households and could last up to {days} days.",
               "Officials expect the notice, which affects {homes} homes, to remain in place for as long as "
               "{days} days."),
             p("Officials said the notice followed {cause}.", "Crews are working to fix the problem, which "
               "officials said followed {cause}.")],
            [p('"We are taking this step out of caution, and we will lift it as soon as tests are clear," said '
               '{officer}, the county health officer. No illnesses have been reported.',
               'Health officer {officer} called the notice a precaution and said no illnesses had been linked to '
               'the water "so far."'),
             p("The city will hand out {bottles} bottles of water at fire stations.",
               "Free bottled water, {bottles} bottles in all, will be given out at fire stations.")],
        ]
        highlights = [p("{homes} {town} homes told to boil tap water.",
                        "Boil-water notice for {homes} households in {town}."),
                      p("The notice follows {cause} and may last {days} days.",
                        "Officials will hand out {bottles} bottles of water."),
                      p("No illnesses have been linked to the water so far.",
                        "Health officer {officer} calls it a precaution.")]
        extra = ["Crews will take {samples} water samples over the coming days.",
                 "Pharmacist {pharmacist} said shops near the affected area quickly ran out of bottled water."]
    f.update(update_day=rng.choice([d for d in WEEKDAYS if d != f["day"]]))
    core.append([p("The health department said it would publish updated figures every {update_day}.",
                   "Officials said they would give their next update on {update_day}."),
                 p("The county's emergency operations centre has been opened to coordinate the response.",
                   "Officials said they were working closely with hospitals, schools and neighbouring counties.")])
    more = [
        "Several care homes in the county have restricted visits as a precaution.",
        "Updates will also be posted on the county's social media accounts.",
    ] + ([
        "Hospitals in the county said they had postponed some planned operations to free up beds.",
        "Doctors said most patients were recovering well at home.",
    ] if "illness" in f else [
        "Officials said boiling kills harmful bacteria, but some water filters sold for home use do not.",
        "The water company said customers would receive a credit on their bills for the affected period.",
    ])
    background = p.all(more + extra + [
        "The advice was sent to residents by text message and posted on the county's website.",
        "Schools and restaurants in the area received separate guidance.",
        "{resident}, a parent of two in {town}, said she was following the advice closely.",
        "A similar advisory was issued in a neighbouring county last winter.",
        "A telephone helpline has been set up for residents with questions.",
    ])
    return core, background, highlights


TOPICS = {"council vote": t_council, "sports result": t_sports, "company results": t_company,
          "severe weather": t_weather, "scientific study": t_study, "court case": t_court,
          "school news": t_school, "transport": t_transport, "charity event": t_charity,
          "health advisory": t_health}
# Held-out topics: never in the training file. One event story (weather), one legal story (court) and one
# community story (charity), so the held-out set is not one kind of article.
HELDOUT_TOPICS = ("severe weather", "court case", "charity event")
TRAIN_TOPICS = tuple(t for t in TOPICS if t not in HELDOUT_TOPICS)


# ---------------------------------------------------------------------------------------------------------------
def build_article(rng, template):
    """One article and its highlights: the core paragraphs plus background paragraphs up to a random length."""
    core, background, highlights = template(rng)
    paragraphs = [" ".join(sentences) for sentences in core]
    target = rng.randint(MIN_WORDS + 25, MAX_WORDS - 30)
    rng.shuffle(background)
    words = sum(word_count(x) for x in paragraphs)
    i = 0
    while i < len(background) and words < target:
        size = rng.choice([1, 1, 2, 2, 3])
        chunk = []
        for sentence in background[i:i + size]:
            if words + word_count(sentence) > MAX_WORDS:
                break
            chunk.append(sentence)
            words += word_count(sentence)
        i += size
        if chunk:
            paragraphs.insert(rng.randint(3, len(paragraphs)), " ".join(chunk))
    n_highlights = rng.choice([2, 3, 3])
    chosen = [highlights[0]] + sorted(rng.sample(highlights[1:], n_highlights - 1), key=highlights.index)
    return "\n\n".join(paragraphs), "\n".join(chosen)


def generate(seed, n, prefix, topics):
    """n articles with ids prefix-000.., drawn round-robin from `topics` (so balanced), in a seeded order."""
    rng = random.Random(seed)
    order = [topics[i % len(topics)] for i in range(n)]
    rng.shuffle(order)
    rows = []
    for k, topic in enumerate(order):
        article, highlights = build_article(rng, TOPICS[topic])
        rows.append({"id": f"{prefix}-{k:03d}", "topic": topic, "article": article, "highlights": highlights})
    return rows


def build():
    """(train rows, held-out rows), checked: the two sets share no topic and no article."""
    train = generate(TRAIN_SEED, N_TRAIN, "train", TRAIN_TOPICS)
    heldout = generate(HELDOUT_SEED, N_HELDOUT, "heldout", HELDOUT_TOPICS)
    check(train)
    check(heldout)
    if {r["topic"] for r in train} & {r["topic"] for r in heldout}:
        raise ValueError("a held-out topic is also a training topic")
    if {r["article"] for r in train} & {r["article"] for r in heldout}:
        raise ValueError("a held-out article repeats a training article")
    if len({r["article"] for r in train + heldout}) != N_TRAIN + N_HELDOUT:
        raise ValueError("duplicate articles")
    return train, heldout


def check(rows):
    for row in rows:
        n = word_count(row["article"])
        if not MIN_WORDS <= n <= MAX_WORDS:
            raise ValueError(f"{row['id']} has {n} words, outside [{MIN_WORDS}, {MAX_WORDS}]")
        if not 2 <= len(row["highlights"].split("\n")) <= 3:
            raise ValueError(f"{row['id']} has {len(row['highlights'].splitlines())} highlights")
        if "{" in row["article"] + row["highlights"] or not (row["article"] + row["highlights"]).isascii():
            raise ValueError(f"{row['id']} has an unfilled slot or a non-ASCII character")


def render(rows):
    """The file's text: one JSON object per line."""
    return "".join(json.dumps(row) + "\n" for row in rows)


CONFIG = "offline"
FILES = {"train": f"{CONFIG}/train-00000-of-00001.jsonl", "heldout": f"{CONFIG}/test-00000-of-00001.jsonl"}
# The dataset card's YAML header, as a Hub dataset declares its configurations (the held-out articles are its test split).
README = f"""---
configs:
- config_name: {CONFIG}
  data_files:
  - split: train
    path: {CONFIG}/train-*
  - split: test
    path: {CONFIG}/test-*
---
Synthetic news articles written by scripts/make_articles.py (not CNN/DailyMail text), laid out like the Hub dataset
abisee/cnn_dailymail: columns id, article, highlights (plus topic). The test split holds the held-out articles.
"""


def main():
    train, heldout = build()
    (OUT_DIR / CONFIG).mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "README.md").write_text(README)
    for name, rows in (("train", train), ("heldout", heldout)):
        (OUT_DIR / FILES[name]).write_text(render(rows))
        counts = [word_count(r["article"]) for r in rows]
        topics = sorted({r["topic"] for r in rows})
        print(f"{name}: {len(rows)} articles, {min(counts)}-{max(counts)} words, topics: {', '.join(topics)}")


if __name__ == "__main__":
    main()
