"""The import report as text (for the command line) — the result page shows the same facts."""


def import_report_text(record):
    lines = [
        f"{record.get_kind_display()} {record.file_name}: {record.get_status_display()}",
        f"Format: {record.file_format or 'not recognised'}; rows: {record.rows_done}; checksum {record.checksum}",
    ]
    if record.status == record.Status.CONFIRM:
        lines.append(
            f"Would add {record.added}, change {record.changed}, remove {record.removed}, "
            f"leave unchanged {record.unchanged}: nothing was changed."
        )
    if record.status == record.Status.DONE:
        lines.append(
            f"Added {record.added}, changed {record.changed}, removed {record.removed}, "
            f"unchanged {record.unchanged}."
        )
    if record.duration is not None:
        lines.append(f"Duration: {record.duration.total_seconds():.1f} s")
    lines += [f"Note: {note}" for note in record.notes]
    if record.rejected:
        lines.append(f"{record.rejected} problems; nothing was changed. First {len(record.errors)}:")
        lines += [_error_line(e) for e in record.errors]
    return "\n".join(lines)


def _error_line(error):
    where = f"line {error['line']}" if error["line"] else "file"
    column = f", column {error['column']}" if error["column"] else ""
    value = f" {error['value']!r}" if error["value"] else ""
    return f"  {where}{column}:{value} {error['reason']}".replace(":  ", ": ")
