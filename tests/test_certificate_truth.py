"""A certificate cannot mislead: a revoked or expired one prints with a large void mark and its date,
one awarded by override says so on paper and on the verify page, and only the exact printed code
verifies."""
import base64
import re
import subprocess
from datetime import timedelta

import pytest
from babel.dates import format_date
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from campaign.core.clock import local_today
from campaign.creation import services
from campaign.creation.certificates import certificate_for_code, verify_code
from campaign.creation.pdf import certificates_pdf
from campaign.creation.views import verify_url
from campaign.extensions import db

from . import factories
from .test_certificates import certify, new_target, open_criteria, pdf_text, result_of


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _zh(message: str, **values) -> str:
    with current_app.test_request_context(), force_locale("zh_CN"):
        return _flat(_(message, **values))


def _long(day) -> str:
    return format_date(day, "long", locale="zh_CN")


def _override(target, user, today=None):
    """Certify although the county asks for events the target never held."""
    services.set_criteria(target.area.parent.parent if target.area.parent.parent else target.area, target.kind,
                          window_months=12, three_no=False, min_coverage=None, min_install_rate=None,
                          min_events=5, min_face_rate=None)
    for action in ("start", "apply"):
        services.transition(target, action, user=user, today=today)
    return services.transition(target, "certify", user=user, override_reason="县领导小组研究决定", today=today)


@pytest.fixture
def made(app):
    with app.app_context():
        yield _made(app)


def _made(app):
    """A clean, a revoked, an expired and an override certificate, committed; their PDFs and codes."""
    with app.test_request_context():
        c = factories.small_county()
        open_criteria(c.root)
        clean = certify(new_target(c.village_a), c.admin)
        revoked = certify(new_target(c.village_b), c.admin)
        services.transition(revoked.target, "revoke", user=c.admin, reason="发生案件")
        expired = certify(new_target(c.town_a, services.TargetKind.SCHOOL, "城关小学", 300), c.admin,
                          today=local_today() - timedelta(days=400))
        override = _override(new_target(c.town_b, services.TargetKind.ENTERPRISE, "四亩地茶厂", 40), c.admin)
        db.session.commit()
        certs = {"clean": clean, "revoked": revoked, "expired": expired, "override": override}
        return {name: {"pdf": certificates_pdf([cert], verify_url), "code": verify_code(cert), "serial": cert.serial,
                       "revoked_on": cert.revoked_on, "valid_until": cert.valid_until, "issuer": cert.issuer}
                for name, cert in certs.items()}


def test_a_revoked_certificate_prints_a_large_revoked_mark_with_its_date(made):
    text = _flat(pdf_text(made["revoked"]["pdf"])[0])
    assert _zh("Title revoked") in text
    assert _zh("Revoked on %(day)s; this certificate is void.", day=_long(made["revoked"]["revoked_on"])) in text
    assert made["revoked"]["serial"] in text


def test_an_expired_certificate_prints_as_expired_and_void(made):
    text = _flat(pdf_text(made["expired"]["pdf"])[0])
    assert _zh("Expired · void") in text
    assert _zh("Expired after %(day)s; this certificate is void.", day=_long(made["expired"]["valid_until"])) in text


def test_a_clean_certificate_carries_no_void_mark_and_says_the_criteria_were_met(made):
    text = _flat(pdf_text(made["clean"]["pdf"])[0])
    assert _zh("Title revoked") not in text and _zh("Expired · void") not in text
    assert _zh("Having met the fraud-free creation criteria of %(year)s on acceptance, you are named",
               year=local_today().year) in text


def test_an_override_certificate_never_claims_the_criteria_were_met(made):
    text = _flat(pdf_text(made["override"]["pdf"])[0])
    assert _zh("Having met the fraud-free creation criteria of %(year)s on acceptance, you are named",
               year=local_today().year) not in text
    assert _zh("Following review for %(year)s, you are named", year=local_today().year) in text
    assert _zh("Some creation criteria were not met; the title was awarded by override of %(issuer)s.",
               issuer=made["override"]["issuer"]) in text


def test_the_verify_page_says_a_title_was_awarded_by_override(client, made):
    page = client.get(f"/verify/{made['override']['code']}")
    assert page.status_code == 200 and result_of(page) == "valid"
    html = page.get_data(as_text=True)
    assert 'class="alert alert-warning verify-override"' in html
    assert made["override"]["issuer"] in html
    clean = client.get(f"/verify/{made['clean']['code']}").get_data(as_text=True)
    assert "verify-override" not in clean


def test_the_revoked_and_override_pages_render_as_a_reader_sees_them(made, tmp_path):
    for name in ("revoked", "override"):
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(made[name]["pdf"])
        subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / name)],
                       check=True)
        assert next(tmp_path.glob(f"{name}*.png")).stat().st_size > 5000


def _same_bytes_last_characters(code: str) -> list[str]:
    """Other last characters the base64 decoder reads as the same signature bytes."""
    head, signature = code.rsplit(".", 1)
    decoded = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    twins = []
    for ch in alphabet:
        other = signature[:-1] + ch
        if ch != signature[-1] and base64.urlsafe_b64decode(other + "=" * (-len(other) % 4)) == decoded:
            twins.append(f"{head}.{other}")
    return twins


def test_only_the_exact_printed_code_verifies(app, client, made):
    code = made["clean"]["code"]
    serial, signature = code.rsplit(".", 1)
    twins = _same_bytes_last_characters(code)
    assert twins  # the decoder does accept them: the check must not
    variants = [*twins, code + "=", code + "==", f"{serial}.{signature[:10]}!{signature[10:]}",
                f"{serial}.{signature[:10]}={signature[10:]}", f" {code}", f"{code} ", f"{code}%20", f"%20{code}",
                f"{code}%09", f"{code}%0A", f"0{code}", code.lower(), code.upper(), f"{serial}.{signature}.",
                f"{serial} .{signature}", code.replace("-", "－")]
    with app.app_context():
        for variant in variants:
            assert certificate_for_code(variant.replace("%20", " ").replace("%09", "\t")
                                        .replace("%0A", "\n")) is None, variant
    for variant in variants:
        response = client.get(f"/verify/{variant}")
        assert response.status_code == 404 and result_of(response) == "forged", variant
        assert "城南社区" not in response.get_data(as_text=True)
    assert result_of(client.get(f"/verify/{code}")) == "valid"


@pytest.mark.parametrize("garbage", ["x" * 5000, "%FF%FE", "证书", "😀" * 50, "%E2%80%8B",
                                     ".", "..", "-.-", "=", "a.b.c", "%25", "%5C"])
def test_garbage_codes_answer_not_genuine_never_an_error(client, made, garbage):
    response = client.get(f"/verify/{garbage}")
    assert response.status_code == 404 and result_of(response) == "forged", garbage


@pytest.mark.parametrize("garbage", ["%00", "abc%00def", "610923-2026-0001.%00"])
def test_a_nul_in_a_code_is_refused_like_any_nul_never_an_error(client, made, garbage):
    """Every request with a NUL is refused with 400 before any view (campaign/core/guards.py)."""
    response = client.get(f"/verify/{garbage}")
    assert response.status_code == 400 and "城南社区" not in response.get_data(as_text=True)
