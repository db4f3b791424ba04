"""Class mode's names: the rules (one name per student, compared as people read them), both
stores (the runs folder, Redis) surviving a restart, and the pages: a student joins with a name,
which the class then sees, escaped."""

import pytest
from redis import Redis
from streamlit.testing.v1 import AppTest

from core.names import MAX_LENGTH, NameRefused, NamesInFolder, NamesOnRedis, checked, key_of
from harness.apptest import APP, owner_of
from harness.services import redis_server


def test_names_are_compared_as_people_read_them():
    assert key_of("Ada") == key_of(" ADA ") == key_of("Ａｄａ")  # case, spaces, full-width letters
    assert key_of("Ada") != key_of("Ada L.")
    assert checked("  Ada Lovelace ") == "Ada Lovelace"
    for bad in ("", "   ", "x" * (MAX_LENGTH + 1), "line\nbreak", "tab\there", "bell\x07"):
        with pytest.raises(NameRefused):
            checked(bad)
    assert checked("x" * MAX_LENGTH) and checked("**bold** <b>=1+1") == "**bold** <b>=1+1"  # shown escaped


@pytest.fixture(params=["folder", "redis"])
def stores(request, tmp_path):
    """Two instances of one store, as two dashboard processes (or one restarted) see it."""
    if request.param == "folder":
        yield lambda: NamesInFolder(tmp_path / "class")
    else:
        with redis_server() as redis:
            yield lambda: NamesOnRedis(Redis.from_url(redis.url))


def test_a_name_is_held_by_the_first_who_takes_it_until_the_class_is_cleared(stores):
    names = stores()
    assert names.claim("session-a", " Ada ") == "Ada"
    with pytest.raises(NameRefused, match="already called"):
        names.claim("session-b", "ADA")
    assert names.claim("session-a", "Ada") == "Ada"  # again: still hers
    names.claim("session-b", "Grace")
    restarted = stores()  # another process, or the dashboard restarted
    assert restarted.all() == {"session-a": "Ada", "session-b": "Grace"}
    restarted.claim("session-a", "Ada L.")  # she renames herself: "Ada" is free again
    restarted.claim("session-c", "ada")
    assert restarted.name_of("session-a") == "Ada L." and restarted.name_of("session-c") == "ada"
    assert stores().clear() == {"session-a": "Ada L.", "session-b": "Grace", "session-c": "ada"}
    assert stores().all() == {}
    stores().claim("session-d", "Grace")  # a new class: every name free


def test_a_student_joins_the_class_with_a_name_the_class_sees_escaped(runs_folder, monkeypatch):
    from dashboard import classroom

    monkeypatch.setenv(classroom.TEACHER_PASSWORD_ENV, "a teacher's secret")
    try:
        ada = AppTest.from_file(APP, default_timeout=120).run()
        assert [title.value for title in ada.title] == ["Join the class"]
        ada.button[0].click().run()  # nothing typed
        assert "Give a name" in ada.error[0].value
        ada.text_input[0].set_value("**Ada** <i>L</i>")  # in a form: sent with its button
        ada.button[0].click().run()
        assert not ada.exception and [title.value for title in ada.title] == ["Start here"]
        caption = next(c.value for c in ada.sidebar.caption if "You are" in c.value)
        assert "\\*\\*Ada\\*\\*" in caption and "<i>" not in caption.replace("\\<i\\>", "")
        grace = AppTest.from_file(APP, default_timeout=120).run()
        grace.text_input[0].set_value("**ADA** <I>l</I>")
        grace.button[0].click().run()
        assert "already called" in grace.error[0].value  # hers until the class is cleared
        assert classroom.names().all() == {owner_of(ada): "**Ada** <i>L</i>"}
    finally:
        classroom.names().clear()


def test_without_a_teacher_password_nobody_is_asked_a_name(runs_folder, monkeypatch):
    from dashboard import classroom

    monkeypatch.delenv(classroom.TEACHER_PASSWORD_ENV, raising=False)
    app = AppTest.from_file(APP, default_timeout=120).run()
    assert [title.value for title in app.title] == ["Start here"] and not classroom.class_mode()
