"""The demo tenant: a web chat channel and an e-commerce FAQ."""

from __future__ import annotations

from sqlalchemy import select

from frontdesk.channels.service import ensure_channel
from frontdesk.core.auth import Role
from frontdesk.core.db import Database
from frontdesk.knowledge.models import FaqEntry
from frontdesk.login.service import set_password
from frontdesk.tenants import service as tenants
from frontdesk.tenants.models import Member, Tenant
from frontdesk.tenants.schemas import MemberCreate

SLUG = "demo"
ADMIN_EMAIL = "admin@demo.example"
ADMIN_PASSWORD = "frontdesk-demo"  # noqa: S105  (documented demo login, for local use only)

FAQ: list[tuple[str, list[str], str, str]] = [
    (
        "How long does shipping take?",
        ["When will my order arrive?", "delivery time", "how many days for delivery"],
        "Standard shipping takes 3–5 business days; express shipping takes 1–2 business days. "
        "You'll get a tracking link by e-mail as soon as your parcel leaves our warehouse.",
        "shipping",
    ),
    (
        "How much does shipping cost?",
        ["shipping fee", "is shipping free", "delivery cost"],
        "Shipping is free on orders over $50. Below that, standard shipping is $4.95 and express "
        "shipping is $12.95.",
        "shipping",
    ),
    (
        "Do you ship internationally?",
        ["international shipping", "do you deliver abroad", "ship to another country"],
        "Yes, we ship to over 40 countries. International delivery takes 7–14 business days; "
        "duties and taxes are shown at checkout.",
        "shipping",
    ),
    (
        "Where is my order?",
        ["track my order", "order status", "tracking number", "where is my package"],
        "You can track your order from the link in your shipping confirmation e-mail, or under "
        "Account → Orders. Share your order number here and an agent can check it for you.",
        "orders",
    ),
    (
        "Can I change or cancel my order?",
        ["cancel order", "modify my order", "change shipping address"],
        "Orders can be changed or cancelled within 1 hour of purchase from Account → Orders. "
        "After that, it has usually left our warehouse — you can return it once it arrives.",
        "orders",
    ),
    (
        "What is your return policy?",
        ["can I return an item", "returns", "return window"],
        "You can return unused items in their original packaging within 30 days of delivery "
        "for a full refund.",
        "returns",
    ),
    (
        "How do I return an item?",
        ["start a return", "return label", "send something back"],
        "Go to Account → Orders, choose the order and click “Return items”. We'll e-mail you a "
        "prepaid return label; drop the parcel at any post office.",
        "returns",
    ),
    (
        "When will I get my refund?",
        ["refund status", "how long do refunds take", "money back"],
        "Refunds are issued within 3 business days of your return reaching us, and show on your "
        "statement 5–10 business days later depending on your bank.",
        "returns",
    ),
    (
        "Can I exchange an item for a different size?",
        ["exchange", "wrong size", "swap size"],
        "Yes — start a return for the item and choose “Exchange” instead of “Refund”. We ship the "
        "new size as soon as the original is scanned by the carrier.",
        "returns",
    ),
    (
        "What payment methods do you accept?",
        ["payment options", "can I pay with paypal", "do you take credit cards"],
        "We accept Visa, Mastercard, American Express, PayPal, Apple Pay and Google Pay.",
        "payment",
    ),
    (
        "Can I pay in installments?",
        ["buy now pay later", "installment payment", "klarna"],
        "Yes, orders over $100 can be split into 4 interest-free payments with Klarna at checkout.",
        "payment",
    ),
    (
        "Why was my payment declined?",
        ["card declined", "payment failed", "payment not going through"],
        "Declines usually come from the bank: check the card details and billing address, or try "
        "another method. We never charge a declined payment.",
        "payment",
    ),
    (
        "Do you have a discount code?",
        ["promo code", "coupon", "voucher"],
        "Sign up for our newsletter to get 10% off your first order. Only one code can be used per "
        "order.",
        "promotions",
    ),
    (
        "How do I reset my password?",
        ["forgot password", "can't log in", "reset login"],
        "Click “Forgot password” on the sign-in page and follow the link we e-mail you; it is "
        "valid for 30 minutes.",
        "account",
    ),
    (
        "How do I delete my account?",
        ["close my account", "remove my data"],
        "Go to Account → Privacy and choose “Delete account”. Your data is erased within 30 days, "
        "except what we must keep for invoices.",
        "account",
    ),
    (
        "What are your opening hours?",
        ["customer service hours", "when are you open", "support hours"],
        "Our support team is available Monday to Friday, 9:00–18:00 CET. This chat answers "
        "common questions around the clock.",
        "contact",
    ),
    (
        "Is my product under warranty?",
        ["warranty", "guarantee", "product broken"],
        "All products carry a 2-year warranty against manufacturing defects. Send us your order "
        "number and a photo of the defect and we'll arrange a repair or replacement.",
        "warranty",
    ),
    (
        "Do you offer gift wrapping?",
        ["gift wrap", "gift message"],
        "Yes, add gift wrapping for $3.95 at checkout and include a personal message; prices are "
        "not shown on the packing slip.",
        "orders",
    ),
]

