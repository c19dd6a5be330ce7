"""Small talk (PRODUCT.md R3): greetings, thanks, goodbyes, "who are you", in the tenant's tone.

It volunteers only for messages that are nothing but small talk ("hi!", "thanks a lot",
"bye 👋"), never for "hi, my card was stolen". With an LLM configured the reply is written in
the tenant's persona and tone, in the customer's language; without one (or when the model
fails) it comes from a short list of replies per kind, tone and language.
"""

from __future__ import annotations

import re

from frontdesk.core.errors import FrontdeskError
from frontdesk.handlers.base import Member, Reply, Turn
from frontdesk.llm.schemas import CompletionRequest, NotConfigured

NAME = "small_talk"
KINDS: dict[str, re.Pattern[str]] = {
    "greeting": re.compile(
        r"hi+|hey+|hello+|hiya|howdy|yo|good\s+(?:morning|afternoon|evening|day)|greetings"
        r"|hallo|guten\s+(?:morgen|tag|abend)|servus|moin|bonjour|bonsoir|salut|coucou"
        r"|hola|buen[oa]s\s+(?:d[ií]as|tardes|noches)|ciao|buongiorno"
    ),
    "thanks": re.compile(
        r"(?:thank\s+you|thanks?|thx|ty|cheers|much\s+appreciated|appreciate\s+it)"
        r"(?:\s+(?:so|very)\s+much|\s+a\s+lot|\s+again)?"
        r"|danke(?:\s+sch[öo]n)?|vielen\s+dank|merci(?:\s+beaucoup)?|gracias|muchas\s+gracias|grazie"
    ),
    "bye": re.compile(
        r"bye+|good\s*bye|see\s+(?:you|ya)|later|cya|have\s+a\s+(?:nice|good|great)\s+day"
        r"|tsch[üu]ss|auf\s+wiedersehen|au\s+revoir|adi[óo]s|hasta\s+luego|arrivederci"
    ),
    "how_are_you": re.compile(
        r"how\s+are\s+(?:you|u)(?:\s+doing)?(?:\s+today)?|how's\s+it\s+going|what's\s+up|sup"
        r"|wie\s+geht(?:'s|\s+es)(?:\s+dir|\s+ihnen)?|[çc]a\s+va|comment\s+(?:[çc]a\s+va|allez-vous)"
        r"|qu[ée]\s+tal|c[óo]mo\s+est[áa]s"
    ),
    "who_are_you": re.compile(
        r"who\s+are\s+you|what\s+are\s+you|are\s+you\s+(?:a\s+)?(?:bot|robot|human|real|ai)"
        r"|what(?:'s|\s+is)\s+your\s+name|wer\s+bist\s+du|qui\s+[êe]tes-vous|qui\s+es-tu"
        r"|qui[ée]n\s+eres"
    ),
    "ok": re.compile(r"ok(?:ay)?|alright|cool|great|nice|perfect|awesome|got\s+it|sounds\s+good"),
}
_FILLER = re.compile(r"(?:there|all|everyone|team|folks|guys|again|so|very|much|bot)", re.I)
_SEPARATORS = re.compile(r"[\s,.!?;:…'\"()\-]+|[^\w\s]", re.UNICODE)
MAX_CHARS = 80

