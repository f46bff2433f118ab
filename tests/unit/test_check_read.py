"""The whole-check read and decision (openchecks.check.read) with fake readers: what each outcome needs.

The same decisions are exercised with the real readers in tests/accuracy/test_whole_check_read.py and
through the pipeline in tests/integration/test_pipeline_whole_check.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from openchecks.check.quality import TEST_NAMES
from openchecks.check.read import (
    CheckPolicy,
    Readers,
    SideQuality,
    amount_mismatch_message,
    decide_check,
    read_whole_check,
)
from openchecks.config import AppConfig
from PIL import Image

pytestmark = pytest.mark.unit

TESTS = TEST_NAMES
MICR_OK: dict[str, Any] = {
    "micr": "⑆063100277⑆ 003661702511⑈ 1278",
    "routing": "063100277",
    "account": "003661702511",
    "check_number": "1278",
    "amount_cents": None,
    "status": "accepted",
    "reasons": [],
    "confidence": 97.0,
}


@dataclass(frozen=True)
class FakeStraightened:
    image: Image.Image
    dpi: int = 200
    size_in: tuple[float, float] = (6.0, 2.75)
    corners: Any = None
    found: bool = True
    skew_degrees: float = 0.0
    source_dpi: float = 200.0


@dataclass
class FakeReport:
    failed: list[str]

    @property
    def results(self) -> dict[str, str]:
        return {t: "fail" if t in self.failed else "pass" for t in TESTS}

    @property
    def messages(self) -> list[str]:
        return [f"{t} failed: retake the photo." for t in self.failed]

    @property
    def metrics(self) -> dict[str, float]:
        return {"mean": 128.0}


@dataclass
class Fakes:
    """Readers whose answers the test sets, keyed by the photo's grey level (front 200, back 100)."""

    failed: dict[int, list[str]] = field(default_factory=dict)
    amount: dict[str, Any] | None = None
    endorsement: dict[str, Any] | None = None
    calls: list[str] = field(default_factory=list)

    def readers(self) -> Readers:
        def straighten(photo: Image.Image, dpi: int, size_in: Any = None) -> FakeStraightened:
            self.calls.append("straighten")
            return FakeStraightened(photo.convert("RGB"), dpi)

        def assess(photo: Image.Image, straight: Any, config: Any, side: str = "front") -> FakeReport:
            self.calls.append("assess")
            level = photo.convert("L").getpixel((0, 0))
            assert isinstance(level, int)
            return FakeReport(self.failed.get(level, []))

        def micr(image: Image.Image, declared: str | None, tessdata: str | None) -> dict[str, Any]:
            self.calls.append("micr")
            return dict(MICR_OK)

        def amount(image: Image.Image, dpi: int, tessdata: str | None) -> dict[str, Any]:
            self.calls.append("amount")
            if self.amount is None:
                raise RuntimeError("nothing readable")
            return dict(self.amount)

        def endorsement(
            image: Image.Image, dpi: int, phrases: Sequence[str], tessdata: str | None
        ) -> dict[str, Any]:
            self.calls.append("endorsement")
            assert "for mobile deposit only" in [p.lower() for p in phrases]
            return dict(
                self.endorsement or {"present": False, "restrictive": False, "text": "", "confidence": 0}
            )

        return Readers(straighten, assess, micr, amount, endorsement)


FRONT = Image.new("L", (1200, 550), 200)
BACK = Image.new("L", (1200, 550), 100)
POLICY = AppConfig(endorsement_phrases=("For mobile deposit only",))
READ_1042 = {"amount": "1042.00", "cents": 104200, "source": "both", "confidence": 0.95}
ENDORSED = {"present": True, "restrictive": True, "text": "For mobile deposit only", "confidence": 0.9}


def read(
    fakes: Fakes, back: bool = True, declared: str | None = "1042.00", config: AppConfig = POLICY
) -> Any:
    return read_whole_check(
        FRONT, BACK if back else None, declared, config, readers=fakes.readers()
    ).to_dict()


def test_a_good_check_with_its_amount_and_a_restrictive_endorsement_is_accepted() -> None:
    fakes = Fakes(amount=READ_1042, endorsement=ENDORSED)
    out = read(fakes)
    assert out["status"] == "accepted" and out["reasons"] == []
    assert out["amount"] == "1042.00" and out["amount_source"] == "both" and out["amount_confidence"] == 0.95
    assert out["quality"] == {t: "pass" for t in TESTS} and out["back_quality"] == out["quality"]
    assert out["endorsement"]["restrictive"] is True
    assert out["routing"] == "063100277" and out["micr_status"] == "accepted"


def test_a_front_that_fails_quality_is_rejected_and_never_read() -> None:
    fakes = Fakes(
        failed={200: ["too_light_or_too_dark", "out_of_focus"]}, amount=READ_1042, endorsement=ENDORSED
    )
    out = read(fakes)
    assert out["status"] == "rejected"
    assert {"too_light_or_too_dark", "out_of_focus"} <= set(out["reasons"])
    assert len(out["messages"]) == 2
    assert out["quality"]["too_light_or_too_dark"] == "fail"
    assert "micr" not in fakes.calls and "amount" not in fakes.calls and "endorsement" not in fakes.calls
    assert out["routing"] is None and out["amount"] is None


