"""Certificates (荣誉证书): serials per county and year, one-year validity, the issuing office, the
signed code behind the QR, the public verification page, and the printed A4 PDFs."""
import io
import re
import subprocess
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from babel.dates import format_date
from pypdf import PdfReader

from campaign.audit.models import AuditEntry
from campaign.core.clock import local_today
from campaign.core.errors import DomainError
from campaign.creation import certificates, services
from campaign.creation.certificates import certificate_for_code, issuer_for, one_year_from, verify_code
from campaign.creation.models import Certificate, CreationTarget, TargetKind
from campaign.creation.pdf import certificates_pdf
from campaign.creation.views import verify_url
from campaign.extensions import db

from . import factories

# --- helpers --------------------------------------------------------------------------------

def open_criteria(county):
    """A county that applies no criterion, so every target can be certified."""
    for kind in TargetKind:
        services.set_criteria(county, kind, window_months=12, three_no=False, min_coverage=None,
                              min_install_rate=None, min_events=None, min_face_rate=None)


def new_target(area, kind=TargetKind.COMMUNITY, name="", headcount=0):
    fields = services.check_fields(kind=kind, name=name, area=area, headcount=headcount)
    return services.create_target(area=area, fields=fields)


def certify(target, user, today=None):
    today = today or local_today()
    for action in ("start", "apply"):
        services.transition(target, action, user=user, today=today)
    return services.transition(target, "certify", user=user, today=today)


def village(parent, code, name):
    return factories.AreaFactory(code=code, name=name, parent=parent)


def other_county():
    root = factories.AreaFactory(code="610924", name="石泉县")
    town = factories.AreaFactory(code="610924100", name="城关镇", parent=root)
    open_criteria(root)
    return root, village(town, "610924100001", "石泉村")


def pdf_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def qr_on_first_page(data: bytes, tmp_path) -> str:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(data)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")],
                   check=True)
    image = next(tmp_path.glob("page*.png"))
    found = subprocess.run(["zbarimg", "--raw", "-q", str(image)], capture_output=True, text=True)
    return found.stdout.strip()


def result_of(response) -> str:
    return re.search(r'data-result="(\w+)"', response.get_data(as_text=True)).group(1)


@pytest.fixture
def seeded(ctx):
    c = factories.small_county()
    open_criteria(c.root)
    return c


# --- serials, validity, issuer ----------------------------------------------------------------

def test_serials_count_up_per_county_and_year(seeded):
    c = seeded
    year = local_today().year
    first = certify(new_target(c.village_a), c.admin)
    second = certify(new_target(c.village_b), c.admin)
    assert (first.serial, second.serial) == (f"610923-{year}-0001", f"610923-{year}-0002")
    assert (second.county_code, second.year, second.seq) == ("610923", year, 2)


def test_the_sequence_restarts_each_year(seeded):
    c = seeded
    december = certify(new_target(c.village_a), c.admin, today=date(2025, 12, 31))
    january = certify(new_target(c.village_b), c.admin, today=date(2026, 1, 1))
    late = certify(new_target(c.town_a, TargetKind.SCHOOL, "城关小学", 300), c.admin, today=date(2025, 12, 31))
    assert [december.serial, january.serial, late.serial] == ["610923-2025-0001", "610923-2026-0001",
                                                              "610923-2025-0002"]


def test_each_county_numbers_its_own_certificates(seeded):
    c = seeded
    _root, shiquan = other_county()
    year = local_today().year
    certify(new_target(c.village_a), c.admin)
    assert certify(new_target(shiquan), c.admin).serial == f"610924-{year}-0001"
    assert certify(new_target(c.village_b), c.admin).serial == f"610923-{year}-0002"


def test_a_unit_in_a_township_is_numbered_by_its_county(seeded):
    c = seeded
    certificate = certify(new_target(c.town_b, TargetKind.ENTERPRISE, "宁陕茶厂", 40), c.admin)
    assert certificate.serial.startswith("610923-") and certificate.target_name == "宁陕茶厂"


