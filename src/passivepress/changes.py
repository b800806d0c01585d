"""What changed since the previous build of the same site in this process (the preview's).

The previous build's model objects are still in memory, so instead of fingerprinting every
value every output read (:mod:`passivepress.cache`, for builds that start from disk), the
new objects are compared field by field with the old ones of the same key. An output is
made again only when it read something that differs, or when what it is made from (a
page's context arguments, a feed's essays) differs. The cost grows with what changed, not
with the size of the site: a save in a preview of 1,000 essays compares objects, it does
not hash them.
"""

from __future__ import annotations

import dataclasses
import io
import itertools
import operator
import pickle
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from passivepress import digests
from passivepress.cache import fingerprint
from passivepress.model import Site, Tracked

if TYPE_CHECKING:
    from passivepress.cache import OutputRecord
    from passivepress.routes import Route

Dep = tuple[str, str]  # (model key, attribute), as recorded while rendering

# What ``site`` in templates gives, besides the configuration (a configuration change
# makes everything again): the lists, by key, and the menu.
_SITE_LISTS = ("essays", "books", "pages", "tags")


@dataclass
class Snapshot:
    """The model of one build and what each of its outputs was made from."""

    objects: dict[str, Tracked] = field(default_factory=dict)
    site: dict[str, Any] = field(default_factory=dict)  # site attribute → keys or menu
    recipes: dict[str, Any] = field(default_factory=dict)  # output file → its recipe

    # key → digest of the file the object was read from (tags have none)
    sources: dict[str, bytes] = field(default_factory=dict)
    # page template → digest of every template it may load (theme.template_digests), and
    # the digest of all template files they were worked out from
    templates: dict[str, str] = field(default_factory=dict)
    template_files: str = ""

    @classmethod
    def of(cls, site: Site, menu: Any, digests: Mapping[str, bytes] | None = None) -> Snapshot:
        """``digests``: each content file's digest, by its path from the site folder."""
        objects: dict[str, Tracked] = {
            o.key: o for o in (*site.essays, *site.books, *site.pages, *site.tags)
        }
        lists: dict[str, Any] = {
            name: tuple(o.key for o in getattr(site, name)) for name in _SITE_LISTS
        }
        sources = {}
        if digests:
            for o in (*site.essays, *site.books, *site.pages):
                found = digests.get(str(o.source))
                if found is not None:
                    sources[o.key] = found
        return cls(objects, {**lists, "menu": tuple(menu)}, sources=sources)


@dataclass
class KeptObject:
    """A model object as a CLI build keeps it on disk for the next one: not its values,
    only whether each one changed can be told from it. Fields read from the object's own
    file are trusted unchanged while the file's bytes are (and the settings, which decide
    whether a kept snapshot is used at all); the fields made from the whole site (links,
    filled-in embeds, ``future``) and the properties are compared every time."""

    kind: type
    source: bytes | None  # digest of its file (None: made from others, as tags are)
    own: bytes  # an 8-byte token per field read from the file, in _layout order
    derived: bytes  # the same for the fields and properties made from the whole site