def test_a_back_that_fails_quality_is_rejected_with_the_side_named() -> None:
    out = read(Fakes(failed={100: ["partial_image"]}, amount=READ_1042, endorsement=ENDORSED))
    assert out["status"] == "rejected" and out["reasons"] == ["back_partial_image"]
    assert out["back_quality"]["partial_image"] == "fail" and out["quality"]["partial_image"] == "pass"


def test_a_different_amount_goes_to_review_with_both_amounts_and_the_customer_sentence() -> None:
    out = read(Fakes(amount=READ_1042, endorsement=ENDORSED), declared="1500.00")
    assert out["status"] == "needs_review" and out["reasons"] == ["amount_mismatch"]
    assert out["amount"] == "1042.00"
    assert out["messages"] == ["The amount you entered, $1,500.00, does not match the amount on the check."]
    assert amount_mismatch_message(150000) == out["messages"][0]


def test_an_unread_amount_goes_to_review_unless_the_item_is_small() -> None:
    assert read(Fakes(amount=None, endorsement=ENDORSED))["reasons"] == ["amount_unread"]
    unsure = {**READ_1042, "cents": 104800, "amount": "1048.00", "confidence": 0.2}
    assert read(Fakes(amount=unsure, endorsement=ENDORSED))["reasons"] == ["amount_unread"]
    small = AppConfig(endorsement_phrases=POLICY.endorsement_phrases, small_item_cents=104200)
    assert read(Fakes(amount=None, endorsement=ENDORSED), config=small)["status"] == "accepted"
    assert read(Fakes(amount=None, endorsement=ENDORSED), declared="1042.01", config=small)["reasons"] == [
        "amount_unread"
    ]


def test_a_wrong_amount_is_never_accepted_even_under_the_small_item_limit() -> None:
    small = AppConfig(endorsement_phrases=POLICY.endorsement_phrases, small_item_cents=10_000_000)
    out = read(Fakes(amount=READ_1042, endorsement=ENDORSED), declared="1500.00", config=small)
    assert out["status"] == "needs_review" and "amount_mismatch" in out["reasons"]


def test_no_restrictive_endorsement_goes_to_review_unless_configured_off() -> None:
    blank = {"present": True, "restrictive": False, "text": "J. Smith", "confidence": 0.8}
    out = read(Fakes(amount=READ_1042, endorsement=blank))
    assert out["status"] == "needs_review" and out["reasons"] == ["endorsement_missing"]
    off = AppConfig(endorsement_phrases=POLICY.endorsement_phrases, require_restrictive_endorsement=False)
    assert read(Fakes(amount=READ_1042, endorsement=blank), config=off)["status"] == "accepted"


def test_without_declared_or_back_there_is_no_amount_or_endorsement_decision() -> None:
    fakes = Fakes(amount=None)
    out = read(fakes, back=False, declared=None)
    assert out["status"] == "accepted" and out["endorsement"] is None and out["back_quality"] is None
    assert "endorsement" not in fakes.calls


def test_the_micr_verdict_still_decides() -> None:
    decision = decide_check(
        micr={**MICR_OK, "status": "needs_review", "reasons": ["routing_checksum_failed"]},
        declared_cents=104200,
        amount=READ_1042,
        endorsement=ENDORSED,
        policy=CheckPolicy(),
        check_endorsement=True,
    )
    assert decision.status == "needs_review" and decision.reasons == ("routing_checksum_failed",)
    assert decide_check(
        micr=None,
        declared_cents=None,
        amount=None,
        endorsement=None,
        policy=CheckPolicy(),
        check_endorsement=False,
    ).reasons == ("no_reading",)


def test_the_pipeline_requires_an_endorsement_when_no_back_came() -> None:
    decision = decide_check(
        micr=MICR_OK,
        declared_cents=104200,
        amount=READ_1042,
        endorsement=None,
        policy=CheckPolicy(),
        check_endorsement=True,
        front_quality=SideQuality({t: "pass" for t in TESTS}, [], []),
    )
    assert decision.status == "needs_review" and decision.reasons == ("endorsement_missing",)


def test_configuration_document_keys_are_read_with_safe_fallbacks() -> None:
    config = AppConfig.from_doc(
        {
            "require_back": "false",
            "require_restrictive_endorsement": False,
            "endorsement_phrases": ["Pay to XYZ bank only"],
            "small_item_cents": "2500",
            "amount_min_confidence": 0.8,
            "quality": {"min_dpi": 150},
        }
    )
    policy = CheckPolicy.from_config(config)
    assert policy.require_back is False and policy.require_restrictive_endorsement is False
    assert policy.phrases() == ("Pay to XYZ bank only",) and policy.small_item_cents == 2500
    assert policy.amount_min_confidence == 0.8 and policy.quality == {"min_dpi": 150}
    bad = AppConfig.from_doc({"require_back": "maybe", "endorsement_phrases": "oops", "quality": [1]})
    assert bad.require_back is True and bad.endorsement_phrases == () and bad.quality == {}
    assert AppConfig().to_doc()["endorsement_phrases"] == []
