"""Data protection's mechanism (issue 16 items 1, 6, 7): the register of data-subject requests with
the ICO's clock, the breach log with its 72-hour clock, and the generated records of processing.
Each app contributes its part through its own `<app>/privacy_records.py`; this package imports no app."""
