"""Group chats linked to a class: where the class's highlights also go."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from storage.accounts import get_or_create_account
from storage.ids import id_of
from storage.models import ChannelAccount, ClassChat, School


def link_class_chat(
    *, session: Session, class_id: int, channel: str, address: str, by: int, at: datetime
) -> bool:
    """Link the group chat to the class; False if it already was."""
    account = get_or_create_account(session=session, channel=channel, address=address)
    exists = session.exec(
        select(ClassChat).where(ClassChat.class_id == class_id, ClassChat.account_id == account.id)
    ).first()
    if exists is not None:
        return False
    session.add(ClassChat(class_id=class_id, account_id=id_of(account), linked_by=by, linked_at=at))
    return True


def class_chats(*, session: Session, class_id: int) -> list[ChannelAccount]:
    """The class's linked group chats that can still be reached."""
    return list(
        session.exec(
            select(ChannelAccount)
            .join(ClassChat, col(ClassChat.account_id) == ChannelAccount.id)
            .where(ClassChat.class_id == class_id, ChannelAccount.active)
        ).all()
    )


def school_language(*, session: Session, school_id: int) -> str:
    """The language a group chat of the school is written to."""
    school = session.get(School, school_id)
    return school.default_language if school else "en"
