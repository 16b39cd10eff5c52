"""Messages that change (rev, edits, deletion, reactions, replies, rendered HTML) and full-text search.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from chat.domain.rendering import render

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# SQLite: an FTS5 index over messages.text, kept by triggers (edits reindex, deletions empty the text).
SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE messages_fts USING fts5("
    "text, content='messages', content_rowid='id', tokenize='porter unicode61')",
    "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN "
    "INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN "
    "INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN "
    "INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text); END",
    "INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')",
]
# PostgreSQL: a stored tsvector of the text, always in step with it, under a GIN index.
POSTGRES_SEARCH = [
    "ALTER TABLE messages ADD COLUMN search tsvector "
    "GENERATED ALWAYS AS (to_tsvector('english', text)) STORED",
    "CREATE INDEX ix_messages_search ON messages USING GIN (search)",
]


def upgrade() -> None:
    op.add_column("rooms", sa.Column("last_rev", sa.Integer(), nullable=False, server_default="0"))
    # Plain ADD COLUMNs (with defaults), which SQLite runs without rebuilding the table.
    op.add_column("messages", sa.Column("html", sa.Text(), nullable=False, server_default=""))
    op.add_column("messages", sa.Column("rev", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("messages", sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("messages", sa.Column("deleted", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("messages", sa.Column("reply_to", sa.Integer(), nullable=True))
    # Every message stored so far was one change of its room: rev follows seq.
    op.execute("UPDATE messages SET rev = seq")
    op.execute("UPDATE rooms SET last_rev = last_seq")
    op.create_index("ix_messages_room_id_rev", "messages", ["room_id", "rev"])
    _render_stored_messages()
    op.create_table(
        "reactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("emoji", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name="fk_reactions_message_id_messages", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_reactions_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_reactions"),
        sa.UniqueConstraint("message_id", "user_id", "emoji", name="uq_reactions_message_id_user_id_emoji"),
    )
    op.create_index("ix_reactions_message_id", "reactions", ["message_id"])
    for statement in SQLITE_SEARCH if op.get_bind().dialect.name == "sqlite" else POSTGRES_SEARCH:
        op.execute(statement)


def _render_stored_messages() -> None:
    """Give the messages stored before rich text their HTML, in batches."""
    connection = op.get_bind()
    messages = sa.table("messages", sa.column("id", sa.Integer), sa.column("text"), sa.column("html"))
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(messages.c.id, messages.c.text)
            .where(messages.c.id > last_id)
            .order_by(messages.c.id)
            .limit(1000)
        ).all()
        if not rows:
            return
        for row in rows:
            connection.execute(messages.update().where(messages.c.id == row.id).values(html=render(row.text)))
        last_id = rows[-1].id


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("messages_fts_insert", "messages_fts_delete", "messages_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS messages_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_messages_search")
        op.execute("ALTER TABLE messages DROP COLUMN IF EXISTS search")
    op.drop_index("ix_reactions_message_id", table_name="reactions")
    op.drop_table("reactions")
    op.drop_index("ix_messages_room_id_rev", table_name="messages")
    with op.batch_alter_table("messages") as messages:
        for column in ("reply_to", "deleted", "edited_at", "rev", "html"):
            messages.drop_column(column)
    op.drop_column("rooms", "last_rev")