@dataclass
class Kept:
    """A :class:`Snapshot` as kept on disk: objects as :class:`KeptObject`, recipes as
    tokens."""

    objects: dict[str, KeptObject] = field(default_factory=dict)
    site: dict[str, Any] = field(default_factory=dict)
    recipes: dict[str, bytes] = field(default_factory=dict)
    layouts: dict[type, tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=dict)
    templates: dict[str, str] = field(default_factory=dict)
    template_files: str = ""

    @classmethod
    def of(
        cls,
        new: Snapshot,
        changes: Changes,
        earlier: Kept | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> Kept | None:
        """What to keep of a build's snapshot, reusing what ``changes`` worked out.

        ``earlier``: a model kept before with the same settings, when ``changes`` compared
        live objects (a preview's): the tokens of fields read from files whose bytes did
        not change come from it. ``stop``: asked now and then; None when it said to stop.
        """
        if isinstance(changes.old, Kept):
            old = changes.old
        else:
            old = earlier if earlier is not None else Kept()
        objects: dict[str, KeptObject] = {}
        layouts = {}
        for n, (key, obj) in enumerate(new.objects.items()):
            if stop is not None and n % 256 == 0 and stop():
                return None
            kind = type(obj)
            own_names, derived_names = layouts.setdefault(kind, _layout(kind))
            source = new.sources.get(key)
            own = changes.own.get(key)
            if own is None:
                before = old.objects.get(key)
                if (
                    before is not None
                    and source is not None
                    and before.source == source
                    and before.kind is kind
                    and old.layouts.get(kind) == layouts[kind]
                ):
                    own = before.own
                else:
                    own = _tokens(obj, own_names)
            derived = changes.derived.get(key)
            if derived is None:
                derived = _tokens(obj, derived_names, source)
            objects[key] = KeptObject(kind, source, own, derived)
        tokens = changes.recipe_tokens
        recipes = {}
        for n, (file, recipe) in enumerate(new.recipes.items()):
            if stop is not None and n % 1024 == 0 and stop():
                return None
            recipes[file] = tokens[file] if file in tokens else _recipe_token(recipe)
        return cls(
            objects, dict(new.site), recipes, layouts, dict(new.templates), new.template_files
        )


# Fields not decided by an object's own file alone (with the settings): links filled in
# once the whole site is known, HTML with embeds filled in, the clock, a cover's size.
_FROM_SITE = frozenset(
    {"future", "html", "feed_parts", "cover_size", "tags", "books", "related", "essays"}
)
_LAYOUTS: dict[type, tuple[tuple[str, ...], tuple[str, ...]]] = {}


def _layout(kind: type) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(fields read from the file, fields and properties made from the whole site)."""
    found = _LAYOUTS.get(kind)
    if found is None:
        names = _names(kind)
        properties = tuple(
            sorted(n for n in dir(kind) if isinstance(getattr(kind, n, None), property))
        )
        found = _LAYOUTS[kind] = (
            tuple(n for n in names if n not in _FROM_SITE),
            tuple(n for n in names if n in _FROM_SITE) + properties,
        )
    return found


def _token(value: Any) -> bytes:
    if type(value) is list:  # links (an essay's tags, a tag's essays): keys, read directly
        text = "[" + "\0".join([v.key if isinstance(v, Tracked) else fingerprint(v) for v in value])
    else:
        text = fingerprint(value)
    return digests.short(text.encode("utf-8", "surrogatepass"))


_BODY = frozenset({"html", "feed_parts"})


def _tokens(obj: Any, names: tuple[str, ...], source: bytes | None = None) -> bytes:
    """The tokens of ``names``. Without embeds, an object's HTML is what its file's
    Markdown makes (with the settings): its token is then the file's, not a hash of it."""
    plain = source is not None and not getattr(obj, "embeds", True)
    return b"".join(
        [source[:8] if plain and name in _BODY else _token(getattr(obj, name)) for name in names]  # type: ignore[index]
    )


def _differing(names: tuple[str, ...], before: bytes, after: bytes) -> list[str]:
    return [n for i, n in enumerate(names) if before[8 * i : 8 * i + 8] != after[8 * i : 8 * i + 8]]


_UNPICKLABLE = b"\xff" * 8


def _named(key: str) -> str:
    """What a model object stands for in a recipe's pickle: its key (never called)."""
    return key


def _by_key(obj: Tracked) -> tuple[Any, ...]:
    return (_named, (obj.key,))


_BY_KEY: dict[type, Any] = {}


def _tracked_types(kind: type = Tracked) -> Iterator[type]:
    for sub in kind.__subclasses__():
        yield sub
        yield from _tracked_types(sub)


def _recipe_token(recipe: Any) -> bytes:
    """A token of what an output is made from: equal for equal recipes, in any process.
    Model objects in it stand for their keys (what a template reads through them is
    recorded on its own); pickled without the memo, so that equal values give equal bytes
    however they happen to share objects, and in C but for the model objects. (A recipe
    that cannot be pickled counts as new every time.)"""
    if not _BY_KEY:
        _BY_KEY.update(dict.fromkeys(_tracked_types(), _by_key))
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True
    pickler.dispatch_table = _BY_KEY
    try:
        pickler.dump(recipe)
    except (pickle.PicklingError, TypeError, AttributeError, ValueError, RecursionError):
        return _UNPICKLABLE
    return digests.short(buffer.getvalue())


class Changes:
    """The differences between two snapshots, asked about one output at a time. The old
    one is the previous build's in memory (a preview's) or as kept on disk (:class:`Kept`)."""

    def __init__(self, old: Snapshot | Kept, new: Snapshot) -> None:
        self.old, self.new = old, new
        self._properties: dict[Dep, bool] = {}
        self.site = {name for name, value in new.site.items() if old.site.get(name) != value}
        # Page templates that load another template, or another version of one, now.
        self.templates = {
            name for name, found in new.templates.items() if old.templates.get(name) != found
        }
        # key → names of the fields that differ (None: the object is gone or replaced)
        self.fields: dict[str, frozenset[str] | None] = {}
        # What Kept.of can reuse: tokens worked out here, recipes found the same.
        self.own: dict[str, bytes] = {}
        self.derived: dict[str, bytes] = {}
        self.recipe_tokens: dict[str, bytes] = {}
        if isinstance(old, Kept):
            self._compare_kept(old, new)
            return
        for key, before in old.objects.items():
            after = new.objects.get(key)
            if after is None or type(after) is not type(before):
                self.fields[key] = None
            elif after is not before:
                names = _names(type(after))
                values = _getter(type(after))
                differ = frozenset(
                    name
                    for name, x, y in zip(names, values(before), values(after), strict=True)
                    if x is not y and not same(x, y)
                )
                if differ:
                    self.fields[key] = differ

    def _compare_kept(self, old: Kept, new: Snapshot) -> None:
        for key, before in old.objects.items():
            after = new.objects.get(key)
            kind = type(after)
            if after is None or kind is not before.kind or old.layouts.get(kind) != _layout(kind):
                self.fields[key] = None
                continue
            own_names, derived_names = _layout(kind)
            differ: list[str] = []
            if before.source is None or before.source != new.sources.get(key):
                own = self.own[key] = _tokens(after, own_names)
                if own != before.own:
                    differ += _differing(own_names, before.own, own)
            derived = self.derived[key] = _tokens(after, derived_names, new.sources.get(key))
            if derived != before.derived:
                differ += _differing(derived_names, before.derived, derived)
            if differ:
                self.fields[key] = frozenset(differ)

    def read_changed(self, deps: tuple[Dep, ...]) -> bool:
        """Whether anything in ``deps`` has another value now."""
        fields = self.fields
        for key, attr in deps:
            if key == "site":
                if attr in self.site:
                    return True
                continue
            if key not in fields:
                continue
            differ = fields[key]
            if differ is None or attr in differ:
                return True
            if attr not in _field_set(self._type(key)) and self._property_changed(key, attr):
                return True
        return False

    def _property_changed(self, key: str, attr: str) -> bool:
        """A property (reading_time, feed_html) of an object whose fields changed: compared
        by value, once, since most are unaffected by most edits. A kept snapshot compared
        the properties it knows already; any other counts as changed."""
        found = self._properties.get((key, attr))
        if found is None:
            if isinstance(self.old, Kept):
                found = attr not in _layout(self._type(key))[1]
            else:
                try:
                    before = getattr(self.old.objects[key], attr)
                    after = getattr(self.new.objects[key], attr)
                except Exception:
                    found = True
                else:
                    found = not same(before, after)
            self._properties[key, attr] = found
        return found

    def recipe_changed(self, file: str, recipe: Any, *, follow: bool) -> bool:
        """Whether an output is made from something else now. ``follow``: the output reads
        the model objects in its recipe without its reads being recorded (a feed, not a
        template), so a change in any of them counts too."""
        before = self.old.recipes.get(file)
        if before is None:
            return True
        if isinstance(self.old, Kept):
            token = self.recipe_tokens[file] = _recipe_token(recipe)
            if token != before or token == _UNPICKLABLE:
                return True
        elif not same(before, recipe):
            return True
        return follow and any(key in self.fields for key in keys_in(recipe))

    # -- the questions the render loop asks ---------------------------------------------

    def page_unchanged(self, route: Route, old: OutputRecord) -> bool:
        recipe = self.new.recipes[route.file] = _page_recipe(route)
        return (
            route.template not in self.templates
            and not self.recipe_changed(route.file, recipe, follow=False)
            and not self.read_changed(old.deps)
        )

    def will_render(self, route: Route) -> None:
        """The page ``route`` is rendered anew: what it is made from is its recipe now."""
        self.new.recipes[route.file] = _page_recipe(route)

    def output_changed(self, route: Route, old: OutputRecord | None) -> bool:
        if route.shows is None and route.inputs is None:
            return True  # what it is made from is not said: made every time
        recipe = self.new.recipes[route.file] = (
            route.shows if route.shows is not None else route.inputs()  # type: ignore[misc]
        )
        return old is None or self.recipe_changed(route.file, recipe, follow=True)

    def _type(self, key: str) -> type:
        obj = self.new.objects.get(key)
        if obj is not None:
            return type(obj)
        before = self.old.objects[key]
        return before.kind if isinstance(before, KeptObject) else type(before)


def _page_recipe(route: Route) -> tuple[str | None, dict[str, Any]]:
    """What a page is made from: its template (a page may be given another that other
    pages use, whose digest did not change) and the values it is given."""
    assert route.context is not None
    return route.template, route.context.args


def same(a: Any, b: Any) -> bool:
    """Equal for rendering: model objects by key (what a template reads of them is recorded
    on its own), everything else by value."""
    if a is b:
        return True
    kind = type(a)
    if kind is not type(b):
        return False
    if kind is str or kind is Markup:
        return a == b
    if isinstance(a, Tracked):
        return a.key == b.key
    if kind is tuple or kind is list:
        if len(a) != len(b):
            return False
        if a and isinstance(a[0], Tracked) and _all_tracked(a) and _all_tracked(b):
            # A list of essays (a tag's, a page of the archive): keys name them uniquely.
            return list(map(_KEY, a)) == list(map(_KEY, b))
        return _all_same(a, b)
    if kind is dict:
        if a.keys() != b.keys():
            return False
        for k, x in a.items():
            y = b[k]
            if x is not y and not same(x, y):
                return False
        return True
    names = _names(kind)
    if names:
        # Field values read in C: a call per field of the Cta of every essay page's
        # recipe on every save otherwise.
        get = _getter(kind)
        return _all_same(get(a), get(b))
    if kind is datetime:
        # Equal instants in other zones are equal datetimes, but show other times.
        return a == b and a.utcoffset() == b.utcoffset() and a.tzinfo == b.tzinfo
    return bool(a == b)


_KEY = operator.attrgetter("key")


def _all_same(a: Sequence[Any], b: Sequence[Any]) -> bool:
    """:func:`same` for each pair of items of two sequences of the same length."""
    for x, y in zip(a, b, strict=True):
        # Text, the commonest item, compared here rather than in a call of its own.
        if x is y or (type(x) is str and type(y) is str and x == y):
            continue
        if not same(x, y):
            return False
    return True


def _all_tracked(items: list[Any] | tuple[Any, ...]) -> bool:
    return all(map(isinstance, items, itertools.repeat(Tracked)))


def keys_in(value: Any) -> Iterator[str]:
    """The keys of the model objects inside a recipe."""
    if isinstance(value, Tracked):
        yield value.key
    elif isinstance(value, (tuple, list)):
        for item in value:
            # Text, most of what recipes hold (all of a social card's), without a generator
            # each: 10,000 cards' recipes are looked through on every full build.
            if type(item) is not str:
                yield from keys_in(item)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from keys_in(item)


_NAMES: dict[type, tuple[str, ...]] = {}
_SETS: dict[type, frozenset[str]] = {}
_GETTERS: dict[type, Callable[[Any], tuple[Any, ...]]] = {}


def _names(kind: type) -> tuple[str, ...]:
    """A dataclass's field names (empty for anything else), looked up once per type."""
    names = _NAMES.get(kind)
    if names is None:
        fields = dataclasses.fields(kind) if dataclasses.is_dataclass(kind) else ()
        names = _NAMES[kind] = tuple(f.name for f in fields)
    return names


def _getter(kind: type) -> Callable[[Any], tuple[Any, ...]]:
    """All of a dataclass's field values at once, as a tuple (read in C)."""
    found = _GETTERS.get(kind)
    if found is None:
        names = _names(kind)
        get = operator.attrgetter(*names) if names else (lambda obj: ())
        found = _GETTERS[kind] = get if len(names) != 1 else (lambda obj: (get(obj),))
    return found


def _field_set(kind: type) -> frozenset[str]:
    found = _SETS.get(kind)
    if found is None:
        found = _SETS[kind] = frozenset(_names(kind))
    return found
