"""pytest configuration for the dimg end-to-end suite (see dimg_testlib.py for the helpers)."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import dimg_testlib as tl  # noqa: E402

MARKERS = {
    "slow": "takes long (4.2 GiB multi-extent image); runs by default",
    "kernel": "compares with the Linux kernel isofs driver inside QEMU",
    "corpus": "uses the external corpus in ../shared/corpus",
    "hostile": "crafted images that must be refused or read boundedly",
}


def pytest_configure(config):
    # also registered in pytest.ini; repeated here so running from another rootdir works
    for name, doc in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {doc}")


@pytest.fixture(scope="session")
def dimg() -> tl.Dimg:
    return tl.Dimg(tl.find_dimg())


@pytest.fixture(scope="session")
def hard_tree(tmp_path_factory) -> tl.TreeInfo:
    return tl.make_hard_tree(tmp_path_factory.mktemp("hardtree") / "src")


@pytest.fixture(scope="session")
def hard_tree_entries(hard_tree):
    return tl.manifest_entries(hard_tree.root)


@pytest.fixture(scope="session")
def matrix(tmp_path_factory, hard_tree):
    """Images of the read matrix, each built once per session (see iso_matrix.py)."""
    from iso_matrix import Matrix
    return Matrix(tmp_path_factory, hard_tree)
