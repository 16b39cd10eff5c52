"""Rooms people run: each membership's admin flag, a room's topic and its archive date.

Group conversations need no column: they are direct rooms of more than two
people (kind 'direct', slug 'group-…'), so the CHECK on rooms.kind stays
(SQLite could change it only by copying the rooms table).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "memberships", sa.Column("is_admin", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("rooms", sa.Column("topic", sa.String(length=250), nullable=False, server_default=""))
    op.add_column("rooms", sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
    # A room's creator is its first admin (rooms made before roles were kept included).
    op.execute(
        "UPDATE memberships SET is_admin = TRUE WHERE EXISTS (SELECT 1 FROM rooms"
        " WHERE rooms.id = memberships.room_id AND rooms.created_by = memberships.user_id"
        " AND rooms.kind IN ('public', 'private'))"
    )


def downgrade() -> None:
    op.drop_column("rooms", "archived_at")
    op.drop_column("rooms", "topic")
    op.drop_column("memberships", "is_admin")
