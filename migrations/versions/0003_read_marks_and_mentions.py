"""Read marks per membership and mentions per message.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("memberships", sa.Column("last_read_seq", sa.Integer(), nullable=False, server_default="0"))
    # Members had no read marks before: start them at what exists, not with every message unread.
    op.execute(
        "UPDATE memberships SET last_read_seq = (SELECT last_seq FROM rooms WHERE rooms.id = memberships.room_id)"
    )
    op.create_table(
        "mentions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name="fk_mentions_message_id_messages", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name="fk_mentions_room_id_rooms", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_mentions_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_mentions"),
        sa.UniqueConstraint("message_id", "user_id", name="uq_mentions_message_id_user_id"),
    )
    op.create_index("ix_mentions_user_id_room_id_seq", "mentions", ["user_id", "room_id", "seq"])


def downgrade() -> None:
    op.drop_index("ix_mentions_user_id_room_id_seq", table_name="mentions")
    op.drop_table("mentions")
    with op.batch_alter_table("memberships") as memberships:
        memberships.drop_column("last_read_seq")
