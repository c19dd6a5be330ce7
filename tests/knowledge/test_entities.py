from frontdesk.knowledge.entities import detect_entity

NAMES = ["A AND B GUEST HOUSE", "HOBSONS HOUSE", "ASHLEY HOTEL", "PIZZA HUT CITY CENTRE", "NANDOS"]


def test_most_recent_turn_naming_an_entity_wins():
    turns = ["Do they allow pets?", "Hobsons House has 3 stars.", "I like the Ashley hotel"]
    assert detect_entity(turns, NAMES) == "HOBSONS HOUSE"


def test_fuzzy_spelling_and_generic_words():
    assert detect_entity(["is the ashley nice?"], NAMES) == "ASHLEY HOTEL"
    assert detect_entity(["What about A & B Guesthouse?"], NAMES) == "A AND B GUEST HOUSE"
    assert detect_entity(["Nando's please"], NAMES) == "NANDOS"


def test_nothing_named():
    assert detect_entity(["Do they have parking?", "hello"], NAMES) is None
    assert detect_entity(["anything"], []) is None