REPLIES: dict[str, dict[str, str]] = {
    "friendly": {
        "greeting": "Hi there! 👋 How can I help you today?",
        "thanks": "You're very welcome! Anything else I can do for you?",
        "bye": "Bye for now, and have a lovely day!",
        "how_are_you": "I'm doing great, thanks for asking! How can I help you?",
        "who_are_you": "I'm {name}, here to answer your questions, any time. A person from "
        "the team can take over whenever you like.",
        "ok": "Great! Let me know if there's anything else.",
    },
    "formal": {
        "greeting": "Good day. How may I assist you?",
        "thanks": "You are welcome. Is there anything else I can assist you with?",
        "bye": "Thank you for contacting us. Goodbye.",
        "how_are_you": "Thank you, I am well. How may I assist you?",
        "who_are_you": "I am {name}, an automated assistant. A member of our team can take "
        "over at any time on request.",
        "ok": "Very well. Please let me know if you need anything further.",
    },
    "playful": {
        "greeting": "Hey hey! 🎉 What can I do for you?",
        "thanks": "Anytime! High five ✋ Anything else?",
        "bye": "See ya! 👋 Come back soon!",
        "how_are_you": "Fantastic, thanks! 😄 What's on your mind?",
        "who_are_you": "I'm {name}, your friendly bot 🤖 (a human can jump in whenever you want!)",
        "ok": "Awesome! 🙌 Shout if you need anything else.",
    },
}
LOCAL: dict[str, dict[str, str]] = {
    "de": {
        "greeting": "Hallo! Wie kann ich Ihnen helfen?",
        "thanks": "Gern geschehen! Kann ich sonst noch etwas für Sie tun?",
        "bye": "Auf Wiedersehen und einen schönen Tag!",
        "how_are_you": "Danke, gut! Wie kann ich Ihnen helfen?",
        "who_are_you": "Ich bin {name}, ein virtueller Assistent.",
        "ok": "Prima! Melden Sie sich, wenn Sie noch etwas brauchen.",
    },
    "fr": {
        "greeting": "Bonjour ! Comment puis-je vous aider ?",
        "thanks": "Avec plaisir ! Puis-je faire autre chose pour vous ?",
        "bye": "Au revoir et bonne journée !",
        "how_are_you": "Très bien, merci ! Comment puis-je vous aider ?",
        "who_are_you": "Je suis {name}, un assistant virtuel.",
        "ok": "Parfait ! N'hésitez pas si vous avez besoin d'autre chose.",
    },
    "es": {
        "greeting": "¡Hola! ¿En qué puedo ayudarle?",
        "thanks": "¡De nada! ¿Puedo ayudarle en algo más?",
        "bye": "¡Adiós y que tenga un buen día!",
        "how_are_you": "¡Muy bien, gracias! ¿En qué puedo ayudarle?",
        "who_are_you": "Soy {name}, un asistente virtual.",
        "ok": "¡Perfecto! Avíseme si necesita algo más.",
    },
}


def kind_of(text: str) -> str | None:
    """The kind of small talk ``text`` is, when it is nothing else."""
    if not text.strip() or len(text) > MAX_CHARS:
        return None
    rest = text.lower()
    found: str | None = None
    for kind, pattern in KINDS.items():
        rest, count = re.subn(rf"(?<!\w)(?:{pattern.pattern})(?!\w)", " ", rest)
        if count and found is None:
            found = kind
    if found is None:
        return None
    leftover = _SEPARATORS.sub(" ", _FILLER.sub(" ", rest)).split()
    return found if not leftover else None


def wants(turn: Turn) -> bool:
    """Messages that are only small talk."""
    return turn.kind == "text" and kind_of(turn.text) is not None


def canned(kind: str, tone: str, language: str, name: str) -> str:
    """The reply from the list, in the customer's language when there is one."""
    table = LOCAL.get(language) or REPLIES.get(tone) or REPLIES["friendly"]
    return table[kind].format(name=name)


async def prepare(turn: Turn) -> bool:
    """Write the reply with the LLM when one is configured (kept for ``handle``)."""
    kind = kind_of(turn.text) or str(turn.params.get("kind") or "greeting")
    turn.prepared[NAME] = (kind, await _generated(turn, kind))
    return True


async def _generated(turn: Turn, kind: str) -> str | None:
    prefs = turn.prefs
    system = (
        f"You are {prefs.persona_name}, a customer-service assistant. {prefs.persona}\n"
        f"Tone: {prefs.tone}. The customer is making small talk ({kind.replace('_', ' ')}). "
        "Reply in one or two short sentences, in the customer's language, and offer help. "
        "Never invent facts about orders, accounts or policies."
    )
    request = CompletionRequest(
        messages=[{"role": "user", "content": turn.text[:MAX_CHARS]}],
        system=system,
        service="small_talk",
        max_tokens=80,
        temperature=0.7,
        preference="cheap",
    )
    try:
        result = await turn.runtime.llm.complete(turn.tenant_id, request)
    except FrontdeskError:
        return None
    if isinstance(result, NotConfigured) or not result.text.strip():
        return None
    return result.text.strip()


async def handle(turn: Turn) -> Reply | None:
    """The written reply, or the canned one."""
    kind, text = turn.prepared.get(NAME) or (kind_of(turn.text) or "greeting", None)
    language = str((turn.analysis or {}).get("language") or turn.prefs.language)
    if text is not None:
        return Reply(text, NAME, {"kind": kind, "mode": "generated"})
    text = canned(kind, turn.prefs.tone, language, turn.prefs.persona_name)
    meta = {"kind": kind, "mode": "canned"}
    return Reply(text, NAME, meta, language if language in LOCAL else None)


MEMBER = Member(NAME, handle, prepare, wants, description="greetings, thanks, goodbyes")
