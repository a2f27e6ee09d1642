"""Check a certificate's extraction against a client's requirements (issue #4)."""

from coibot.check.rating import InsurerRating, RatingsTable, load_ratings_csv
from coibot.check.report import Gap, status_of
from coibot.check.run import check_all_sets, check_certificate

__all__ = [
    "Gap",
    "InsurerRating",
    "RatingsTable",
    "check_all_sets",
    "check_certificate",
    "load_ratings_csv",
    "status_of",
]
