"""Students' display names in class mode: names, not accounts.

A student gives a name on the first visit; it is theirs (their owner id's) until the teacher clears
the class. Names are compared as people read them: after Unicode NFKC normalisation and case folding,
so "Ada", "ADA" and "Ａｄａ" are one name. Runs and trainings record owner ids; names are looked up
when shown, and escaped by whoever shows them. Kept in the runs folder (written atomically) or, on a
classroom server, in Redis: a dashboard restart keeps them either way.
"""

from __future__ import annotations

import json
import threading
import unicodedata
from abc import ABC, abstractmethod
from pathlib import Path

from core import files

MAX_LENGTH = 30


class NameRefused(ValueError):
    """A name that cannot be given; the message says why, for the page."""


def key_of(name: str) -> str:
    """What two names must share to be one: NFKC, case folded, outer spaces ignored."""
    return unicodedata.normalize("NFKC", name).casefold().strip()


def checked(name: str) -> str:
    """`name` without its outer spaces, or NameRefused saying what is wrong with it."""
    name = name.strip()
    if not name:
        raise NameRefused("Give a name: the class will know your runs by it.")
    if len(name) > MAX_LENGTH:
        raise NameRefused(f"At most {MAX_LENGTH} characters, please ({len(name)} given).")
    if not name.isprintable():
        raise NameRefused("Letters, digits, spaces and punctuation only: no line breaks or control "
                          "characters.")
    return name


class Names(ABC):
    """owner id -> display name, each name held by one owner."""

    def claim(self, owner: str, name: str) -> str:
        """Give `owner` the name `name` (its earlier one, if any, becomes free); the name as kept.
        NameRefused if it is not a name, or another owner holds it."""
        name = checked(name)
        self._claim(owner, name, key_of(name))
        return name

    @abstractmethod
    def _claim(self, owner: str, name: str, key: str) -> None: ...

    @abstractmethod
    def all(self) -> dict[str, str]:
        """Every owner id with its name."""

    def name_of(self, owner: str) -> str | None:
        return self.all().get(owner)

    @abstractmethod
    def clear(self) -> dict[str, str]:
        """Forget every name (a new class); returns them, for the caller to archive."""


def _taken(name: str) -> NameRefused:
    return NameRefused(f"Someone in the class is already called {name!r}: choose another name.")


class NamesInFolder(Names):
    """Names in `folder`/names.json, rewritten whole and atomically at each change."""

    _lock = threading.Lock()  # one dashboard process writes them

    def __init__(self, folder: Path):
        self.path = Path(folder) / "names.json"

    def all(self) -> dict[str, str]:
        try:
            kept = json.loads(self.path.read_text())
        except (OSError, ValueError):  # none yet, or damaged: an empty class rather than a crash
            return {}
        return {str(owner): str(name) for owner, name in kept.items()} if isinstance(kept, dict) else {}

    def _claim(self, owner: str, name: str, key: str) -> None:
        with self._lock:
            names = self.all()
            if any(key_of(other) == key for holder, other in names.items() if holder != owner):
                raise _taken(name)
            self._write({**names, owner: name})

    def clear(self) -> dict[str, str]:
        with self._lock:
            names = self.all()
            self._write({})
            return names

    def _write(self, names: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        files.atomic_write(self.path, lambda stream: stream.write(json.dumps(names, indent=1).encode()))


class NamesOnRedis(Names):
    """Names in two Redis hashes (owner -> name, and name's key -> owner), changed in one
    transaction; they expire KEPT_DAYS after the last change, as every key of the project does."""

    KEPT_DAYS = 180

    def __init__(self, connection, prefix: str = "mnist-explorer:"):
        self.connection = connection
        self.names, self.holders = f"{prefix}names", f"{prefix}name-holders"

    def all(self) -> dict[str, str]:
        return {owner.decode(): name.decode() for owner, name in self.connection.hgetall(self.names).items()}

    def _claim(self, owner: str, name: str, key: str) -> None:
        from redis.exceptions import WatchError

        while True:
            with self.connection.pipeline() as pipeline:
                try:
                    pipeline.watch(self.names, self.holders)
                    holder = pipeline.hget(self.holders, key)
                    if holder is not None and holder.decode() != owner:
                        raise _taken(name)
                    earlier = pipeline.hget(self.names, owner)
                    pipeline.multi()
                    if earlier is not None and key_of(earlier.decode()) != key:
                        pipeline.hdel(self.holders, key_of(earlier.decode()))
                    pipeline.hset(self.names, owner, name)
                    pipeline.hset(self.holders, key, owner)
                    for hash_key in (self.names, self.holders):
                        pipeline.expire(hash_key, self.KEPT_DAYS * 24 * 3600)
                    pipeline.execute()
                    return
                except WatchError:  # another claim came between: look again
                    continue

    def clear(self) -> dict[str, str]:
        names = self.all()
        self.connection.delete(self.names, self.holders)
        return names