@pytest.mark.parametrize("issued, until", [
    (date(2026, 3, 1), date(2027, 2, 28)),
    (date(2025, 6, 15), date(2026, 6, 14)),
    (date(2023, 3, 1), date(2024, 2, 29)),
    (date(2024, 2, 29), date(2025, 2, 28)),
    (date(2026, 1, 1), date(2026, 12, 31)),
])
def test_a_certificate_is_valid_for_one_year(issued, until):
    assert one_year_from(issued) == until


def test_certify_issues_a_certificate_valid_one_year_from_today(seeded):
    c = seeded
    certificate = certify(new_target(c.village_a), c.admin, today=date(2026, 3, 1))
    assert (certificate.issued_on, certificate.valid_until) == (date(2026, 3, 1), date(2027, 2, 28))
    assert certificate.issued_by_id == c.admin.id and certificate.target_name == "城南社区"
    assert certificate.valid_on(date(2027, 2, 28)) and not certificate.valid_on(date(2027, 3, 1))


def test_a_village_and_a_community_get_different_titles(seeded):
    c = seeded
    community = certify(new_target(c.village_a), c.admin)   # 城南社区
    village_ = certify(new_target(c.village_b), c.admin)    # 四亩地村
    school = certify(new_target(c.town_a, TargetKind.SCHOOL, "城关小学", 300), c.admin)
    assert len({community.title, village_.title, school.title}) == 3


def test_the_issuer_defaults_to_the_county_office(seeded):
    c = seeded
    assert "宁陕县" in issuer_for(c.village_a)
    assert issuer_for(c.town_b) == issuer_for(c.root)
    assert certify(new_target(c.village_a), c.admin).issuer == issuer_for(c.root)


def test_the_county_sets_its_own_issuer_for_new_certificates(seeded):
    c = seeded
    earlier = certify(new_target(c.village_a), c.admin)
    certificates.set_issuer(c.root, "宁陕县打击治理电信网络诈骗工作领导小组", user=c.admin)
    later = certify(new_target(c.village_b), c.admin)
    assert later.issuer == "宁陕县打击治理电信网络诈骗工作领导小组"
    assert earlier.issuer != later.issuer  # printed certificates keep what they say
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.subject == "creation_settings"))
    assert entry.changes["issuer"] == [None, "宁陕县打击治理电信网络诈骗工作领导小组"] and entry.user_id == c.admin.id
    with pytest.raises(DomainError) as caught:
        certificates.set_issuer(c.root, "   ")
    assert caught.value.field == "issuer"


def test_another_countys_issuer_does_not_apply(seeded):
    c = seeded
    root, shiquan = other_county()
    certificates.set_issuer(root, "石泉县反诈中心")
    assert issuer_for(shiquan) == "石泉县反诈中心"
    assert "宁陕县" in issuer_for(c.village_a)


# --- the signed code --------------------------------------------------------------------------

def test_the_code_is_the_serial_signed(seeded):
    c = seeded
    certificate = certify(new_target(c.village_a), c.admin)
    code = verify_code(certificate)
    serial, signature = code.rsplit(".", 1)
    assert serial == certificate.serial and len(signature) >= 40
    assert certificate_for_code(code) is certificate


def flip(text: str, index: int) -> str:
    return text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1:]


def test_altered_guessed_or_bare_codes_are_not_genuine(app, seeded):
    c = seeded
    first = certify(new_target(c.village_a), c.admin)
    second = certify(new_target(c.village_b), c.admin)
    code = verify_code(first)
    serial, signature = code.rsplit(".", 1)
    assert certificate_for_code(flip(code, len(code) - 5)) is None       # a character of the signature
    assert certificate_for_code(f"{second.serial}.{signature}") is None  # another serial, same signature
    assert certificate_for_code(serial) is None                          # no signature at all
    assert certificate_for_code("610923-2026-0001.Zm9yZ2VkLXNpZ25hdHVyZS1vZi1mb3J0eS1jaGFycw") is None
    assert certificate_for_code("") is None
    app.secret_key = "another-secret"
    assert certificate_for_code(code) is None  # signed with the real secret only


# --- the public verification page -------------------------------------------------------------