# How customers ask the demo FAQ in their own words, with the entry each one means: the
# calibration set of the FAQ matcher (tests) and of the retrieval bench.
PARAPHRASES: list[tuple[str, str]] = [
    ("how long will shipping take", "How long does shipping take?"),
    ("when does my order arrive", "How long does shipping take?"),
    ("is shipping free?", "How much does shipping cost?"),
    ("what does delivery cost", "How much does shipping cost?"),
    ("do you ship to canada", "Do you ship internationally?"),
    ("where is my package??", "Where is my order?"),
    ("I want to track my order", "Where is my order?"),
    ("how can I cancel my order", "Can I change or cancel my order?"),
    ("what's your return policy", "What is your return policy?"),
    ("how do i return something", "How do I return an item?"),
    ("when do I get my refund", "When will I get my refund?"),
    ("can i pay with paypal", "What payment methods do you accept?"),
    ("my card was declined", "Why was my payment declined?"),
    ("do you have a promo code", "Do you have a discount code?"),
    ("I forgot my password", "How do I reset my password?"),
    ("what are your hours", "What are your opening hours?"),
    ("does it have a warranty", "Is my product under warranty?"),
    ("can you gift wrap it", "Do you offer gift wrapping?"),
    ("I need a different size", "Can I exchange an item for a different size?"),
    ("Can I pay in installments with Klarna?", "Can I pay in installments?"),
]


async def seed_demo(db: Database) -> tuple[Tenant, str]:
    """Create (or complete) the demo tenant; return it and a new admin API key."""
    async with db.system_session() as session:
        tenant = await session.scalar(select(Tenant).where(Tenant.slug == SLUG))
        if tenant is None:
            tenant = await tenants.create_tenant(session, SLUG, "Demo Shop")
    async with db.tenant_session(tenant.id) as session:
        await ensure_channel(session, tenant.id, "webchat", "Website chat")
        known = set(
            (
                await session.scalars(
                    select(FaqEntry.question).where(FaqEntry.tenant_id == tenant.id)
                )
            ).all()
        )
        for question, alternates, answer, category in FAQ:
            if question not in known:
                session.add(
                    FaqEntry(
                        tenant_id=tenant.id,
                        question=question,
                        alternate_questions=alternates,
                        answer=answer,
                        category=category,
                        tags=[category],
                        language="en",
                    )
                )
        await session.commit()
        _, key = await tenants.create_api_key(session, tenant.id, Role.ADMIN, "demo admin")
    await _demo_admin(db, tenant.id)
    await _demo_workflows(db, tenant.id)
    return tenant, key


async def _demo_workflows(db: Database, tenant_id: str) -> None:
    """Every workflow template, installed once as version 1 (not active: the operator decides)."""
    from frontdesk.workflows.models import Workflow
    from frontdesk.workflows.service import install
    from frontdesk.workflows.templates import TEMPLATES

    async with db.tenant_tx(tenant_id) as session:
        present = set(
            await session.scalars(select(Workflow.template).where(Workflow.tenant_id == tenant_id))
        )
        for key in TEMPLATES:
            if key not in present:
                await install(session, tenant_id, "demo", key, "default", None, activate_it=False)


async def _demo_admin(db: Database, tenant_id: str) -> None:
    """The demo's console login (see ADMIN_EMAIL / ADMIN_PASSWORD), created once."""
    async with db.tenant_session(tenant_id) as session:
        member = await session.scalar(
            select(Member).where(Member.tenant_id == tenant_id, Member.email == ADMIN_EMAIL)
        )
        if member is None:
            member = await tenants.create_member(
                session,
                tenant_id,
                MemberCreate(email=ADMIN_EMAIL, name="Demo Admin", role=Role.ADMIN),
            )
        has_password = member.password_hash is not None
    if not has_password:
        await set_password(db, tenant_id, member.id, ADMIN_PASSWORD)
