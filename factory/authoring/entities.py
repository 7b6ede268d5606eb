"""Domain entities that code templates are filled with: a name and typed fields in four languages.
Field subsets and counts vary per record, so the generated code differs in shape, not just names.

Two pools, like :mod:`factory.authoring.vocab`'s nouns: ``entity(rng)`` draws a training entity and
``entity(rng, "eval")`` one of the held-out nouns, which no training record names."""

from __future__ import annotations

import random
from dataclasses import dataclass

# kind -> (python, typescript, rust, go)
TYPES = {
    "str": ("str", "string", "String", "string"),
    "int": ("int", "number", "i64", "int64"),
    "bool": ("bool", "boolean", "bool", "bool"),
    "float": ("float", "number", "f64", "float64"),
}


@dataclass(frozen=True)
class Field:
    name: str  # snake_case
    kind: str

    @property
    def camel(self) -> str:
        head, *rest = self.name.split("_")
        return head + "".join(p.title() for p in rest)

    @property
    def pascal(self) -> str:
        return "".join(p.title() for p in self.name.split("_"))

    def py(self) -> str:
        return TYPES[self.kind][0]

    def ts(self) -> str:
        return TYPES[self.kind][1]

    def rs(self) -> str:
        return TYPES[self.kind][2]

    def go(self) -> str:
        return TYPES[self.kind][3]


@dataclass(frozen=True)
class Entity:
    snake: str
    plural: str
    domain: str
    fields: tuple[Field, ...]

    @property
    def cls(self) -> str:
        return "".join(p.title() for p in self.snake.split("_"))

    @property
    def camel_plural(self) -> str:
        head, *rest = self.plural.split("_")
        return head + "".join(p.title() for p in rest)

    def of(self, kind: str) -> list[Field]:
        return [f for f in self.fields if f.kind == kind]


def _e(snake: str, plural: str, domain: str, spec: str) -> Entity:
    fields = tuple(Field(*item.split(":")) for item in spec.split())
    return Entity(snake, plural, domain, fields)


ENTITIES = [
    _e("invoice", "invoices", "billing", "number:str customer_email:str amount_cents:int paid:bool tax_rate:float"),
    _e("ticket", "tickets", "support desk", "title:str priority:int assignee:str closed:bool reopen_count:int"),
    _e("shipment", "shipments", "logistics", "tracking_code:str weight_kg:float carrier:str delivered:bool stops:int"),
    _e("sensor_reading", "readings", "IoT telemetry", "device_id:str celsius:float battery_pct:int faulty:bool"),
    _e("booking", "bookings", "hotel reservations", "guest_name:str nights:int room_type:str breakfast:bool"),
    _e("employee", "employees", "HR", "full_name:str department:str salary:int remote:bool rating:float"),
    _e("song", "songs", "music streaming", "title:str artist:str duration_secs:int explicit:bool plays:int"),
    _e("patient_visit", "visits", "clinic scheduling", "patient_ref:str doctor:str minutes:int follow_up:bool"),
    _e("listing", "listings", "real estate", "address:str price:int bedrooms:int sold:bool area_m2:float"),
    _e("course", "courses", "e-learning", "code:str title:str credits:int archived:bool pass_rate:float"),
    _e("transaction", "transactions", "banking", "account:str amount_cents:int currency:str flagged:bool"),
    _e("build_job", "jobs", "CI pipelines", "branch:str duration_secs:int passed:bool retries:int runner:str"),
    _e("recipe", "recipes", "a cooking app", "name:str servings:int vegetarian:bool prep_minutes:int"),
    _e("flight", "flights", "airline ops", "flight_no:str origin:str destination:str delay_minutes:int cancelled:bool"),
    _e("article", "articles", "a CMS", "slug:str author:str word_count:int published:bool"),
    _e("subscription", "subscriptions", "SaaS billing", "plan:str seats:int monthly_cents:int trial:bool"),
    _e("vehicle", "vehicles", "fleet management", "plate:str mileage_km:int electric:bool fuel_level:float"),
    _e("review", "reviews", "an e-commerce site", "product_sku:str stars:int verified:bool body:str"),
]


# The held-out pool: vocab's evaluation nouns, typed. Nothing in the training pool shares their names.
HELD_OUT = [
    _e("syllabus", "syllabi", "course planning", "code:str weeks:int published:bool credits:int"),
    _e("enrollment", "enrollments", "a student portal", "student_ref:str term:str waitlisted:bool fee_cents:int"),
    _e("grade_report", "grade_reports", "a school office", "student_ref:str average:float passed:bool absences:int"),
    _e("diploma", "diplomas", "a registrar", "holder:str degree:str honours:bool year:int"),
    _e("playlist", "playlists", "a listening app", "title:str owner:str track_count:int public:bool"),
    _e("music_track", "music_tracks", "a record label", "isrc:str title:str length_secs:int explicit:bool"),
    _e("album", "albums", "a record shop", "title:str label:str tracks:int remastered:bool price:float"),
    _e("podcast_episode", "podcast_episodes", "podcast hosting", "slug:str host:str minutes:int explicit:bool"),
    _e("blog_post", "blog_posts", "a publishing tool", "slug:str author:str words:int draft:bool"),
    _e("chat_message", "chat_messages", "team chat", "sender:str body:str edited:bool thread_depth:int"),
    _e("forum_thread", "forum_threads", "a community site", "topic:str author:str replies:int locked:bool"),
    _e("email_template", "email_templates", "a mailing service", "key:str subject:str variables:int active:bool"),
]
POOLS = {"train": ENTITIES, "eval": HELD_OUT}


def entity(rng: random.Random, pool: str = "train") -> Entity:
    """A training entity, or with ``pool="eval"`` a held-out one."""
    entities = POOLS[pool]
    return entities[rng.randrange(len(entities))]


def fields(rng: random.Random, ent: Entity, lo: int = 2, hi: int = 4, must: str | None = None) -> list[Field]:
    """A random subset of the entity's fields in declaration order, containing a field of kind ``must``."""
    chosen = set(rng.sample(range(len(ent.fields)), min(len(ent.fields), rng.randint(lo, hi))))
    if must and not any(ent.fields[i].kind == must for i in chosen):
        options = [i for i, f in enumerate(ent.fields) if f.kind == must]
        if options:
            chosen.add(rng.choice(options))
    return [ent.fields[i] for i in sorted(chosen)]


def py_dataclass(ent: Entity, fs: list[Field]) -> str:
    body = "\n".join(f"    {f.name}: {f.py()}" for f in fs)
    return f"@dataclass\nclass {ent.cls}:\n{body}\n"


def ts_interface(ent: Entity, fs: list[Field]) -> str:
    body = "\n".join(f"  {f.camel}: {f.ts()};" for f in fs)
    return f"interface {ent.cls} {{\n{body}\n}}\n"


def rs_struct(ent: Entity, fs: list[Field], derive: str = "Debug, Clone") -> str:
    body = "\n".join(f"    pub {f.name}: {f.rs()}," for f in fs)
    return f"#[derive({derive})]\npub struct {ent.cls} {{\n{body}\n}}\n"


def go_struct(ent: Entity, fs: list[Field]) -> str:
    body = "\n".join(f"\t{f.pascal} {f.go()}" for f in fs)
    return f"type {ent.cls} struct {{\n{body}\n}}\n"