@pytest.fixture
def issued(app):
    """Codes of a valid, a revoked and an expired certificate, committed."""
    with app.app_context():
        c = factories.small_county()
        open_criteria(c.root)
        valid = certify(new_target(c.village_a), c.admin)
        revoked = certify(new_target(c.village_b), c.admin)
        services.transition(revoked.target, "revoke", user=c.admin, reason="发生案件")
        expired = certify(new_target(c.town_a, TargetKind.SCHOOL, "城关小学", 300), c.admin,
                          today=local_today() - timedelta(days=400))
        db.session.commit()
        return {name: (verify_code(cert), cert.serial, cert.revoked_on, cert.valid_until)
                for name, cert in (("valid", valid), ("revoked", revoked), ("expired", expired))}


def test_anyone_can_verify_a_genuine_certificate_without_logging_in(client, issued):
    code, serial, _, valid_until = issued["valid"]
    response = client.get(f"/verify/{code}")
    assert response.status_code == 200 and result_of(response) == "valid"
    page = response.get_data(as_text=True)
    assert serial in page and "城南社区" in page and "宁陕县" in page
    assert format_date(valid_until, "long", locale="zh_CN") in page


def test_a_revoked_certificate_says_so_with_the_date(client, issued):
    code, serial, revoked_on, _ = issued["revoked"]
    response = client.get(f"/verify/{code}")
    assert response.status_code == 200 and result_of(response) == "revoked"
    page = response.get_data(as_text=True)
    assert format_date(revoked_on, "long", locale="zh_CN") in page and serial in page


def test_an_expired_certificate_says_so(client, issued):
    response = client.get(f"/verify/{issued['expired'][0]}")
    assert response.status_code == 200 and result_of(response) == "expired"
    assert "城关小学" in response.get_data(as_text=True)


def test_forged_codes_get_a_not_genuine_page(client, issued):
    code, serial, _, _ = issued["valid"]
    other_serial = issued["revoked"][1]
    signature = code.rsplit(".", 1)[1]
    for forged in (flip(code, len(code) - 3), f"{other_serial}.{signature}", serial, "610923-2026-9999.abc",
                   "hello"):
        response = client.get(f"/verify/{forged}")
        assert response.status_code == 404 and result_of(response) == "forged", forged
        assert "城南社区" not in response.get_data(as_text=True)


# --- the PDFs ---------------------------------------------------------------------------------

def test_the_certificate_pdf_prints_the_target_serial_issuer_and_a_qr_that_verifies(app, client, tmp_path):
    with app.test_request_context():
        c = factories.small_county()
        open_criteria(c.root)
        certificate = certify(new_target(c.village_a), c.admin)
        db.session.commit()
        data = certificates_pdf([certificate], verify_url)
        url, serial, issuer = verify_url(certificate), certificate.serial, certificate.issuer
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - 842) < 1 and abs(float(box.height) - 595) < 1  # A4 landscape
    text = reader.pages[0].extract_text()
    assert "城南社区" in text and serial in text and issuer in text
    (tmp_path / "fonts.pdf").write_bytes(data)
    fonts = subprocess.run(["pdffonts", str(tmp_path / "fonts.pdf")], capture_output=True, text=True,
                           check=True).stdout
    cjk = [line for line in fonts.splitlines() if "Noto" in line and "CJK" in line]
    assert cjk and all(line.split()[-5] == "yes" for line in cjk), fonts  # every CJK font embedded
    scanned = qr_on_first_page(data, tmp_path)
    assert scanned == url and scanned.startswith("http://localhost/verify/")
    response = client.get(urlsplit(scanned).path)
    assert response.status_code == 200 and result_of(response) == "valid"


