"""An event the database refuses for good is set aside; it does not hold up everyone behind it."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from storage.models import DeadLetter, InboundEvent


def _refuse_events_from(db: Engine, address: str) -> None:
    """A trigger that refuses to record one address's events, as a database refuses a poison row
    (here on purpose, so the refusal is the database's own, not a stand-in)."""
    with db.begin() as connection:
        if db.dialect.name == "sqlite":
            connection.execute(
                text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON inboundevent"
                    f" WHEN NEW.address = '{address}' BEGIN SELECT RAISE(ABORT, 'refused'); END"
                )
            )
        else:
            connection.execute(
                text(
                    "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN"
                    f" IF NEW.address = '{address}' THEN RAISE EXCEPTION 'refused'; END IF;"
                    " RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            connection.execute(
                text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON inboundevent"
                    " FOR EACH ROW EXECUTE FUNCTION refuse()"
                )
            )


async def test_a_refused_event_becomes_a_dead_letter_and_the_next_family_is_answered(
    chat, db, school, caplog
):
    _refuse_events_from(db, "poison")
    assert await chat("poison").say("my secret words") == []  # acknowledged to the platform, set aside
    assert (await chat("next").say("hello"))[0].text.startswith("Hello!")
    with Session(db) as session:
        [letter] = session.exec(select(DeadLetter)).all()
        assert (letter.channel, letter.address) == ("test", "poison")
        assert letter.error in {"IntegrityError", "RaiseException"}
        assert [e.address for e in session.exec(select(InboundEvent))] == ["next"]
    assert "set aside as a dead letter" in caplog.text
    assert "my secret words" not in caplog.text
