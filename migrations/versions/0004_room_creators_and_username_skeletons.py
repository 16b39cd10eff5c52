"""Who created each room (for the per-user caps) and each username's UTS #39 skeleton (for confusables).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from chat.domain.names import username_skeleton

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs, which SQLite runs without rebuilding the tables. created_by is no foreign
    # key: it only counts what a user created, and rooms made before it (or by the CLI) have none.
    op.add_column("rooms", sa.Column("created_by", sa.Integer(), nullable=True))
    op.create_index("ix_rooms_created_by", "rooms", ["created_by"])
    op.add_column("users", sa.Column("skeleton", sa.String(length=128), nullable=True))
    op.create_index("ix_users_skeleton", "users", ["skeleton"])
    connection = op.get_bind()
    users = connection.execute(sa.text("SELECT id, username FROM users")).all()
    for user_id, username in users:
        connection.execute(
            sa.text("UPDATE users SET skeleton = :skeleton WHERE id = :id"),
            {"skeleton": username_skeleton(username), "id": user_id},
        )


def downgrade() -> None:
    op.drop_index("ix_users_skeleton", table_name="users")
    op.drop_column("users", "skeleton")
    op.drop_index("ix_rooms_created_by", table_name="rooms")
    op.drop_column("rooms", "created_by")