@pytest.fixture
def certified_county(app):
    """In township A: two valid certificates, a revoked and an expired one; in township B: one valid."""
    with app.app_context():
        c = factories.small_county()
        open_criteria(c.root)
        second_village = village(c.town_a, "610923100002", "老城村")
        targets = {
            "village_a": certify(new_target(c.village_a), c.admin).target,
            "school": certify(new_target(c.town_a, TargetKind.SCHOOL, "城关小学", 300), c.admin).target,
            "revoked": certify(new_target(second_village), c.admin).target,
            "expired": certify(new_target(c.town_a, TargetKind.ENTERPRISE, "城关茶厂", 50), c.admin,
                               today=local_today() - timedelta(days=370)).target,
            "village_b": certify(new_target(c.village_b), c.admin).target,
            "uncertified": new_target(c.town_a, TargetKind.ORGANISATION, "城关镇政府", 80),
        }
        services.transition(targets["revoked"], "revoke", user=c.admin, reason="发生案件")
        db.session.commit()
        return {name: (t.id, t.certificate.serial if t.certificate else None) for name, t in targets.items()}


def test_a_manager_prints_a_certificate_and_its_qr_opens_the_public_address(app, client, auth, certified_county,
                                                                            tmp_path):
    target_id, serial = certified_county["village_a"]
    app.config["PUBLIC_URL"] = "https://wuzha.example.cn/"
    auth.login("official_a")
    response = client.get(f"/creation/{target_id}/certificate.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert serial in response.headers["Content-Disposition"]
    assert serial in pdf_text(response.data)[0]
    scanned = qr_on_first_page(response.data, tmp_path)
    assert scanned.startswith("https://wuzha.example.cn/verify/")
    auth.logout()
    assert result_of(client.get(urlsplit(scanned).path)) == "valid"


def test_certificate_pdfs_stay_inside_the_users_area(client, auth, certified_county):
    target_id, _ = certified_county["village_a"]
    auth.login("official_b")
    assert client.get(f"/creation/{target_id}/certificate.pdf").status_code == 404
    auth.logout()
    auth.login("worker_a")
    assert client.get(f"/creation/{target_id}/certificate.pdf").status_code == 403
    auth.logout()
    auth.login("admin")
    assert client.get(f"/creation/{certified_county['uncertified'][0]}/certificate.pdf").status_code == 404


def test_a_revoked_certificate_still_prints_for_the_record(client, auth, certified_county):
    target_id, serial = certified_county["revoked"]
    auth.login("admin")
    response = client.get(f"/creation/{target_id}/certificate.pdf")
    assert response.status_code == 200 and serial in pdf_text(response.data)[0]


def test_the_county_prints_every_valid_certificate_of_a_township(client, auth, certified_county):
    auth.login("admin")
    response = client.get("/creation/certificates.pdf?area=610923100")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pages = pdf_text(response.data)
    assert len(pages) == 2  # the revoked and the expired ones are left out, and township B's
    assert [certified_county[name][1] in page for name, page in zip(("village_a", "school"), pages,
                                                                     strict=True)] == [True, True]
    assert "城南社区" in pages[0] and "城关小学" in pages[1]
    assert not any(certified_county["revoked"][1] in page or certified_county["village_b"][1] in page
                   for page in pages)


def test_a_township_without_valid_certificates_prints_nothing(app, client, auth, certified_county):
    with app.app_context():
        target = db.session.get(CreationTarget, certified_county["village_b"][0])
        admin = db.session.scalar(sa.select(factories.User).where(factories.User.username == "admin"))
        services.transition(target, "revoke", user=admin, reason="复核不通过")
        db.session.commit()
    auth.login("admin")
    response = client.get("/creation/certificates.pdf?area=610923101")
    assert response.status_code == 302 and "area=610923101" in response.headers["Location"]


def test_only_the_county_prints_a_township_at_once(client, auth, certified_county):
    auth.login("official_a")
    assert client.get("/creation/certificates.pdf?area=610923100").status_code == 403


def test_the_certificate_shows_on_the_target_page(client, auth, certified_county):
    target_id, serial = certified_county["school"]
    auth.login("official_a")
    page = client.get(f"/creation/{target_id}").get_data(as_text=True)
    assert serial in page and f"/creation/{target_id}/certificate.pdf" in page
    assert serial in client.get("/creation/").get_data(as_text=True)


def test_certificates_are_stored_once_per_certify(app, certified_county):
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Certificate)) == 5
