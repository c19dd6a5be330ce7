"""Per-tenant data keys, wrapped by the master key."""

from __future__ import annotations

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.core.db import Base, TenantMixin


class DataKey(TenantMixin, Base):
    """A tenant's AES-256 data key, stored encrypted under the master key ``master_key_id``."""

    __tablename__ = "data_keys"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    master_key_id: Mapped[str] = mapped_column(String(16))
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    active: Mapped[bool] = mapped_column(default=True)
