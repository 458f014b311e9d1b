from datetime import UTC, date, datetime

import pytest

from workflow.clock import LOCAL_TZ, FixedClock, ensure_aware, parse_instant
from workflow.dates import (
    deadline_instant,
    format_date,
    format_datetime,
    parse_date,
    parse_day_month,
    parse_partial_date,
)
from workflow.errors import DateFormatError


def test_parses_vietnamese_dates() -> None:
    assert parse_date("05/06/2023") == date(2023, 6, 5)
    assert parse_date("5/6/2023") == date(2023, 6, 5)
    assert parse_day_month("05/12") == (5, 12)


@pytest.mark.parametrize("bad", ["31/02/2023", "00/01/2023", "12/13/2023", "tomorrow"])
def test_refuses_impossible_dates(bad: str) -> None:
    with pytest.raises(DateFormatError):
        parse_date(bad)


def test_refuses_impossible_yearly_date() -> None:
    with pytest.raises(DateFormatError, match="31/02"):
        parse_day_month("31/02")


def test_partial_issue_dates_keep_their_precision() -> None:
    assert parse_partial_date("14/04/2022") == (date(2022, 4, 14), "day")
    assert parse_partial_date("04/2022") == (date(2022, 4, 1), "month")
    assert parse_partial_date("2023") == (date(2023, 1, 1), "year")


def test_deadline_is_the_start_of_the_named_day_in_vietnam() -> None:
    instant = deadline_instant(date(2022, 6, 5))
    assert instant == datetime(2022, 6, 4, 17, 0, tzinfo=UTC)


def test_formats_dd_mm_yyyy_in_local_time() -> None:
    late_utc = datetime(2022, 6, 4, 18, 30, tzinfo=UTC)  # 01:30 on 05/06 in Hà Nội
    assert format_date(late_utc) == "05/06/2022"
    assert format_datetime(late_utc) == "05/06/2022 01:30"


def test_operator_instants_are_local_wall_time() -> None:
    assert parse_instant("05/06/2023 08:00") == datetime(2023, 6, 5, 8, 0, tzinfo=LOCAL_TZ)
    assert parse_instant("2023-06-05 08:00") == datetime(2023, 6, 5, 8, 0, tzinfo=LOCAL_TZ)


def test_fixed_clock_moves_only_when_told() -> None:
    clock = FixedClock(datetime(2023, 1, 1, 8, 0))
    assert clock.now() == ensure_aware(datetime(2023, 1, 1, 8, 0))
    clock.set(datetime(2023, 1, 2, 8, 0, tzinfo=LOCAL_TZ))
    assert clock.now().day == 2
