"""AvatarSpec: what a user asked for, validated against the vocabulary."""

from __future__ import annotations

import json
import secrets
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from core.errors import InvalidSpec
from core.vocabulary import ATTRIBUTE_LABELS, ATTRIBUTES, VOCABULARY

# Seeds are stored, shown and typed by people: 32 bits is plenty, and every backend draws noise from it.
MAX_SEED = 2**32 - 1
MAX_COUNT = 4
MAX_DETAILS = 200


class AvatarSpec(BaseModel):
    """A request for an avatar. An unset attribute means "let the generator choose"."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    style: Optional[str] = None
    hair: Optional[str] = None
    hair_color: Optional[str] = None
    skin: Optional[str] = None
    expression: Optional[str] = None
    glasses: Optional[str] = None
    accessory: Optional[str] = None
    background: Optional[str] = None
    seed: Optional[int] = Field(default=None, ge=0, le=MAX_SEED)
    count: int = Field(default=1, ge=1, le=MAX_COUNT)
    details: Optional[str] = Field(default=None, max_length=MAX_DETAILS)

    @field_validator(*ATTRIBUTES, mode="before")
    @classmethod
    def _normalise_value(cls, value: Any) -> Any:
        # "Hair Color" style input from people: lower-case, spaces as in the vocabulary.
        if isinstance(value, str):
            value = value.strip().lower()
            return value or None
        return value

    @field_validator("details", mode="before")
    @classmethod
    def _empty_details(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @model_validator(mode="after")
    def _check_vocabulary(self) -> AvatarSpec:
        for attribute in ATTRIBUTES:
            value = getattr(self, attribute)
            if value is not None and value not in VOCABULARY.values[attribute]:
                allowed = ", ".join(VOCABULARY.values[attribute])
                raise ValueError(
                    f"unknown {ATTRIBUTE_LABELS[attribute]} {value!r}; choose one of: {allowed}"
                )
        chosen = self.attributes()
        if self.style is not None:
            for attribute, value in chosen.items():
                offered = VOCABULARY.offered(self.style, attribute)
                if value not in offered:
                    raise ValueError(
                        f"style {self.style!r} has no {ATTRIBUTE_LABELS[attribute]} {value!r}; "
                        f"it offers: {', '.join(offered)}"
                    )
        elif chosen and not self.candidate_styles():
            asked = ", ".join(f"{ATTRIBUTE_LABELS[a]} {v!r}" for a, v in chosen.items())
            raise ValueError(f"no style offers all of {asked} together")
        return self

    # -- views ---------------------------------------------------------------

    def attributes(self) -> dict[str, str]:
        """The attributes that were chosen (style excluded), in vocabulary order."""
        return {a: getattr(self, a) for a in ATTRIBUTES[1:] if getattr(self, a) is not None}

    def candidate_styles(self) -> tuple[str, ...]:
        """Styles that can draw every chosen attribute."""
        if self.style is not None:
            return (self.style,)
        chosen = self.attributes()
        return tuple(
            s for s in VOCABULARY.styles if all(v in VOCABULARY.offered(s, a) for a, v in chosen.items())
        )

    def tokens(self) -> tuple[int, ...]:
        """One conditioning token per attribute (0 where not chosen)."""
        return VOCABULARY.tokens({a: getattr(self, a) for a in ATTRIBUTES})

    def describe(self) -> str:
        parts = [f"{ATTRIBUTE_LABELS[a]}: {getattr(self, a)}" for a in ATTRIBUTES if getattr(self, a)]
        return ", ".join(parts) or "anything"

    # -- canonical JSON ------------------------------------------------------

    def to_json(self) -> str:
        """Canonical form: unset fields left out, keys sorted, no spaces."""
        data = self.model_dump(exclude_none=True, exclude_defaults=True)
        return json.dumps(data, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> AvatarSpec:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidSpec(f"avatar spec is not valid JSON: {exc.msg}") from exc
        if not isinstance(data, dict):
            raise InvalidSpec("avatar spec JSON must be an object")
        return parse_spec(data)

    def replace(self, **changes: Any) -> AvatarSpec:
        """A copy with some fields changed, validated again."""
        return parse_spec({**self.model_dump(exclude_none=True), **changes})


def random_seed() -> int:
    """A fresh seed, for a request that named none."""
    return secrets.randbelow(MAX_SEED + 1)


def seeds_for(spec: AvatarSpec) -> list[int]:
    """The seed of each of the spec's `count` images: consecutive from its seed (reproducible), else random."""
    first = spec.seed if spec.seed is not None else random_seed()
    return [(first + i) % (MAX_SEED + 1) for i in range(spec.count)]


def parse_spec(data: dict[str, Any]) -> AvatarSpec:
    """Build a spec from loose input, turning validation errors into one readable InvalidSpec."""
    try:
        return AvatarSpec.model_validate(data)
    except ValidationError as exc:
        raise InvalidSpec(_readable(exc)) from exc


def _readable(exc: ValidationError) -> str:
    messages = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = f"unknown option {field!r}; options are: {', '.join(AvatarSpec.model_fields)}"
        elif field in ("seed",) and err["type"].startswith(("int", "greater", "less")):
            msg = f"seed must be a whole number from 0 to {MAX_SEED}, not {err.get('input')!r}"
        elif field == "count":
            msg = f"count must be a whole number from 1 to {MAX_COUNT}, not {err.get('input')!r}"
        elif field == "details":
            msg = f"details must be text of at most {MAX_DETAILS} characters"
        elif field and not msg.startswith(("unknown", "style", "no style")):
            msg = f"{field}: {msg}"
        messages.append(msg)
    return "; ".join(messages)
