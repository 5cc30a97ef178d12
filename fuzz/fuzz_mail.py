"""atheris fuzz target: the mail parser and the field extraction on what it finds.

    make fuzz                      # FUZZ_SECONDS (60) of libFuzzer, seeded from fixtures/mail
    .venv/bin/python fuzz/fuzz_mail.py var/fuzz/corpus fixtures/mail -max_total_time=60

Any input that raises is written as `crash-…` under var/fuzz/; each one found becomes a
regression test in tests/test_mail_parsing.py (there were none in the runs so far).
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from parsers.fields import Source, find_case_reference, find_organization_number
    from parsers.mail import MailLimits, parse_mail

LIMITS = MailLimits()


def test_one_input(data: bytes) -> None:
    mail = parse_mail(data, LIMITS)
    sources = (Source("subject", mail.subject), Source("text", mail.text.new))
    find_case_reference(sources)
    find_organization_number(sources, frozenset())


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
