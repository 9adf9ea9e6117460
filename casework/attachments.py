"""Files on cases: what type a file is (from its content, not its name), whether it may be kept,
where it is stored (settings.CASEWORK_FILES_DIR, outside the web root), and the writes that add one
(`attachment_add`) and record a download (`attachment_downloaded`).

Allowed types are the ones an office receives from constituents and agencies: PDF, images (PNG,
JPEG, GIF, WebP), Word/Excel/OpenDocument files, plain text and emails. A file whose content is
none of them (a program, a script, an archive) is refused, and so is one whose name claims another
type than its content (`letter.pdf` that is a Windows program): the refusal says which file and why.
"""

from __future__ import annotations

import hashlib
import io
import secrets
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from casework.models import Case, OfficeMembership
from casework.models_mail import Attachment, InboundMessage
from labourhub.services import audit_record

if TYPE_CHECKING:
    from django.http import HttpRequest

    from labourhub.models import User

# kind: (label, content type sent on download, the file name endings that may carry it)
KINDS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "pdf": ("PDF", "application/pdf", (".pdf",)),
    "png": ("PNG image", "image/png", (".png",)),
    "jpeg": ("JPEG image", "image/jpeg", (".jpg", ".jpeg")),
    "gif": ("GIF image", "image/gif", (".gif",)),
    "webp": ("WebP image", "image/webp", (".webp",)),
    "docx": (
        "Word document",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (".docx",),
    ),
    "xlsx": (
        "Excel workbook",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        (".xlsx",),
    ),
    "odt": ("OpenDocument text", "application/vnd.oasis.opendocument.text", (".odt",)),
    "ods": ("OpenDocument spreadsheet", "application/vnd.oasis.opendocument.spreadsheet", (".ods",)),
    "doc": ("Word 97-2003 document", "application/msword", (".doc",)),
    "text": ("Plain text", "text/plain; charset=utf-8", (".txt", ".text", ".csv", "")),
    "eml": ("Email", "message/rfc822", (".eml",)),
}
ALLOWED_NAMES = ", ".join(sorted({e for _, _, ends in KINDS.values() for e in ends if e}))

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _zip_kind(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
                return {
                    "application/vnd.oasis.opendocument.text": "odt",
                    "application/vnd.oasis.opendocument.spreadsheet": "ods",
                }.get(mimetype)
            if "[Content_Types].xml" in names:
                if any(n.startswith("word/") for n in names):
                    return "docx"
                if any(n.startswith("xl/") for n in names):
                    return "xlsx"
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, NotImplementedError):
        return None
    return None


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            return False
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\r\n\t\f")
    return controls == 0


def _looks_like_email(data: bytes) -> bool:
    head = data[:4096].decode("utf-8", "replace")
    header_names = {line.split(":", 1)[0].strip().lower() for line in head.splitlines() if ":" in line}
    return bool({"from", "date"} <= header_names or {"from", "subject"} <= header_names)


def sniff(data: bytes) -> str | None:
    """The kind of file `data` is, from its first bytes (and, for zip-based office files, its
    table of contents); None when it is not one LabourHub keeps."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    if data.startswith(_OLE):
        return "doc"
    if _is_text(data[:65536]):
        return "eml" if _looks_like_email(data) else "text"
    return None


def check_file(filename: str, data: bytes) -> str:
    """The kind of an acceptable file, or a ValidationError naming the file and what is wrong."""
    name = filename or "(no name)"
    limit = settings.CASEWORK_MAX_ATTACHMENT_BYTES
    if len(data) > limit:
        raise ValidationError(
            f"“{name}” is {_size(len(data))}, over the limit of {_size(limit)} for an attachment."
        )
    if not data:
        raise ValidationError(f"“{name}” is empty.")
    kind = sniff(data)
    if kind is None:
        raise ValidationError(
            f"“{name}” is not a type of file casework keeps (its content is not a PDF, an image, an "
            f"office document, plain text or an email; allowed: {ALLOWED_NAMES})."
        )
    ending = Path(name).suffix.lower()
    allowed_endings = KINDS[kind][2] + ((".txt", "") if kind == "eml" else ())
    if kind == "text" and ending == ".eml":
        allowed_endings += (".eml",)
    if ending not in allowed_endings:
        raise ValidationError(
            f"“{name}” is named as a {ending or 'nameless'} file but its content is a {KINDS[kind][0]}: "
            "rename it to match what it is, or check it is the file you meant."
        )
    return kind


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{max(1, n // 1024)} KB"


def files_dir() -> Path:
    return Path(settings.CASEWORK_FILES_DIR)


def store_bytes(data: bytes, *, office_id: int, suffix: str) -> str:
    """Write `data` under CASEWORK_FILES_DIR by a random name; returns that name (relative)."""
    folder = files_dir() / str(office_id)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = f"{office_id}/{secrets.token_hex(16)}{suffix}"
    path = files_dir() / name
    with open(path, "xb") as handle:
        handle.write(data)
    return name


def stored_path(name: str) -> Path:
    """The path of a stored file, refusing any name that would step outside the folder."""
    root = files_dir().resolve()
    path = (root / name).resolve()
    if root not in path.parents:
        raise ValueError("A stored file's name must stay inside CASEWORK_FILES_DIR.")
    return path


def clean_filename(filename: str) -> str:
    name = Path(filename.replace("\\", "/")).name.strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>|:*?')
    return (name or "attachment")[:200]


@transaction.atomic
def attachment_add(
    *,
    case: Case,
    filename: str,
    data: bytes,
    user: User | None = None,
    message: InboundMessage | None = None,
    request: HttpRequest | None = None,
) -> Attachment:
    """Keep a file on `case`: checked (size, type by content), stored outside the web root,
    audited. `user` is the caseworker uploading it (who must work in the office), or None when it
    came in an email. Raises ValidationError naming the file when it is refused."""
    if (
        user is not None
        and not OfficeMembership.objects.in_force_for(user).filter(office=case.office_id).exists()
    ):
        raise ValidationError("You are not a caseworker of this office.")
    filename = clean_filename(filename)
    kind = check_file(filename, data)
    stored = store_bytes(data, office_id=case.office_id, suffix="")
    try:
        attachment = Attachment.unscoped.create(
            case=case,
            message=message,
            filename=filename,
            kind=kind,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            stored_as=stored,
            added_by=user,
        )
    except BaseException:
        stored_path(stored).unlink(missing_ok=True)
        raise
    _audit("casework.attachment_add", user=user, case=case, attachment=attachment, request=request)
    return attachment


def attachment_downloaded(*, user: User, attachment: Attachment, request: HttpRequest | None = None) -> None:
    """Every download of an attachment is in the audit log (ids, never the file's name)."""
    _audit(
        "casework.attachment_download",
        user=user,
        case=attachment.case,
        attachment=attachment,
        request=request,
    )


def message_downloaded(*, user: User, message: InboundMessage, request: HttpRequest | None = None) -> None:
    audit_record(
        action="casework.message_download",
        user=user,
        request=request,
        detail={"message": message.pk, "office": message.office_id, "case": message.case_id},
    )


def _audit(
    action: str,
    *,
    user: User | None,
    case: Case,
    attachment: Attachment,
    request: HttpRequest | None = None,
) -> None:
    # As casework/services.py: ids in `detail` and no area, so no CLP audit page shows casework.
    audit_record(
        action=action,
        user=user,
        request=request,
        detail={"case": case.pk, "office": case.office_id, "attachment": attachment.pk},
    )
