"""Data sets: raw sources fetched and checked (SPEC §7), converted into one compact tensor file
each, and the derived sets of E3 (Occluded) and E4 (Cluttered MNIST).
"""


from lsib.data.cluttered import build_cluttered
from lsib.data.datasets import (
    DATASETS,
    KEYS,
    channel_stats,
    load,
    prepare,
    validate,
)
from lsib.data.fetch import DataSourceError, md5sum, obtain
from lsib.data.occluded import build_occluded
from lsib.data.sources import download, stage_fashion_mnist
from lsib.data.subsets import balanced_subset

__all__ = ["DATASETS", "DataSourceError", "KEYS", "balanced_subset", "build_cluttered", "build_occluded", "channel_stats", "download", "load", "md5sum", "obtain", "prepare", "stage_fashion_mnist", "validate"]
